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

void Forward(const Geometry& geo, const float* x, const float* gamma, const float* beta, float eps, float* y,
             float* mean, float* var) {
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
  EachRow(geo, 1, [&](int64_t g, int64_t gr) {
    const float* row = x + gr * C;
    float* out = y + gr * C;
    const float* s = scale.data() + g * C;
    const float* t = shift.data() + g * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) out[c] = row[c] * s[c] + t[c];
  });
}

// With xhat = (x - mean) * invstd:
//   dbeta = sum dy, dgamma = sum dy * xhat (over groups and rows),
//   dx = gamma * invstd * (dy - mean_g(dy) - xhat * mean_g(dy * xhat)).
void Backward(const Geometry& geo, const float* dy, const float* x, const float* mean, const float* var,
              const float* gamma, float eps, float* dx, float* dgamma, float* dbeta) {
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
  // Two inputs and five operations per element: twice a copy's work.
  EachRow(geo, 2, [&](int64_t g, int64_t gr) {
    const int64_t at = gr * C;
    const float* d = dy + at;
    const float* row = x + at;
    float* out = dx + at;
    const float *m = mean + g * C, *a = k1.data() + g * C, *b = k2.data() + g * C, *e = k3.data() + g * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) out[c] = a[c] * (d[c] - b[c] - (row[c] - m[c]) * e[c]);
  });
}

bool ValidGeometry(const int64_t* g) { return g[0] >= 1 && g[1] >= 1 && g[2] >= 1 && g[0] * g[1] * g[2] < (int64_t(1) << 40); }

// Each of the first `count` integer arguments (byte offsets) holds its tensor's
// extent (in floats) inside the heap.
bool CheckTensors(const FlatArgs& a, int count, const size_t* extents) {
  for (int i = 0; i < count; i++) {
    if (!InHeap(a.ints[i], extents[i], a.heap_len)) return false;
  }
  return true;
}

}  // namespace

// batchNormForward(heap, offX, offGamma, offBeta, offY, offMean, offVar, groups, rows, channels, eps)
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  FlatArgs a;
  if (!ReadFlatArgs(env, info, 9, 1, &a)) return Throw(env, "onednn batchNormForward: expected (heap, 6 offsets, groups, rows, channels, eps)");
  const int64_t* geo = a.ints + 6;
  if (!ValidGeometry(geo)) return Throw(env, "onednn batchNormForward: bad geometry");
  const size_t n = size_t(geo[0] * geo[1] * geo[2]), gc = size_t(geo[0] * geo[2]), c = size_t(geo[2]);
  const size_t extents[6] = {n, c, c, n, gc, gc};
  if (!CheckTensors(a, 6, extents)) return Throw(env, "onednn batchNormForward: tensor offset outside the heap or misaligned");
  auto f = [&](int i) { return reinterpret_cast<float*>(a.heap + a.ints[i]); };
  Forward({geo[0], geo[1], geo[2]}, f(0), f(1), f(2), static_cast<float>(a.doubles[0]), f(3), f(4), f(5));
  return nullptr;
}

// batchNormBackward(heap, offDy, offX, offMean, offVar, offGamma, offDx, offDgamma, offDbeta, groups, rows, channels, eps)
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  FlatArgs a;
  if (!ReadFlatArgs(env, info, 11, 1, &a)) return Throw(env, "onednn batchNormBackward: expected (heap, 8 offsets, groups, rows, channels, eps)");
  const int64_t* geo = a.ints + 8;
  if (!ValidGeometry(geo)) return Throw(env, "onednn batchNormBackward: bad geometry");
  const size_t n = size_t(geo[0] * geo[1] * geo[2]), gc = size_t(geo[0] * geo[2]), c = size_t(geo[2]);
  const size_t extents[8] = {n, n, gc, gc, c, n, c, c};
  if (!CheckTensors(a, 8, extents)) return Throw(env, "onednn batchNormBackward: tensor offset outside the heap or misaligned");
  auto f = [&](int i) { return reinterpret_cast<float*>(a.heap + a.ints[i]); };
  Backward({geo[0], geo[1], geo[2]}, f(0), f(1), f(2), f(3), f(4), static_cast<float>(a.doubles[0]), f(5), f(6), f(7));
  return nullptr;
}

}  // namespace streamssl
