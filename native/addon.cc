// oneDNN convolutions (and a few other hot kernels) for the tfjs wasm backend;
// the JS side is client/kernels/native/.
//
// Why: tfjs's wasm convolutions run at ~17-45 GFLOP/s on one core, oneDNN's
// JIT kernels (the ones PyTorch uses on CPU) at ~150-250 here. The tensors live
// in the wasm heap, so every call gets that heap (a Uint8Array over the wasm
// Memory, re-fetched by the caller since growth replaces it) plus byte
// offsets: inputs are read and the output written in place, no copies.
// Layouts are tfjs's: NHWC activations, HWIO ([kh,kw,ci,co]) filters.
//
// JS API (all synchronous, main thread only):
//   conv(kind, heap, offA, offB, offOut, p)  kind 0: y  = conv(x=A, w=B)
//                                            kind 1: dx = bwd_data(dy=A, w=B)
//                                            kind 2: dw = bwd_weights(x=A, dy=B)
//     p: Int32Array [N,H,W,Ci,Co,KH,KW,OH,OW,SH,SW,PT,PL,PB,PR,DH,DW,LAYOUT]
//     (dilations DH/DW tfjs-style, 1 = none; LAYOUT 0 = run the primitive on
//     the plain tfjs layouts, 1 = let oneDNN pick blocked layouts and reorder:
//     measured 2-4x faster, see bench/native-conv.ts).
//   matmul(heap, offA, offB, offOut, [BA,BB,M,K,N,transA,transB])  (oneDNN)
//   reduce(heap, offIn, offOut, A, R, C, mean)   sum/mean over the middle axis
//   binary(heap, offX, offY, offOut, [op, rank, dims, xStrides, yStrides])
//   unary(heap, offX, offOut, n, op, alpha)  relu, step, square, ... (eltwise.cc)
//   (reduce, binary and unary run their loops on the OpenMP threads too)
//   implName(kind, p) -> oneDNN implementation name (e.g. "jit:avx512_core")
//   setNumThreads(n), maxThreads(), version(), cacheSize(), clearCache()
#include <string>

#include "common.h"

namespace streamssl {
namespace {

// OpenMP's thread count is per calling thread: each JS thread that calls the
// addon (main or worker) sets its own, and its kernels run on its own team.
napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  NAPI_OK(napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr));
  int64_t n;
  if (argc != 1 || !GetInt(env, arg, &n) || n < 1) return Throw(env, "onednn setNumThreads: expected a positive integer");
  omp_set_num_threads(static_cast<int>(n));
  return nullptr;
}

napi_value MaxThreads(napi_env env, napi_callback_info) {
  napi_value out;
  NAPI_OK(napi_create_int32(env, omp_get_max_threads(), &out));
  return out;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl::version_t* v = dnnl::version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  NAPI_OK(napi_create_string_utf8(env, s.c_str(), s.size(), &out));
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, BinaryOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, UnaryOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormReluForward", nullptr, BatchNormReluForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormReluBackward", nullptr, BatchNormReluBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdMomentum", nullptr, SgdMomentumOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"movingAverage", nullptr, MovingAverageOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implName", nullptr, ImplName, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setNumThreads", nullptr, SetNumThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxThreads", nullptr, MaxThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cacheSize", nullptr, CacheSize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"clearCache", nullptr, ClearCache, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return nullptr;
  return exports;
}

}  // namespace
}  // namespace streamssl

NAPI_MODULE(NODE_GYP_MODULE_NAME, streamssl::Init)
