// Convolutions: oneDNN forward, backward-data and backward-weights primitives
// (direct, or winograd where asked for and oneDNN has it)
// on tfjs's NHWC / HWIO tensors in the wasm heap, cached per geometry.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
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
using Key = std::array<int, kParams + 2>;  // kind, slot, params
// Bits of the last param (flags).
constexpr int kBlockedLayout = 1;  // oneDNN's preferred layouts, with reorders
constexpr int kWinograd = 2;       // winograd where oneDNN has it, else direct
constexpr int kSplitBatch = 4;     // with several threads: one slice of the batch per thread
constexpr int kAllFlags = kBlockedLayout | kWinograd | kSplitBatch;
// Key slot of the plans oneDNN threads itself (the unsplit ones).
constexpr int kWholeBatch = -1;

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
  size_t reorder_pad_bytes = 0;  // its reorder's scratchpad (user-managed plans only)
};

// A plan of a batch slice runs beside the other slices' on other threads, so its
// primitive's scratchpad (`pad_bytes`) and its reorders' are ours, in the slice's
// own scratch block: oneDNN's own scratchpad is shared between primitives.
struct Plan {
  dnnl::primitive prim;
  std::string impl;
  Arg a, b, out;
  size_t pad_bytes = 0;  // user-managed plans only
};

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
Arg MakeArg(int dnnl_arg, const memory::desc& user_md, const memory::desc& inner_md, bool is_output,
            const dnnl::primitive_attr& attr) {
  Arg arg;
  arg.dnnl_arg = dnnl_arg;
  const bool same = inner_md == user_md || SameBytesAsNhwc(inner_md);
  arg.user = memory(same ? inner_md : user_md, Engine(), DNNL_MEMORY_NONE);
  if (!same) {
    arg.inner = memory(inner_md, Engine(), DNNL_MEMORY_NONE);
    arg.inner_bytes = inner_md.get_size();
    const memory& from = is_output ? arg.inner : arg.user;
    const memory& to = is_output ? arg.user : arg.inner;
    dnnl::reorder::primitive_desc pd(from, to, attr);
    arg.reorder_pad_bytes = attr.get_scratchpad_mode() == dnnl::scratchpad_mode::user ? pd.scratchpad_desc().get_size() : 0;
    (is_output ? arg.to_user : arg.to_inner) = dnnl::reorder(pd);
  }
  return arg;
}

std::unique_ptr<Plan> BuildPlan(int kind, const Params& p, bool user_pad) {
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
  dnnl::primitive_attr attr;
  if (user_pad) attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  // Backward primitives need the forward one as a hint.
  auto forward_pd = [&](dnnl::algorithm algo) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, algo, x_any, w_any, y_any,
                                      strides, dil, pad_l, pad_r);
    return dnnl::convolution_forward::primitive_desc(d, attr, Engine());
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
  auto finish = [&](const auto& pd) {
    plan->impl = pd.impl_info_str();
    plan->pad_bytes = user_pad ? pd.scratchpad_desc().get_size() : 0;
  };
  if (kind == 0) {
    auto fwd_pd = with_algo(forward_pd);
    plan->prim = dnnl::convolution_forward(fwd_pd);
    finish(fwd_pd);
    plan->a = MakeArg(DNNL_ARG_SRC, x_md, fwd_pd.src_desc(), false, attr);
    plan->b = MakeArg(DNNL_ARG_WEIGHTS, w_md, fwd_pd.weights_desc(), false, attr);
    plan->out = MakeArg(DNNL_ARG_DST, y_md, fwd_pd.dst_desc(), true, attr);
  } else if (kind == 1) {
    auto pd = with_algo([&](dnnl::algorithm algo) {
      dnnl::convolution_backward_data::desc d(algo, x_any, w_any, y_any, strides, dil, pad_l, pad_r);
      return dnnl::convolution_backward_data::primitive_desc(d, attr, Engine(), forward_pd(algo));
    });
    plan->prim = dnnl::convolution_backward_data(pd);
    finish(pd);
    plan->a = MakeArg(DNNL_ARG_DIFF_DST, y_md, pd.diff_dst_desc(), false, attr);
    plan->b = MakeArg(DNNL_ARG_WEIGHTS, w_md, pd.weights_desc(), false, attr);
    plan->out = MakeArg(DNNL_ARG_DIFF_SRC, x_md, pd.diff_src_desc(), true, attr);
  } else {
    auto pd = with_algo([&](dnnl::algorithm algo) {
      dnnl::convolution_backward_weights::desc d(algo, x_any, w_any, y_any, strides, dil, pad_l, pad_r);
      return dnnl::convolution_backward_weights::primitive_desc(d, attr, Engine(), forward_pd(algo));
    });
    plan->prim = dnnl::convolution_backward_weights(pd);
    finish(pd);
    plan->a = MakeArg(DNNL_ARG_SRC, x_md, pd.src_desc(), false, attr);
    plan->b = MakeArg(DNNL_ARG_DIFF_DST, y_md, pd.diff_dst_desc(), false, attr);
    plan->out = MakeArg(DNNL_ARG_DIFF_WEIGHTS, w_md, pd.diff_weights_desc(), true, attr);
  }
  return plan;
}

