/**
 * What the union package `@tensorflow/tfjs` adds to tfjs-core, registered on import:
 * the gradient functions and the chained ops (`x.sum()`, `x.square()` on tensors).
 * tfjs-core's Node bundle has neither; they are in tfjs-core's ES module files, which Node
 * cannot load one by one (their imports name neither extensions nor index files).
 * scripts/build-js.mjs therefore bundles this module with what it imports (about 0.3 MB),
 * in place of the union package, which loads tfjs-layers, -converter, -data and
 * -backend-webgl besides. The copies of tfjs-core's ops in the bundle share the registries,
 * the engine and the tensor class of the tfjs-core the client imports (tfjs keeps those on
 * the global object), as the union package's own copies do.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
