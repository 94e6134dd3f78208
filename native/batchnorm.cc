// Training-mode batch normalization, forward and backward, each in two passes
// over the activations (see client/kernels/native/batchnorm.ts). Composed of
// tfjs ops, the forward pass reads or writes the activation-sized tensors about
// ten times and its gradient about twenty: on a two-core machine those passes
// are bound by memory bandwidth, so a second thread hardly helped them.
//
// x is [G, M, C]: G statistic groups (ghost batch norm), M rows per group
// (samples x pixels), C channels. Statistics are per (group, channel); gamma
// and beta per channel.
//
// Sums are float partial sums over blocks of kRows rows, added in block order
// into doubles, so the results do not depend on the thread count.
#include <cmath>
#include <vector>

#include "common.h"

namespace streamssl {
namespace {

constexpr int64_t kRows = 64;

struct Geometry {
  int64_t groups, rows, channels;
  int64_t Blocks() const { return (rows + kRows - 1) / kRows; }
};

// For each (group, channel), kTerms sums over the group's rows at once, as
// doubles in sums[t][g * C + c]: `term(g, r, out)` adds row r of group g's
// terms into out[t * C + c].
template <int kTerms, typename Term>
void GroupSums(const Geometry& geo, Term term, std::vector<double>* sums) {
  const int64_t blocks = geo.Blocks(), C = geo.channels;
  std::vector<float> part(size_t(geo.groups * blocks * kTerms * C), 0.0f);
  ParallelRanges(geo.groups * blocks, std::min(geo.rows, kRows) * C * kTerms, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; item++) {
      const int64_t g = item / blocks, r0 = (item % blocks) * kRows, r1 = std::min(geo.rows, r0 + kRows);
      float* pp = part.data() + item * kTerms * C;
      for (int64_t r = r0; r < r1; r++) term(g, r, pp);
    }
  });
  for (int t = 0; t < kTerms; t++) sums[t].assign(size_t(geo.groups * C), 0.0);
  for (int64_t g = 0; g < geo.groups; g++) {
    for (int64_t b = 0; b < blocks; b++) {
      const float* pp = part.data() + (g * blocks + b) * kTerms * C;
      for (int t = 0; t < kTerms; t++) {
        double* s = sums[t].data() + g * C;
        for (int64_t c = 0; c < C; c++) s[c] += pp[t * C + c];
      }
    }
  }
}

// out[g, r, c] = f(g, r, c) over every element, rows split over the threads;
// `cost` is f's work per element relative to a copy (ParallelRanges' unit).
template <typename F>
void EachRow(const Geometry& geo, int64_t cost, F f) {
  ParallelRanges(geo.groups * geo.rows, geo.channels * cost, [&](int64_t begin, int64_t end) {
    for (int64_t gr = begin; gr < end; gr++) f(gr / geo.rows, gr);
  });
}

// What follows the normalization in the same pass, as separate float32 ops in
// the order the composed tfjs ops run them (so the same bits): + residual
// (when given), then ReLU (when asked), as a ResNet block ends.
struct After {
  const float* residual = nullptr;
  bool relu = false;
};

// The ReLU kernel's own expression (eltwise.cc): NaN and -0 pass through.
inline float Relu(float v) { return v < 0.0f ? 0.0f : v; }

void Forward(const Geometry& geo, const float* x, const float* gamma, const float* beta, float eps, float* y,
             float* mean, float* var, const After& after) {
  const int64_t C = geo.channels;
  std::vector<double> sums[1];
  GroupSums<1>(geo, [&](int64_t g, int64_t r, float* pp) {
    const float* row = x + (g * geo.rows + r) * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) pp[c] += row[c];
  }, sums);
  for (int64_t i = 0; i < geo.groups * C; i++) mean[i] = static_cast<float>(sums[0][i] / double(geo.rows));
  // Two passes (mean, then squared deviations): exact where the one-pass
  // E[x^2] - E[x]^2 cancels catastrophically.
  GroupSums<1>(geo, [&](int64_t g, int64_t r, float* pp) {
    const float* row = x + (g * geo.rows + r) * C;
    const float* m = mean + g * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      const float d = row[c] - m[c];
      pp[c] += d * d;
    }
  }, sums);
  for (int64_t i = 0; i < geo.groups * C; i++) var[i] = static_cast<float>(sums[0][i] / double(geo.rows));
  // y = x * scale + shift per (group, channel).
  std::vector<float> scale(size_t(geo.groups * C)), shift(size_t(geo.groups * C));
  for (int64_t g = 0; g < geo.groups; g++) {
    for (int64_t c = 0; c < C; c++) {
      const int64_t i = g * C + c;
      scale[i] = gamma[c] / std::sqrt(var[i] + eps);
      shift[i] = beta[c] - mean[i] * scale[i];
    }
  }
  const int64_t cost = 1 + (after.residual != nullptr);
  EachRow(geo, cost, [&](int64_t g, int64_t gr) {
    const float* row = x + gr * C;
    float* out = y + gr * C;
    const float* s = scale.data() + g * C;
    const float* t = shift.data() + g * C;
    const float* r = after.residual ? after.residual + gr * C : nullptr;
    // One loop for every form: the conditions do not change within it, and -O3
    // unswitches it into a loop per form.
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      float v = row[c] * s[c] + t[c];
      if (r) v = v + r[c];
      out[c] = after.relu ? Relu(v) : v;
    }
  });
}