// The buffers of the call being run on one slot (the whole batch, or one
// thread's slice): one growing, 64-byte aligned block per slot and purpose.
struct Scratch {
  void* data = nullptr;
  size_t bytes = 0;
  ~Scratch() { std::free(data); }
};

constexpr size_t kAlign = 64;
size_t Aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
// Slices run on at most this many threads (more are left to oneDNN's own split).
constexpr int kMaxSlots = 64;

// The plans, buffers and streams of one calling thread. A JS thread makes one call at
// a time, but a process may hold several JS threads that call at once (worker threads,
// each with its own wasm heap: bench/data-parallel.ts), and their calls must share
// nothing a call writes. A call's batch slices run on the caller's OpenMP team and
// use the caller's state, handed to them.
struct CallerState {
  std::map<Key, std::unique_ptr<Plan>> cache;
  Scratch work[kMaxSlots + 1];
  Scratch partial[kMaxSlots];
  std::unique_ptr<dnnl::stream> streams[kMaxSlots];
};

CallerState& Caller() {
  thread_local CallerState state;
  return state;
}

// oneDNN sizes a primitive's work split by the thread count when it is created:
// a slice's plan is made for one thread, as it runs.
struct OneThread {
  int saved = omp_get_max_threads();
  OneThread() { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(saved); }
};

// `slot`: kWholeBatch for the plans oneDNN threads itself, else the thread that
// runs this batch slice (each slot has its own plans: their memories' handles
// are set per call).
Plan& GetPlan(int kind, int slot, const Params& p) {
  Key key;
  key[0] = kind;
  key[1] = slot;
  std::memcpy(key.data() + 2, p.data(), sizeof(int) * kParams);
  auto& cache = Caller().cache;
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (slot == kWholeBatch) {
      it = cache.emplace(key, BuildPlan(kind, p, false)).first;
    } else {
      OneThread one;
      it = cache.emplace(key, BuildPlan(kind, p, true)).first;
    }
  }
  return *it->second;
}

uint8_t* Grow(Scratch& scratch, size_t bytes) {
  if (bytes > scratch.bytes) {
    std::free(scratch.data);
    scratch.data = std::aligned_alloc(kAlign, Aligned(bytes));
    scratch.bytes = scratch.data ? bytes : 0;
    if (!scratch.data) throw std::bad_alloc();
  }
  return static_cast<uint8_t*>(scratch.data);
}

// Inner layouts and scratchpads of `slot`'s call.
uint8_t* WorkFor(CallerState& caller, int slot, size_t bytes) { return Grow(caller.work[slot + 1], bytes); }

// A slice's partial weight gradient (slices after the first).
uint8_t* PartialFor(CallerState& caller, int slot, size_t bytes) { return Grow(caller.partial[slot], bytes); }

