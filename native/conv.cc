// Convolutions: oneDNN forward, backward-data and backward-weights primitives
// (direct, or winograd where asked for and oneDNN has it)
// on tfjs's NHWC / HWIO tensors in the wasm heap, cached per geometry.
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <map>
#include <memory>
#include <unordered_map>

#include "common.h"

namespace streamssl {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr int kParams = 18;
using Params = std::array<int, kParams>;
using Key = std::array<int, kParams + 1>;  // kind + params
// Bits of the last param (flags).
constexpr int kBlockedLayout = 1;  // oneDNN's preferred layouts, with reorders
constexpr int kWinograd = 2;       // winograd where oneDNN has it, else direct

// One reusable plan per (kind, geometry, layout): creating oneDNN primitives
// JIT-compiles code (milliseconds), a training step calls each shape many
// times. "User" memories wrap the wasm heap (handle set per call); "inner"
// memories exist only when the primitive wants another layout, and point into
// one scratch buffer shared by every plan (handles set per call): owned by each
// plan, they held ~90 MB over the 65 plans of a quickstart client (training,
// evaluation and last-batch geometries), where one call needs at most a few MB.
struct Arg {
  int dnnl_arg;
  memory user;
  memory inner;  // empty when the primitive takes the user layout as is
  size_t inner_bytes = 0;
  dnnl::reorder to_inner, to_user;
};

struct Plan {
  dnnl::primitive prim;
  std::string impl;
  Arg a, b, out;
};

std::map<Key, std::unique_ptr<Plan>>& Cache() {
  static std::map<Key, std::unique_ptr<Plan>> cache;
  return cache;
}

// An activation with exactly one channel block (C = 16 in nChw16c, C = 8 in
// nChw8c) has the same bytes as NHWC: the primitive can read / write the wasm
// heap directly instead of going through a reorder (which was ~20% of a
// 32x32x16 conv).
bool SameBytesAsNhwc(const memory::desc& inner_md) {
  const memory::dims d = inner_md.dims();
  if (d.size() != 4) return false;
  const auto f32 = memory::data_type::f32;
  return (d[1] == 16 && inner_md == memory::desc(d, f32, tag::nChw16c)) ||
         (d[1] == 8 && inner_md == memory::desc(d, f32, tag::nChw8c));
}

// Wrap the user buffer; when `inner_md` differs, add a oneDNN-owned buffer in
// the primitive's layout and the reorder between them (direction by caller).
Arg MakeArg(int dnnl_arg, const memory::desc& user_md, const memory::desc& inner_md, bool is_output) {
  Arg arg;
  arg.dnnl_arg = dnnl_arg;
  const bool same = inner_md == user_md || SameBytesAsNhwc(inner_md);
  arg.user = memory(same ? inner_md : user_md, Engine(), DNNL_MEMORY_NONE);
  if (!same) {
    arg.inner = memory(inner_md, Engine(), DNNL_MEMORY_NONE);
    arg.inner_bytes = inner_md.get_size();
    if (is_output) arg.to_user = dnnl::reorder(arg.inner, arg.user);
    else arg.to_inner = dnnl::reorder(arg.user, arg.inner);
  }
  return arg;
}

std::unique_ptr<Plan> BuildPlan(int kind, const Params& p) {
  const int N = p[0], H = p[1], W = p[2], Ci = p[3], Co = p[4], KH = p[5], KW = p[6], OH = p[7], OW = p[8];
  const memory::dims strides = {p[9], p[10]};
  const memory::dims pad_l = {p[11], p[12]};
  const memory::dims pad_r = {p[13], p[14]};
  const memory::dims dil = {p[15] - 1, p[16] - 1};  // oneDNN counts the gaps
  const bool any = (p[17] & kBlockedLayout) != 0;
  const auto f32 = memory::data_type::f32;

  // Logical dims are always N,C,H,W / O,I,H,W; the tag gives the physical order.
  const memory::desc x_md({N, Ci, H, W}, f32, tag::nhwc);
  const memory::desc y_md({N, Co, OH, OW}, f32, tag::nhwc);
  const memory::desc w_md({Co, Ci, KH, KW}, f32, tag::hwio);
  const memory::desc x_any({N, Ci, H, W}, f32, any ? tag::any : tag::nhwc);
  const memory::desc y_any({N, Co, OH, OW}, f32, any ? tag::any : tag::nhwc);
  const memory::desc w_any({Co, Ci, KH, KW}, f32, any ? tag::any : tag::hwio);
  const auto direct = dnnl::algorithm::convolution_direct;
  const auto winograd = dnnl::algorithm::convolution_winograd;
  // Winograd is asked for, not required: oneDNN has it only for some ISAs and
  // geometries (3x3, stride 1, ...), and refuses the rest with "unimplemented".
  // Then the primitive is the direct one, as without the flag.
  const bool want_winograd = (p[17] & kWinograd) != 0;

  // Backward primitives need the forward one as a hint.
  auto forward_pd = [&](dnnl::algorithm algo) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, algo, x_any, w_any, y_any,
                                      strides, dil, pad_l, pad_r);
    return dnnl::convolution_forward::primitive_desc(d, Engine());
  };
  // Each kind is built with `algo`, and falls back to direct when oneDNN has no
  // winograd implementation for it (the forward hint included).
  auto with_algo = [&](auto build) {
    if (want_winograd) {
      try {
        return build(winograd);
      } catch (const dnnl::error& e) {
        if (e.status != dnnl_unimplemented) throw;
      }
    }
    return build(direct);
  };

  auto plan = std::make_unique<Plan>();
  if (kind == 0) {
    auto fwd_pd = with_algo(forward_pd);
    plan->prim = dnnl::convolution_forward(fwd_pd);
    plan->impl = fwd_pd.impl_info_str();
    plan->a = MakeArg(DNNL_ARG_SRC, x_md, fwd_pd.src_desc(), false);
    plan->b = MakeArg(DNNL_ARG_WEIGHTS, w_md, fwd_pd.weights_desc(), false);
    plan->out = MakeArg(DNNL_ARG_DST, y_md, fwd_pd.dst_desc(), true);
  } else if (kind == 1) {
    auto pd = with_algo([&](dnnl::algorithm algo) {
      dnnl::convolution_backward_data::desc d(algo, x_any, w_any, y_any, strides, dil, pad_l, pad_r);
      return dnnl::convolution_backward_data::primitive_desc(d, Engine(), forward_pd(algo));
    });
    plan->prim = dnnl::convolution_backward_data(pd);
    plan->impl = pd.impl_info_str();
    plan->a = MakeArg(DNNL_ARG_DIFF_DST, y_md, pd.diff_dst_desc(), false);
    plan->b = MakeArg(DNNL_ARG_WEIGHTS, w_md, pd.weights_desc(), false);
    plan->out = MakeArg(DNNL_ARG_DIFF_SRC, x_md, pd.diff_src_desc(), true);
  } else {
    auto pd = with_algo([&](dnnl::algorithm algo) {
      dnnl::convolution_backward_weights::desc d(algo, x_any, w_any, y_any, strides, dil, pad_l, pad_r);
      return dnnl::convolution_backward_weights::primitive_desc(d, Engine(), forward_pd(algo));
    });
    plan->prim = dnnl::convolution_backward_weights(pd);
    plan->impl = pd.impl_info_str();
    plan->a = MakeArg(DNNL_ARG_SRC, x_md, pd.src_desc(), false);
    plan->b = MakeArg(DNNL_ARG_DIFF_DST, y_md, pd.diff_dst_desc(), false);
    plan->out = MakeArg(DNNL_ARG_DIFF_WEIGHTS, w_md, pd.diff_weights_desc(), true);
  }
  return plan;
}