// With xhat = (x - mean) * invstd:
//   dbeta = sum dy, dgamma = sum dy * xhat (over groups and rows),
//   dx = gamma * invstd * (dy - mean_g(dy) - xhat * mean_g(dy * xhat)).
//
// With `relu_out` (the forward's output after its ReLU), dy is first masked as
// ReLU's gradient masks it, dy * step(out), computed again in each pass rather
// than stored; step(relu(v)) is step(v) for every v, NaN and -0 included.
// `d_residual` then receives the masked dy: the gradient of the residual added
// before the ReLU. Each pass keeps a loop per form here: one loop with the mask as
// a condition (as the forward's) ran the gradient 4-9% slower on this VM.
void Backward(const Geometry& geo, const float* dy, const float* x, const float* mean, const float* var,
              const float* gamma, float eps, float* dx, float* dgamma, float* dbeta, const float* relu_out,
              float* d_residual) {
  const int64_t C = geo.channels, GC = geo.groups * C;
  std::vector<float> invstd(static_cast<size_t>(GC));
  for (int64_t i = 0; i < GC; i++) invstd[i] = 1.0f / std::sqrt(var[i] + eps);
  // Sums of dy and of dy * (x - mean); xhat's invstd is applied after.
  std::vector<double> sums[2];
  GroupSums<2>(geo, [&](int64_t g, int64_t r, float* pp) {
    const int64_t at = (g * geo.rows + r) * C;
    const float* d = dy + at;
    const float* row = x + at;
    const float* m = mean + g * C;
    if (relu_out) {
      const float* o = relu_out + at;
#pragma omp simd
      for (int64_t c = 0; c < C; c++) {
        const float dm = d[c] * StepOf(o[c], 0.0f);
        pp[c] += dm;
        pp[C + c] += dm * (row[c] - m[c]);
      }
      return;
    }
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      pp[c] += d[c];
      pp[C + c] += d[c] * (row[c] - m[c]);
    }
  }, sums);
  std::vector<double> gsum(size_t(C), 0.0), bsum(size_t(C), 0.0);
  const size_t gc = static_cast<size_t>(GC);
  std::vector<float> k1(gc), k2(gc), k3(gc);
  const double inv_rows = 1.0 / double(geo.rows);
  for (int64_t g = 0; g < geo.groups; g++) {
    for (int64_t c = 0; c < C; c++) {
      const int64_t i = g * C + c;
      const double s = invstd[i];
      bsum[c] += sums[0][i];
      gsum[c] += sums[1][i] * s;
      k1[i] = static_cast<float>(gamma[c] * s);
      k2[i] = static_cast<float>(sums[0][i] * inv_rows);
      k3[i] = static_cast<float>(sums[1][i] * inv_rows * s * s);
    }
  }
  for (int64_t c = 0; c < C; c++) {
    dgamma[c] = static_cast<float>(gsum[c]);
    dbeta[c] = static_cast<float>(bsum[c]);
  }
  // Two inputs and five operations per element: twice a copy's work (three
  // times with the mask).
  EachRow(geo, relu_out ? 3 : 2, [&](int64_t g, int64_t gr) {
    const int64_t at = gr * C;
    const float* d = dy + at;
    const float* row = x + at;
    float* out = dx + at;
    const float *m = mean + g * C, *a = k1.data() + g * C, *b = k2.data() + g * C, *e = k3.data() + g * C;
    if (relu_out) {
      const float* o = relu_out + at;
      float* dr = d_residual ? d_residual + at : nullptr;
#pragma omp simd
      for (int64_t c = 0; c < C; c++) {
        const float dm = d[c] * StepOf(o[c], 0.0f);
        if (dr) dr[c] = dm;
        out[c] = a[c] * (dm - b[c] - (row[c] - m[c]) * e[c]);
      }
      return;
    }
#pragma omp simd
    for (int64_t c = 0; c < C; c++) out[c] = a[c] * (d[c] - b[c] - (row[c] - m[c]) * e[c]);
  });
}

