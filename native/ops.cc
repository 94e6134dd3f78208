// Non-convolution kernels: oneDNN matmul, middle-axis sum / mean, broadcast
// binary ops, all in place on the wasm heap (see client/kernels/native/ops.ts).
// The sums and binary ops run on the OpenMP threads (ParallelRanges, common.h).
#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "common.h"

namespace streamssl {
namespace {

using dnnl::memory;

// Not convolutions, but after the convs the MoCo step's largest wasm costs are
// the queue-logits BatchMatMul and batch-norm's reductions over all but the
// channel axis (the wasm Sum/Mean transpose the input first to reduce its
// innermost axis).

struct MatmulPlan {
  dnnl::matmul prim;
  memory a, b, out;
};

// p = [BA, BB, M, K, N, transposeA, transposeB]; batch dims equal or one is 1.
MatmulPlan& GetMatmulPlan(const std::array<int, 7>& p) {
  thread_local std::map<std::array<int, 7>, std::unique_ptr<MatmulPlan>> cache;  // per caller, as conv.cc's plans
  auto it = cache.find(p);
  if (it != cache.end()) return *it->second;
  const memory::dim BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4], B = std::max(BA, BB);
  const auto f32 = memory::data_type::f32;
  // Transposes are just strides: tfjs stores a as [B, K, M] when transposeA.
  const memory::desc a_md({BA, M, K}, f32, p[5] ? memory::dims{K * M, 1, M} : memory::dims{M * K, K, 1});
  const memory::desc b_md({BB, K, N}, f32, p[6] ? memory::dims{N * K, 1, K} : memory::dims{K * N, N, 1});
  const memory::desc c_md({B, M, N}, f32, memory::dims{M * N, N, 1});
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), Engine());
  auto plan = std::make_unique<MatmulPlan>();
  plan->prim = dnnl::matmul(pd);
  plan->a = memory(a_md, Engine(), DNNL_MEMORY_NONE);
  plan->b = memory(b_md, Engine(), DNNL_MEMORY_NONE);
  plan->out = memory(c_md, Engine(), DNNL_MEMORY_NONE);
  return *cache.emplace(p, std::move(plan)).first->second;
}

// out[a, c] = scale * sum_r in[a, r, c]. Float partial sums over blocks of 64
// rows (vectorized along c), one block per work item on the OpenMP threads,
// then added into doubles in block order, so long sums (R = N*H*W) stay
// accurate and the result is the same on any number of threads.
void ReduceMiddle(const float* in, float* out, int64_t A, int64_t R, int64_t C, double scale) {
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (R + kBlock - 1) / kBlock;
  std::vector<float> part(size_t(A * blocks * C));
  ParallelRanges(A * blocks, std::min(R, kBlock) * C, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; item++) {
      const int64_t a = item / blocks, r0 = (item % blocks) * kBlock, r1 = std::min(R, r0 + kBlock);
      const float* base = in + a * R * C;
      float* pp = part.data() + item * C;
      if (C == 1) {
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t r = r0; r < r1; r++) s += base[r];
        pp[0] = s;
        continue;
      }
      std::fill(pp, pp + C, 0.0f);
      for (int64_t r = r0; r < r1; r++) {
        const float* row = base + r * C;
#pragma omp simd
        for (int64_t c = 0; c < C; c++) pp[c] += row[c];
      }
    }
  });
  ParallelRanges(A * C, blocks, [&](int64_t begin, int64_t end) {
    for (int64_t ac = begin; ac < end; ac++) {
      const int64_t a = ac / C, c = ac % C;
      const float* pp = part.data() + a * blocks * C + c;
      double acc = 0;
      for (int64_t b = 0; b < blocks; b++) acc += pp[b * C];
      out[ac] = static_cast<float>(acc * scale);
    }
  });
}

