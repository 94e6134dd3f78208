/**
 * What a native kernel needs to work in place on the wasm heap; ./ops.ts gives
 * it to the kernel families it registers (./eltwise.ts, ./batchnorm.ts, ./optim.ts).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { OneDnnAddon } from './onednn.js';

export interface HeapContext {
  addon(): OneDnnAddon;
  /** The wasm memory as bytes (a fresh view: the heap may have grown). */
  heapOf(backend: BackendWasm): Uint8Array;
  /** Byte offset of a tensor's data in the heap. */
  offset(backend: BackendWasm, t: TensorInfo): number;
}
