// Element-wise unary kernels on the OpenMP threads, in place on the wasm heap
// (see client/kernels/native/eltwise.ts). After the convolutions, matmuls,
// reductions and binary ops went native, these were what a MoCo step still ran
// on tfjs's single-threaded wasm kernels at full activation size: ReLU, its
// gradient's Step, batch norm's Square (variance) and the Fill of Mean's
// gradient; Rsqrt / Sqrt / Neg come along (same loop, tiny tensors).
//
// Each element is computed as the wasm kernel it replaces computes it (rsqrt
// as 1 / sqrt in float32, where tfjs's cpu backend rounds once from double),
// so training gives the same bits with or without these kernels.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"

namespace streamssl {
namespace {

enum Op { kRelu = 0, kStep = 1, kSquare = 2, kRsqrt = 3, kSqrt = 4, kNeg = 5, kFill = 6, kOpCount = 7 };

template <typename F>
void Map(const float* x, float* out, int64_t n, F f) {
  ParallelRanges(n, 1, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; i++) out[i] = f(x[i]);
  });
}

void Unary(int op, const float* x, float* out, int64_t n, float alpha) {
  switch (op) {
    // NaN stays NaN (as tfjs: x < 0 ? 0 : x).
    case kRelu: return Map(x, out, n, [](float v) { return v < 0.0f ? 0.0f : v; });
    // Selected with bit masks: written as float conditionals, gcc branches,
    // and on activations (half of them negative) every other element
    // mispredicts: 40x slower than this.
    case kStep: return Map(x, out, n, [alpha](float v) { return StepOf(v, alpha); });
    case kSquare: return Map(x, out, n, [](float v) { return v * v; });
    case kRsqrt: return Map(x, out, n, [](float v) { return 1.0f / std::sqrt(v); });
    case kSqrt: return Map(x, out, n, [](float v) { return std::sqrt(v); });
    case kNeg: return Map(x, out, n, [](float v) { return -v; });
    default:
      ParallelRanges(n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) out[i] = alpha;
      });
  }
}

}  // namespace

// unary(heap, offX, offOut, n, op, alpha): out[i] = op(x[i]) for n float32s.
// op: 0 relu, 1 step (alpha where x <= 0), 2 square, 3 rsqrt, 4 sqrt, 5 neg,
// 6 fill (out[i] = alpha; x is not read).
napi_value UnaryOp(napi_env env, napi_callback_info info) {
  FlatArgs a;
  if (!ReadFlatArgs(env, info, 4, 1, &a)) return Throw(env, "onednn unary: expected (heap, offX, offOut, n, op, alpha)");
  const int64_t n = a.ints[2], op = a.ints[3];
  if (n <= 0 || op < 0 || op >= kOpCount) return Throw(env, "onednn unary: bad size or op");
  if ((op != kFill && !InHeap(a.ints[0], size_t(n), a.heap_len)) || !InHeap(a.ints[1], size_t(n), a.heap_len)) {
    return Throw(env, "onednn unary: tensor offset outside the heap or misaligned");
  }
  Unary(int(op), reinterpret_cast<const float*>(a.heap + a.ints[0]), reinterpret_cast<float*>(a.heap + a.ints[1]), n,
        static_cast<float>(a.doubles[0]));
  return nullptr;
}

}  // namespace streamssl