// out = x (op) y with broadcasting, shapes already collapsed by the caller to
// rank <= 6: dims[] of the output, per-input element strides (0 where the
// input is broadcast along that axis). The innermost axis is the hot loop.
// Rows [o0, o1) of the outer axes, elements [i0, i1) of each row.
template <typename Out, typename F>
void BinaryRows(const float* x, const float* y, Out* out, int rank, const int64_t* dims, const int64_t* sx,
                const int64_t* sy, int64_t o0, int64_t o1, int64_t i0, int64_t i1, F f) {
  const int64_t n = dims[rank - 1], ix = sx[rank - 1], iy = sy[rank - 1];
  // The multi-index of row o0 over the outer axes, and the inputs' offsets there.
  int64_t idx[6] = {0, 0, 0, 0, 0, 0};
  int64_t ox = 0, oy = 0;
  int64_t q = o0;
  for (int d = rank - 2; d >= 0; d--) {
    idx[d] = q % dims[d];
    q /= dims[d];
    ox += idx[d] * sx[d];
    oy += idx[d] * sy[d];
  }
  for (int64_t o = o0; o < o1; o++) {
    const float* xr = x + ox;
    const float* yr = y + oy;
    Out* dst = out + o * n;
    // Outputs are fresh tensors, never aliasing the inputs: tell the
    // vectorizer (GCC leaves these loops scalar otherwise).
    if (ix == 1 && iy == 1) {
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) dst[i] = f(xr[i], yr[i]);
    } else if (ix == 1 && iy == 0) {
      const float v = yr[0];
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) dst[i] = f(xr[i], v);
    } else if (ix == 0 && iy == 1) {
      const float v = xr[0];
#pragma omp simd
      for (int64_t i = i0; i < i1; i++) dst[i] = f(v, yr[i]);
    } else {
      for (int64_t i = i0; i < i1; i++) dst[i] = f(xr[i * ix], yr[i * iy]);
    }
    // Advance the multi-index over the outer axes (odometer).
    for (int d = rank - 2; d >= 0; d--) {
      ox += sx[d];
      oy += sy[d];
      if (++idx[d] < dims[d]) break;
      ox -= sx[d] * dims[d];
      oy -= sy[d] * dims[d];
      idx[d] = 0;
    }
  }
}

// Splits the rows over the threads, or, when there are fewer rows than
// threads (a same-shape op collapses to one row), each row's elements.
template <typename Out, typename F>
void BinaryLoop(const float* x, const float* y, Out* out, int rank, const int64_t* dims, const int64_t* sx,
                const int64_t* sy, F f) {
  const int64_t n = dims[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= dims[d];
  if (outer >= omp_get_max_threads() * 4) {
    ParallelRanges(outer, n, [&](int64_t o0, int64_t o1) { BinaryRows(x, y, out, rank, dims, sx, sy, o0, o1, 0, n, f); });
    return;
  }
  for (int64_t o = 0; o < outer; o++) {
    ParallelRanges(n, 1, [&](int64_t i0, int64_t i1) { BinaryRows(x, y, out, rank, dims, sx, sy, o, o + 1, i0, i1, f); });
  }
}

// op 4 (equal) writes tfjs bools: one byte each.
void Binary(int op, const float* x, const float* y, void* out_v, int rank, const int64_t* dims, const int64_t* sx,
            const int64_t* sy) {
  float* out = static_cast<float*>(out_v);
  switch (op) {
    case 4:
      return BinaryLoop(x, y, static_cast<uint8_t*>(out_v), rank, dims, sx, sy,
                        [](float a, float b) { return uint8_t(a == b); });
    case 0: return BinaryLoop(x, y, out, rank, dims, sx, sy, [](float a, float b) { return a + b; });
    case 1: return BinaryLoop(x, y, out, rank, dims, sx, sy, [](float a, float b) { return a - b; });
    case 2: return BinaryLoop(x, y, out, rank, dims, sx, sy, [](float a, float b) { return a * b; });
    // ReLU's gradient, dy * step(x): the product tfjs's composed gradient computes.
    case 5: return BinaryLoop(x, y, out, rank, dims, sx, sy, [](float a, float b) { return a * StepOf(b, 0.0f); });
    default: return BinaryLoop(x, y, out, rank, dims, sx, sy, [](float a, float b) { return a / b; });
  }
}

}  // namespace