Plan& GetPlan(int kind, const Params& p) {
  Key key;
  key[0] = kind;
  std::memcpy(key.data() + 1, p.data(), sizeof(int) * kParams);
  auto& cache = Cache();
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, BuildPlan(kind, p)).first;
  return *it->second;
}

// The inner buffers of the call being run: one growing, 64-byte aligned block
// (calls come one at a time from the JS main thread).
struct Scratch {
  void* data = nullptr;
  size_t bytes = 0;
  ~Scratch() { std::free(data); }
};

constexpr size_t kAlign = 64;
size_t Aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

uint8_t* ScratchFor(size_t bytes) {
  static Scratch scratch;
  if (bytes > scratch.bytes) {
    std::free(scratch.data);
    scratch.data = std::aligned_alloc(kAlign, Aligned(bytes));
    scratch.bytes = scratch.data ? bytes : 0;
    if (!scratch.data) throw std::bad_alloc();
  }
  return static_cast<uint8_t*>(scratch.data);
}

// Points the plan's inner memories at consecutive slices of the scratch block.
void BindInner(Plan& plan) {
  size_t total = 0;
  for (Arg* arg : {&plan.a, &plan.b, &plan.out}) total += Aligned(arg->inner_bytes);
  if (total == 0) return;
  uint8_t* at = ScratchFor(total);
  for (Arg* arg : {&plan.a, &plan.b, &plan.out}) {
    if (!arg->inner) continue;
    arg->inner.set_data_handle(at);
    at += Aligned(arg->inner_bytes);
  }
}

