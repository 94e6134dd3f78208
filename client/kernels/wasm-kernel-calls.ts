/**
 * Tiny helper for composing a kernel out of *other registered wasm kernels*
 * without going through the engine (no tensors, no tape, no tidy): it calls
 * their `kernelFunc`s directly on TensorInfos and remembers every TensorInfo it
 * produced so the caller can free all intermediates in one `finally`.
 *
 * Ownership rule: every TensorInfo returned by a method here is owned by the
 * helper (one reference on its dataId) until {@link WasmKernelCalls.keep}
 * hands it to the caller. Kernels that alias their input (Reshape) bump the
 * refcount of the shared dataId, so disposing each
 * TensorInfo exactly once is always correct. The one exception is
 * {@link WasmKernelCalls.cropSpatial} with nothing to crop, which hands back
 * its (borrowed) argument.
 */
import {
  Concat, Conv2D, Fill, getKernel, Reshape, Transpose,
  type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** [[0,0],[top,bottom],[left,right],[0,0]] — explicit NHWC conv padding. */
export type NhwcPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Calls registered wasm kernels and tracks the intermediates they return. */
export class WasmKernelCalls {
  private readonly temps = new Set<TensorInfo>();

  constructor(private readonly backend: BackendWasm) {}

  /** Run the wasm kernel `name`; the result is tracked as a temporary. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
    const config = getKernel(name, 'wasm');
    if (config === undefined) {
      throw new Error(`wasm-conv-grads: wasm kernel '${name}' is not registered`);
    }
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) {
      throw new Error(`wasm-conv-grads: kernel '${name}' returned several outputs`);
    }
    this.temps.add(out);
    return out;
  }

  /** Stop tracking `t` (it becomes the caller's kernel output). */
  keep(t: TensorInfo): TensorInfo {
    if (!this.temps.delete(t)) {
      throw new Error('wasm-conv-grads: keep() of a tensor the helper does not own');
    }
    return t;
  }

  /** Release every tracked intermediate (one reference each). */
  disposeTemps(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.clear();
  }

  /** NHWC forward convolution on the wasm (XNNPack) Conv2D kernel, stride 1. */
  conv2d(x: TensorInfo, filter: TensorInfo, pad: NhwcPadding, dilations: [number, number]): TensorInfo {
    return this.run(Conv2D, { x, filter }, {
      strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined,
    } as unknown as NamedAttrMap);
  }

  /** wasm Transpose (native; fast up to rank 4, very slow above). */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run(Transpose, { x }, { perm });
  }

  /** wasm Reshape: no copy, shares (and ref-counts) the dataId of `x`. */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run(Reshape, { x }, { shape });
  }

  /**
   * Crop axes 1 and 2 of a rank-4 float32 [A, H, W, C] tensor to rows
   * rowBegin..rowBegin+rows-1 and cols colBegin..colBegin+cols-1.
   * Returns `x` itself (borrowed, not tracked) when nothing is cropped.
   *
   * Not the wasm Slice kernel: that one is JavaScript which first copies the
   * *whole* input out of the heap (readSync) and then copies one innermost
   * run per call. Here we copy straight between heap views, one run per kept
   * row (or per kept row segment when columns are cropped too).
   */
  cropSpatial(x: TensorInfo, rowBegin: number, rows: number, colBegin: number, cols: number): TensorInfo {
    const [a, h, w, c] = x.shape;
    if (rowBegin === 0 && rows === h && colBegin === 0 && cols === w) return x;
    if (x.dtype !== 'float32') throw new Error('wasm-conv-grads: cropSpatial expects float32');
    const out = this.backend.makeOutput([a, rows, cols, c], 'float32');
    this.temps.add(out);
    // Views are taken after makeOutput, which may grow (and so replace) the heap.
    const src = this.backend.typedArrayFromHeap(x);
    const dst = this.backend.typedArrayFromHeap(out);
    const run = cols * c;
    let o = 0;
    for (let i = 0; i < a; i++) {
      for (let r = rowBegin; r < rowBegin + rows; r++) {
        const start = ((i * h + r) * w + colBegin) * c;
        dst.set(src.subarray(start, start + run), o);
        o += run;
      }
    }
    return out;
  }

  /**
   * Rows `rows[0], rows[1], ...` of a float32 [R, B] tensor, as [rows.length, B].
   * A heap-to-heap copy of whole rows: used to pick (and reorder) filter taps,
   * which the wasm Reverse / StridedSlice kernels do element by element
   * (several ms for a 3x3x64x128 filter).
   */
  gatherRows(x: TensorInfo, rows: number[]): TensorInfo {
    const [r, b] = x.shape;
    if (x.dtype !== 'float32' || x.shape.length !== 2) throw new Error('wasm-conv-grads: gatherRows expects float32 [R, B]');
    const out = this.backend.makeOutput([rows.length, b], 'float32');
    this.temps.add(out);
    const src = this.backend.typedArrayFromHeap(x);
    const dst = this.backend.typedArrayFromHeap(out);
    rows.forEach((row, i) => {
      if (row < 0 || row >= r) throw new Error(`wasm-conv-grads: gatherRows row ${row} out of [0, ${r})`);
      dst.set(src.subarray(row * b, row * b + b), i * b);
    });
    return out;
  }

  /** Concatenate along `axis` (wasm Concat copies with typed-array `set`). */
  concat(xs: TensorInfo[], axis: number): TensorInfo {
    // Concat's inputs are a TensorInfo[] rather than a name map.
    return this.run(Concat, xs as unknown as NamedTensorInfoMap, { axis });
  }

  /** float32 zeros via the wasm Fill kernel. */
  zeros(shape: number[]): TensorInfo {
    return this.run(Fill, {}, { shape, value: 0, dtype: 'float32' });
  }
}
