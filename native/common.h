// Shared by the addon's translation units: the oneDNN engine / stream and the
// N-API helpers. See addon.cc for the JS API.
#pragma once

#include <node_api.h>

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "oneapi/dnnl/dnnl.hpp"

namespace streamssl {

// One CPU engine for the process (oneDNN's engine is safe to share between
// threads); one stream per calling thread. Each JS thread that calls the addon
// (the main thread, or a worker thread with its own wasm heap) makes one call at a
// time, and calls of different JS threads may run at once.
inline dnnl::engine& Engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
inline dnnl::stream& Stream() {
  thread_local dnnl::stream s(Engine());
  return s;
}

inline napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

#define NAPI_OK(call)                                            \
  do {                                                           \
    if ((call) != napi_ok) return Throw(env, "onednn: " #call); \
  } while (0)

inline bool GetInt(napi_env env, napi_value v, int64_t* out) { return napi_get_value_int64(env, v, out) == napi_ok; }

// The heap argument: a Uint8Array over the wasm memory (ArrayBuffer or SharedArrayBuffer).
inline bool GetHeap(napi_env env, napi_value v, uint8_t** heap, size_t* len) {
  napi_typedarray_type type;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, len, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    return false;
  }
  *heap = static_cast<uint8_t*>(data);
  return true;
}

// A parameter argument: an Int32Array (its values and length).
inline bool GetInt32Array(napi_env env, napi_value v, const int32_t** values, size_t* length) {
  napi_typedarray_type type;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, length, &data, nullptr, nullptr) != napi_ok || type != napi_int32_array) {
    return false;
  }
  *values = static_cast<const int32_t*>(data);
  return true;
}

// The arguments of a kernel called as (heap, integers..., numbers...): offsets
// and sizes, then scalars such as eps or lr.
struct FlatArgs {
  static constexpr size_t kMaxInts = 14, kMaxDoubles = 4;
  uint8_t* heap;
  size_t heap_len;
  int64_t ints[kMaxInts];
  double doubles[kMaxDoubles];
};

// Reads exactly 1 + ints + doubles arguments of those types; false otherwise.
inline bool ReadFlatArgs(napi_env env, napi_callback_info info, size_t ints, size_t doubles, FlatArgs* out) {
  if (ints > FlatArgs::kMaxInts || doubles > FlatArgs::kMaxDoubles) return false;
  const size_t want = 1 + ints + doubles;
  size_t argc = want;
  napi_value args[1 + FlatArgs::kMaxInts + FlatArgs::kMaxDoubles];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc != want) return false;
  if (!GetHeap(env, args[0], &out->heap, &out->heap_len)) return false;
  for (size_t i = 0; i < ints; i++) {
    if (!GetInt(env, args[1 + i], &out->ints[i])) return false;
  }
  for (size_t i = 0; i < doubles; i++) {
    if (napi_get_value_double(env, args[1 + ints + i], &out->doubles[i]) != napi_ok) return false;
  }
  return true;
}

// A tensor of `floats` float32 values at byte offset `off` lies inside the heap.
inline bool InHeap(int64_t off, size_t floats, size_t heap_len) {
  return off >= 0 && off % 4 == 0 && size_t(off) + floats * sizeof(float) <= heap_len;
}

inline uint32_t Bits(float v) { uint32_t b; std::memcpy(&b, &v, 4); return b; }
inline float FromBits(uint32_t b) { float v; std::memcpy(&v, &b, 4); return v; }

// tfjs's step: 1 where v > 0, alpha where v <= 0, NaN (v itself) where v is
// NaN. The Step kernel (eltwise.cc) and ReLU's gradient (ops.cc) share it.
inline float StepOf(float v, float alpha) {
  const uint32_t b = Bits(v);
  const uint32_t positive = 0u - uint32_t(int32_t(b) > 0);  // sign clear and not +0
  const uint32_t nan = 0u - uint32_t((b & 0x7fffffffu) > 0x7f800000u);
  const uint32_t s = (Bits(1.0f) & positive) | (Bits(alpha) & ~positive);
  return FromBits((b & nan) | (s & ~nan));
}

// Below this much work (elements times cost per element) a loop stays on the
// calling thread. Waking a passive OpenMP worker costs about 20 us on the 2-vCPU
// VM this was measured on: a ReLU over 65k floats took 10 us on one thread and
// 26 us on two, and two threads broke even at 262k floats (40 us).
constexpr int64_t kParallelMin = 1 << 18;

// Runs f(begin, end) over [0, n) split into one contiguous range per OpenMP
// thread (the count setNumThreads gave the calling thread), or in one call when
// n * cost_per_item is under `min_work`. Each index is handled by exactly one
// call, so results never depend on the thread count.
template <typename F>
void ParallelRanges(int64_t n, int64_t cost_per_item, F f, int64_t min_work = kParallelMin) {
  const int threads = omp_get_max_threads();
  if (threads <= 1 || n < 2 || n * cost_per_item < min_work) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (begin < end) f(begin, end);
  }
}

// conv.cc
napi_value Conv(napi_env env, napi_callback_info info);
napi_value ImplName(napi_env env, napi_callback_info info);
napi_value CacheSize(napi_env env, napi_callback_info info);
napi_value ClearCache(napi_env env, napi_callback_info info);
// ops.cc
napi_value Matmul(napi_env env, napi_callback_info info);
napi_value Reduce(napi_env env, napi_callback_info info);
napi_value BinaryOp(napi_env env, napi_callback_info info);
// eltwise.cc
napi_value UnaryOp(napi_env env, napi_callback_info info);
// batchnorm.cc
napi_value BatchNormForward(napi_env env, napi_callback_info info);
napi_value BatchNormBackward(napi_env env, napi_callback_info info);
napi_value BatchNormReluForward(napi_env env, napi_callback_info info);
napi_value BatchNormReluBackward(napi_env env, napi_callback_info info);
// optim.cc
napi_value SgdMomentumOp(napi_env env, napi_callback_info info);
napi_value MovingAverageOp(napi_env env, napi_callback_info info);

}  // namespace streamssl