void Run(Plan& plan, uint8_t* heap, size_t off_a, size_t off_b, size_t off_out) {
  auto& s = Stream();
  BindInner(plan);
  plan.a.user.set_data_handle(heap + off_a);
  plan.b.user.set_data_handle(heap + off_b);
  plan.out.user.set_data_handle(heap + off_out);
  std::unordered_map<int, memory> args;
  for (Arg* arg : {&plan.a, &plan.b}) {
    if (arg->inner) {
      arg->to_inner.execute(s, arg->user, arg->inner);
      args[arg->dnnl_arg] = arg->inner;
    } else {
      args[arg->dnnl_arg] = arg->user;
    }
  }
  args[plan.out.dnnl_arg] = plan.out.inner ? plan.out.inner : plan.out.user;
  plan.prim.execute(s, args);
  if (plan.out.inner) plan.out.to_user.execute(s, plan.out.inner, plan.out.user);
  s.wait();
}

// Reads kind and p; validates the numbers oneDNN would
// otherwise turn into an unhelpful "invalid arguments".
const char* ReadParams(napi_env env, napi_value kind_v, napi_value params_v, int* kind, Params* p) {
  int64_t k;
  if (!GetInt(env, kind_v, &k) || k < 0 || k > 2) return "kind must be 0, 1 or 2";
  *kind = static_cast<int>(k);
  const int32_t* data;
  size_t length;
  if (!GetInt32Array(env, params_v, &data, &length) || length != kParams) return "params must be an Int32Array of length 18";
  std::memcpy(p->data(), data, sizeof(int) * kParams);
  for (int i = 0; i < 9; i++) if ((*p)[i] <= 0) return "sizes must be positive";
  for (int i = 9; i < 11; i++) if ((*p)[i] <= 0) return "strides must be positive";
  for (int i = 15; i < 17; i++) if ((*p)[i] <= 0) return "dilations must be positive";
  if ((*p)[17] & ~(kBlockedLayout | kWinograd)) return "flags must be a combination of 1 (blocked layout) and 2 (winograd)";
  return nullptr;
}

size_t Bytes(int kind, const Params& p, int which) {
  const size_t x = size_t(p[0]) * p[1] * p[2] * p[3], y = size_t(p[0]) * p[7] * p[8] * p[4];
  const size_t w = size_t(p[5]) * p[6] * p[3] * p[4];
  const size_t sizes[3][3] = {{x, w, y}, {y, w, x}, {x, y, w}};
  return sizes[kind][which] * sizeof(float);
}

}  // namespace

napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  if (argc != 6) return Throw(env, "onednn conv: expected (kind, heap, offA, offB, offOut, params)");
  int kind;
  Params p;
  if (const char* err = ReadParams(env, args[0], args[5], &kind, &p)) return Throw(env, std::string("onednn conv: ") + err);
  // The heap view is fetched by the caller on every call: wasm memory growth
  // replaces the ArrayBuffer.
  uint8_t* heap;
  size_t heap_len;
  if (!GetHeap(env, args[1], &heap, &heap_len)) {
    return Throw(env, "onednn conv: heap must be a Uint8Array over the wasm memory");
  }
  int64_t off[3];
  for (int i = 0; i < 3; i++) {
    if (!GetInt(env, args[2 + i], &off[i]) || off[i] < 0 || off[i] % 4 != 0 ||
        size_t(off[i]) + Bytes(kind, p, i) > heap_len) {
      return Throw(env, "onednn conv: tensor offset outside the heap or misaligned");
    }
  }
  try {
    Run(GetPlan(kind, p), heap, off[0], off[1], off[2]);
  } catch (const dnnl::error& e) {
    return Throw(env, std::string("onednn conv: ") + e.what());
  } catch (const std::exception& e) {
    return Throw(env, std::string("onednn conv: ") + e.what());
  }
  return nullptr;
}

napi_value ImplName(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int kind;
  Params p;
  if (argc != 2) return Throw(env, "onednn implName: expected (kind, params)");
  if (const char* err = ReadParams(env, args[0], args[1], &kind, &p)) return Throw(env, std::string("onednn implName: ") + err);
  std::string name;
  try {
    name = GetPlan(kind, p).impl;
  } catch (const std::exception& e) {
    return Throw(env, std::string("onednn implName: ") + e.what());
  }
  napi_value out;
  NAPI_OK(napi_create_string_utf8(env, name.c_str(), name.size(), &out));
  return out;
}

napi_value CacheSize(napi_env env, napi_callback_info) {
  napi_value out;
  NAPI_OK(napi_create_uint32(env, static_cast<uint32_t>(Cache().size()), &out));
  return out;
}

napi_value ClearCache(napi_env, napi_callback_info) {
  Cache().clear();
  return nullptr;
}

}  // namespace streamssl
