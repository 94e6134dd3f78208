// The per-parameter updates of a step as one kernel each (see
// client/kernels/optim-ops.ts): SGD with momentum and weight decay, and the
// moving averages of momentum encoders and batch-norm statistics. Composed of
// tfjs ops they are three to six kernel calls and as many scalar uploads per
// parameter, every step; on a small model those calls, not the arithmetic,
// were the optimizer's time.
//
// Each element goes through the same float32 operations in the same order as
// the composed ops (client/optim/sgd.ts, client/ssl/ema.ts,
// client/models/layers.ts), each rounded once (the build turns off contraction
// into fused multiply-adds), so the results are the same bits.
#include "common.h"

namespace streamssl {
namespace {

// Below this much work an update stays on the calling thread, four times the
// other loops' kParallelMin (common.h). In a training step on the 2-vCPU EPYC
// these calls come one per parameter between kernels that split the batch, and a
// split update waited for the other thread: a 74k-float SGD update took 0.05 ms
// on one thread and 0.5-0.9 ms on two (the second thread's range started 0.4-0.8
// ms late: it had gone to sleep, and on two busy cores its wake-up waits its turn),
// and the small widths' updates took 2.5-3.7 ms a step against 1.5-2.0 with this
// bound (kernel profiles on two threads, alternating). Large layers' updates split.
constexpr int64_t kUpdateParallelMin = int64_t(1) << 20;

// The loops capture by value, into locals: captured by reference, the float
// scalars may alias the float stores, so every iteration read them again from
// the calling thread's stack, and on two threads the update ran slower than on
// one (1.9 against 1.3 ms for 2.4M values; by value 0.6 ms on two).
void SgdMomentum(const float* w, const float* g, const float* v, float* w_out, float* v_out, int64_t n, float lr,
                 float momentum, float decay, bool decays) {
  ParallelRanges(n, 4, [=](int64_t begin, int64_t end) {
    const float rate = lr, keep = momentum, wd = decay;
    const bool decayed = decays;
    const float* __restrict wi = w;
    const float* __restrict gi = g;
    const float* __restrict vi = v;
    float* __restrict wo = w_out;
    float* __restrict vo = v_out;
#pragma omp simd
    for (int64_t i = begin; i < end; i++) {
      const float velocity = vi[i] * keep + (decayed ? gi[i] + wi[i] * wd : gi[i]);
      vo[i] = velocity;
      wo[i] = wi[i] - velocity * rate;
    }
  }, kUpdateParallelMin);
}

void MovingAverage(const float* t, const float* q, float* out, int64_t n, float keep, float take) {
  ParallelRanges(n, 2, [=](int64_t begin, int64_t end) {
    const float k = keep, a = take;
    const float* __restrict ti = t;
    const float* __restrict qi = q;
    float* __restrict o = out;
#pragma omp simd
    for (int64_t i = begin; i < end; i++) o[i] = ti[i] * k + qi[i] * a;
  }, kUpdateParallelMin);
}

}  // namespace

// sgdMomentum(heap, offW, offG, offV, offWOut, offVOut, n, lr, momentum, weightDecay):
// v' = momentum * v + (g + weightDecay * w); w' = w - lr * v' (no decay term when
// weightDecay is 0, as the composed ops skip it).
napi_value SgdMomentumOp(napi_env env, napi_callback_info info) {
  FlatArgs a;
  if (!ReadFlatArgs(env, info, 6, 3, &a)) {
    return Throw(env, "onednn sgdMomentum: expected (heap, 5 offsets, n, lr, momentum, weightDecay)");
  }
  const int64_t n = a.ints[5];
  if (n <= 0) return Throw(env, "onednn sgdMomentum: bad size");
  for (int i = 0; i < 5; i++) {
    if (!InHeap(a.ints[i], size_t(n), a.heap_len)) return Throw(env, "onednn sgdMomentum: tensor offset outside the heap or misaligned");
  }
  auto f = [&](int i) { return reinterpret_cast<float*>(a.heap + a.ints[i]); };
  const double* h = a.doubles;
  SgdMomentum(f(0), f(1), f(2), f(3), f(4), n, static_cast<float>(h[0]), static_cast<float>(h[1]),
              static_cast<float>(h[2]), h[2] > 0.0);
  return nullptr;
}

// movingAverage(heap, offT, offQ, offOut, n, keep, take): out = t * keep + q * take.
napi_value MovingAverageOp(napi_env env, napi_callback_info info) {
  FlatArgs a;
  if (!ReadFlatArgs(env, info, 4, 2, &a)) return Throw(env, "onednn movingAverage: expected (heap, 3 offsets, n, keep, take)");
  const int64_t n = a.ints[3];
  if (n <= 0) return Throw(env, "onednn movingAverage: bad size");
  for (int i = 0; i < 3; i++) {
    if (!InHeap(a.ints[i], size_t(n), a.heap_len)) return Throw(env, "onednn movingAverage: tensor offset outside the heap or misaligned");
  }
  auto f = [&](int i) { return reinterpret_cast<float*>(a.heap + a.ints[i]); };
  MovingAverage(f(0), f(1), f(2), n, static_cast<float>(a.doubles[0]), static_cast<float>(a.doubles[1]));
  return nullptr;
}

}  // namespace streamssl