// matmul(heap, offA, offB, offOut, Int32Array [BA, BB, M, K, N, transposeA, transposeB])
napi_value Matmul(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  uint8_t* heap;
  size_t heap_len;
  if (argc != 5 || !GetHeap(env, args[0], &heap, &heap_len)) return Throw(env, "onednn matmul: expected (heap, offA, offB, offOut, params)");
  const int32_t* data;
  size_t length;
  if (!GetInt32Array(env, args[4], &data, &length) || length != 7) return Throw(env, "onednn matmul: params must be an Int32Array of length 7");
  std::array<int, 7> p;
  std::memcpy(p.data(), data, sizeof p);
  for (int i = 0; i < 5; i++) if (p[i] <= 0) return Throw(env, "onednn matmul: sizes must be positive");
  if (p[0] != p[1] && p[0] != 1 && p[1] != 1) return Throw(env, "onednn matmul: batch sizes must match or be 1");
  const size_t sizes[3] = {size_t(p[0]) * p[2] * p[3], size_t(p[1]) * p[3] * p[4], size_t(std::max(p[0], p[1])) * p[2] * p[4]};
  int64_t off[3];
  for (int i = 0; i < 3; i++) {
    if (!GetInt(env, args[1 + i], &off[i]) || !InHeap(off[i], sizes[i], heap_len)) {
      return Throw(env, "onednn matmul: tensor offset outside the heap or misaligned");
    }
  }
  try {
    MatmulPlan& plan = GetMatmulPlan(p);
    plan.a.set_data_handle(heap + off[0]);
    plan.b.set_data_handle(heap + off[1]);
    plan.out.set_data_handle(heap + off[2]);
    plan.prim.execute(Stream(), {{DNNL_ARG_SRC, plan.a}, {DNNL_ARG_WEIGHTS, plan.b}, {DNNL_ARG_DST, plan.out}});
    Stream().wait();
  } catch (const std::exception& e) {
    return Throw(env, std::string("onednn matmul: ") + e.what());
  }
  return nullptr;
}

// reduce(heap, offIn, offOut, A, R, C, mean): out[a, c] = sum (or mean) over r of in[a, r, c].
napi_value Reduce(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  uint8_t* heap;
  size_t heap_len;
  if (argc != 7 || !GetHeap(env, args[0], &heap, &heap_len)) return Throw(env, "onednn reduce: expected (heap, offIn, offOut, A, R, C, mean)");
  int64_t v[6];
  for (int i = 0; i < 6; i++) if (!GetInt(env, args[1 + i], &v[i])) return Throw(env, "onednn reduce: integer arguments expected");
  const int64_t A = v[2], R = v[3], C = v[4];
  if (A <= 0 || R <= 0 || C <= 0) return Throw(env, "onednn reduce: sizes must be positive");
  if (!InHeap(v[0], size_t(A) * R * C, heap_len) || !InHeap(v[1], size_t(A) * C, heap_len)) {
    return Throw(env, "onednn reduce: tensor offset outside the heap or misaligned");
  }
  ReduceMiddle(reinterpret_cast<const float*>(heap + v[0]), reinterpret_cast<float*>(heap + v[1]), A, R, C,
               v[5] ? 1.0 / double(R) : 1.0);
  return nullptr;
}

// binary(heap, offX, offY, offOut, Int32Array [op, rank, dims[rank], sx[rank], sy[rank]])
// op: 0 add, 1 sub, 2 mul, 3 div, 5 x * step(y) (ReLU's gradient) (float32 out), 4 equal (bool out).
napi_value BinaryOp(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  uint8_t* heap;
  size_t heap_len;
  if (argc != 5 || !GetHeap(env, args[0], &heap, &heap_len)) return Throw(env, "onednn binary: expected (heap, offX, offY, offOut, params)");
  const int32_t* p;
  size_t length;
  if (!GetInt32Array(env, args[4], &p, &length) || length < 2) return Throw(env, "onednn binary: params must be an Int32Array");
  const int op = p[0], rank = p[1];
  if (op < 0 || op > 5 || rank < 1 || rank > 6 || length != size_t(2 + 3 * rank)) return Throw(env, "onednn binary: bad op or rank");
  int64_t dims[6], sx[6], sy[6];
  size_t total = 1, reach_x = 1, reach_y = 1;  // elements touched: 1 + sum (dim - 1) * stride
  for (int d = 0; d < rank; d++) {
    dims[d] = p[2 + d];
    sx[d] = p[2 + rank + d];
    sy[d] = p[2 + 2 * rank + d];
    if (dims[d] <= 0 || sx[d] < 0 || sy[d] < 0) return Throw(env, "onednn binary: bad dims or strides");
    total *= dims[d];
    reach_x += (dims[d] - 1) * sx[d];
    reach_y += (dims[d] - 1) * sy[d];
  }
  int64_t off[3];
  // Sizes in floats; the bool output of op 4 takes a quarter of that.
  const size_t sizes[3] = {reach_x, reach_y, op == 4 ? (total + 3) / 4 : total};
  for (int i = 0; i < 3; i++) {
    if (!GetInt(env, args[1 + i], &off[i]) || !InHeap(off[i], sizes[i], heap_len)) {
      return Throw(env, "onednn binary: tensor offset outside the heap or misaligned");
    }
  }
  Binary(op, reinterpret_cast<const float*>(heap + off[0]), reinterpret_cast<const float*>(heap + off[1]),
         heap + off[2], rank, dims, sx, sy);
  return nullptr;
}

}  // namespace streamssl