bool ValidGeometry(const int64_t* g) { return g[0] >= 1 && g[1] >= 1 && g[2] >= 1 && g[0] * g[1] * g[2] < (int64_t(1) << 40); }

// How many floats a tensor argument spans: all of x, one per (group, channel), one per channel.
enum Extent { kAll, kStats, kChannels };

// One call's arguments: (heap, byte offsets..., groups, rows, channels, eps), each
// offset checked to hold its extent inside the heap. An offset of -1 means "absent"
// where bit i of `optional` is set (then at(i) is null).
struct Call {
  FlatArgs a;
  Geometry geo;
  float eps;
  float* at(int i) const { return a.ints[i] == -1 ? nullptr : reinterpret_cast<float*>(a.heap + a.ints[i]); }
};

template <size_t kOffsets>
const char* ReadCall(napi_env env, napi_callback_info info, const Extent (&extents)[kOffsets], unsigned optional, Call* call) {
  if (!ReadFlatArgs(env, info, kOffsets + 3, 1, &call->a)) return "expected (heap, offsets, groups, rows, channels, eps)";
  const int64_t* g = call->a.ints + kOffsets;
  if (!ValidGeometry(g)) return "bad geometry";
  call->geo = {g[0], g[1], g[2]};
  call->eps = static_cast<float>(call->a.doubles[0]);
  const size_t floats[3] = {size_t(g[0] * g[1] * g[2]), size_t(g[0] * g[2]), size_t(g[2])};
  for (size_t i = 0; i < kOffsets; i++) {
    if ((optional >> i & 1u) && call->a.ints[i] == -1) continue;
    if (!InHeap(call->a.ints[i], floats[extents[i]], call->a.heap_len)) return "tensor offset outside the heap or misaligned";
  }
  return nullptr;
}

}  // namespace

// batchNormForward(heap, offX, offGamma, offBeta, offY, offMean, offVar, groups, rows, channels, eps)
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  Call c;
  if (const char* err = ReadCall(env, info, {kAll, kChannels, kChannels, kAll, kStats, kStats}, 0, &c)) {
    return Throw(env, std::string("onednn batchNormForward: ") + err);
  }
  Forward(c.geo, c.at(0), c.at(1), c.at(2), c.eps, c.at(3), c.at(4), c.at(5), After{});
  return nullptr;
}

// batchNormReluForward(heap, offX, offGamma, offBeta, offY, offMean, offVar, offResidual, groups, rows, channels, eps):
// y = relu(batchNorm(x) + residual); offResidual -1 for none.
napi_value BatchNormReluForward(napi_env env, napi_callback_info info) {
  Call c;
  if (const char* err = ReadCall(env, info, {kAll, kChannels, kChannels, kAll, kStats, kStats, kAll}, 1u << 6, &c)) {
    return Throw(env, std::string("onednn batchNormReluForward: ") + err);
  }
  After after;
  after.relu = true;
  after.residual = c.at(6);
  Forward(c.geo, c.at(0), c.at(1), c.at(2), c.eps, c.at(3), c.at(4), c.at(5), after);
  return nullptr;
}

// batchNormBackward(heap, offDy, offX, offMean, offVar, offGamma, offDx, offDgamma, offDbeta, groups, rows, channels, eps)
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  Call c;
  if (const char* err = ReadCall(env, info, {kAll, kAll, kStats, kStats, kChannels, kAll, kChannels, kChannels}, 0, &c)) {
    return Throw(env, std::string("onednn batchNormBackward: ") + err);
  }
  Backward(c.geo, c.at(0), c.at(1), c.at(2), c.at(3), c.at(4), c.eps, c.at(5), c.at(6), c.at(7), nullptr, nullptr);
  return nullptr;
}

// batchNormReluBackward(heap, offDy, offX, offMean, offVar, offGamma, offDx, offDgamma, offDbeta, offY, offDresidual,
// groups, rows, channels, eps): the gradient of batchNormReluForward, y its output; offDresidual -1 for none.
napi_value BatchNormReluBackward(napi_env env, napi_callback_info info) {
  Call c;
  if (const char* err = ReadCall(env, info, {kAll, kAll, kStats, kStats, kChannels, kAll, kChannels, kChannels, kAll, kAll}, 1u << 9, &c)) {
    return Throw(env, std::string("onednn batchNormReluBackward: ") + err);
  }
  Backward(c.geo, c.at(0), c.at(1), c.at(2), c.at(3), c.at(4), c.eps, c.at(5), c.at(6), c.at(7), c.at(8), c.at(9));
  return nullptr;
}

}  // namespace streamssl
