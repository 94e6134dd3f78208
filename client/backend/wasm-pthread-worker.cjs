'use strict';
/*
 * The pthread worker of tfjs-backend-wasm's threaded build, as a file Node's worker_threads
 * can start. client/backend/wasm-threads.ts hands this path to Emscripten in place of the
 * `blob:` URL tfjs builds (Node cannot start a worker from a blob URL). Plain CommonJS, not
 * TypeScript: Emscripten creates the workers, so no loader option can be passed to them.
 *
 * It runs the package's own worker code (the same string tfjs would put in the blob), with
 * two adjustments that code needs to run as a Node file rather than a classic web worker:
 *  - it expects `require` and `__filename` as globals (a classic worker script runs at global
 *    scope; a CommonJS file gets them as module locals);
 *  - its 'load' message carries the Emscripten main script as a Blob, which it turns into a
 *    blob URL and reads synchronously with fs (its importScripts shim): impossible in Node.
 *    That Blob holds the *bundled* factory's source, which refers to names of the tfjs
 *    bundle's scope (require$$0, commonjsGlobal, ...) and could not run here anyway. So the
 *    worker loads the package's standalone Emscripten script instead: the same Emscripten
 *    build as the bundled one, so it matches the wasm binary and the main thread.
 *
 * With `workerData.probe` set, it only checks that all of this loads and reports back
 * (wasm-threads.ts does that before letting Emscripten start real workers, whose load
 * errors would otherwise crash the process instead of falling back).
 */
const { parentPort, workerData } = require('node:worker_threads');

const PKG = '@tensorflow/tfjs-backend-wasm/wasm-out/';
const mainScript = require.resolve(`${PKG}tfjs-backend-wasm-threaded-simd.js`);
const { wasmWorkerContents } = require(`${PKG}tfjs-backend-wasm-threaded-simd.worker.js`);

URL.createObjectURL = () => mainScript;
URL.revokeObjectURL = () => {};
globalThis.require = require;
globalThis.__filename = __filename;
// The string holds real newlines inside string literals; tfjs escapes them the same way
// before making its blob.
(0, eval)(wasmWorkerContents.replace(/\n/g, '\\n'));

if (workerData && workerData.probe) {
  globalThis.importScripts(mainScript);
  parentPort.postMessage({ probe: typeof globalThis.WasmBackendModuleThreadedSimd === 'function' });
}