// One stream per slot: slices execute side by side. Made on the calling thread
// before any slice runs.
dnnl::stream& StreamFor(CallerState& caller, int slot) {
  if (slot == kWholeBatch) return Stream();
  auto& stream = caller.streams[slot];
  if (!stream) stream = std::make_unique<dnnl::stream>(Engine());
  return *stream;
}

memory PadMemory(uint8_t* at, size_t bytes) {
  return memory(memory::desc({memory::dim(bytes)}, memory::data_type::u8, tag::a), Engine(), at);
}

// Runs one plan on buffers a, b -> out (user layouts), in the calling thread's
// part of the work when it is a slice.
void Run(CallerState& caller, Plan& plan, int slot, uint8_t* a, uint8_t* b, uint8_t* out) {
  auto& s = StreamFor(caller, slot);
  Arg* args3[3] = {&plan.a, &plan.b, &plan.out};
  size_t reorder_pad = 0, total = 0;
  for (Arg* arg : args3) {
    total += Aligned(arg->inner_bytes);
    reorder_pad = std::max(reorder_pad, arg->reorder_pad_bytes);
  }
  total += Aligned(plan.pad_bytes) + Aligned(reorder_pad);
  uint8_t* at = total > 0 ? WorkFor(caller, slot, total) : nullptr;
  for (Arg* arg : args3) {
    if (!arg->inner) continue;
    arg->inner.set_data_handle(at);
    at += Aligned(arg->inner_bytes);
  }
  uint8_t* pad_at = at;
  uint8_t* reorder_pad_at = at + Aligned(plan.pad_bytes);
  plan.a.user.set_data_handle(a);
  plan.b.user.set_data_handle(b);
  plan.out.user.set_data_handle(out);
  auto reorder = [&](Arg* arg, dnnl::reorder& r, memory& from, memory& to) {
    std::unordered_map<int, memory> rargs{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (arg->reorder_pad_bytes > 0) rargs[DNNL_ARG_SCRATCHPAD] = PadMemory(reorder_pad_at, arg->reorder_pad_bytes);
    r.execute(s, rargs);
  };
  std::unordered_map<int, memory> args;
  for (Arg* arg : {&plan.a, &plan.b}) {
    if (arg->inner) {
      reorder(arg, arg->to_inner, arg->user, arg->inner);
      args[arg->dnnl_arg] = arg->inner;
    } else {
      args[arg->dnnl_arg] = arg->user;
    }
  }
  args[plan.out.dnnl_arg] = plan.out.inner ? plan.out.inner : plan.out.user;
  if (plan.pad_bytes > 0) args[DNNL_ARG_SCRATCHPAD] = PadMemory(pad_at, plan.pad_bytes);
  plan.prim.execute(s, args);
  if (plan.out.inner) reorder(&plan.out, plan.out.to_user, plan.out.inner, plan.out.user);
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
  if ((*p)[17] & ~kAllFlags) return "flags must be a combination of 1 (blocked layout), 2 (winograd) and 4 (batch split)";
  return nullptr;
}

size_t Bytes(int kind, const Params& p, int which) {
  const size_t x = size_t(p[0]) * p[1] * p[2] * p[3], y = size_t(p[0]) * p[7] * p[8] * p[4];
  const size_t w = size_t(p[5]) * p[6] * p[3] * p[4];
  const size_t sizes[3][3] = {{x, w, y}, {y, w, x}, {x, y, w}};
  return sizes[kind][which] * sizeof(float);
}

// The threads one call's batch is split over (1: oneDNN threads the whole batch).
int SliceCount(const Params& p) {
  if (!(p[17] & kSplitBatch)) return 1;
  return std::min({omp_get_max_threads(), p[0], kMaxSlots});
}

// The plan of slice `i` of `slices`: the batch rows [N * i / slices, N * (i + 1) / slices).
Plan& SlicePlan(int kind, const Params& p, int i, int slices) {
  Params slice = p;
  slice[0] = p[0] * (i + 1) / slices - p[0] * i / slices;
  slice[17] &= ~kSplitBatch;
  return GetPlan(kind, i, slice);
}

// One slice of the batch per thread, each a one-thread oneDNN call: the threads
// never wait on each other inside a convolution, where oneDNN's own split of a
// small one (the quickstart's 14x14 and smaller maps) gained little over one
// thread. Activations are NHWC, so a slice is a contiguous range of rows. The
// forward and data gradient of a sample do not depend on the rest of the batch;
// the weight gradient does, so each later slice writes its own partial, added to
// the first's in slice order afterwards (a fixed order for a given thread count).
void RunSplit(int kind, const Params& p, uint8_t* heap, const int64_t off[3], int slices) {
  const size_t x_row = size_t(p[1]) * p[2] * p[3] * sizeof(float);
  const size_t y_row = size_t(p[7]) * p[8] * p[4] * sizeof(float);
  const size_t w_floats = size_t(p[5]) * p[6] * p[3] * p[4];
  // Bytes per batch row of a, b, out (0: not sliced, the weights).
  const size_t row[3][3] = {{x_row, 0, y_row}, {y_row, 0, x_row}, {x_row, y_row, 0}};
  CallerState& caller = Caller();
  Plan* plans[kMaxSlots];
  float* partials[kMaxSlots] = {};
  for (int i = 0; i < slices; i++) {  // on the calling thread: plans, streams, buffers
    plans[i] = &SlicePlan(kind, p, i, slices);
    StreamFor(caller, i);
    if (kind == 2 && i > 0) partials[i] = reinterpret_cast<float*>(PartialFor(caller, i, w_floats * sizeof(float)));
  }
  std::string error;
#pragma omp parallel num_threads(slices)
  // The runtime may give fewer threads than asked: each takes every nt-th slice.
  for (int i = omp_get_thread_num(); i < slices; i += omp_get_num_threads()) {
    try {
      const int64_t first = int64_t(p[0]) * i / slices;
      uint8_t* at[3];
      for (int k = 0; k < 3; k++) at[k] = heap + off[k] + first * row[kind][k];
      if (partials[i]) at[2] = reinterpret_cast<uint8_t*>(partials[i]);
      Run(caller, *plans[i], i, at[0], at[1], at[2]);
    } catch (const std::exception& e) {
#pragma omp critical(streamssl_conv_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw std::runtime_error(error);
  if (kind != 2 || slices == 1) return;
  float* dw = reinterpret_cast<float*>(heap + off[2]);
  ParallelRanges(int64_t(w_floats), slices, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
      float sum = dw[j];
      for (int i = 1; i < slices; i++) sum += partials[i][j];
      dw[j] = sum;
    }
  });
}

// The plan oneDNN threads itself: one per geometry, whether the split was asked for or not.
Plan& WholePlan(int kind, const Params& p) {
  Params whole = p;
  whole[17] &= ~kSplitBatch;
  return GetPlan(kind, kWholeBatch, whole);
}

void RunCall(int kind, const Params& p, uint8_t* heap, const int64_t off[3]) {
  const int slices = SliceCount(p);
  if (slices > 1) return RunSplit(kind, p, heap, off, slices);
  Run(Caller(), WholePlan(kind, p), kWholeBatch, heap + off[0], heap + off[1], heap + off[2]);
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
    RunCall(kind, p, heap, off);
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
    const int slices = SliceCount(p);
    if (slices > 1) {
      name = "batch split over " + std::to_string(slices) + " threads: " + SlicePlan(kind, p, 0, slices).impl;
    } else {
      name = WholePlan(kind, p).impl;
    }
  } catch (const std::exception& e) {
    return Throw(env, std::string("onednn implName: ") + e.what());
  }
  napi_value out;
  NAPI_OK(napi_create_string_utf8(env, name.c_str(), name.size(), &out));
  return out;
}

napi_value CacheSize(napi_env env, napi_callback_info) {
  napi_value out;
  NAPI_OK(napi_create_uint32(env, static_cast<uint32_t>(Caller().cache.size()), &out));
  return out;
}

napi_value ClearCache(napi_env, napi_callback_info) {
  Caller().cache.clear();
  return nullptr;
}

}  // namespace streamssl
