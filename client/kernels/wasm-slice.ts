/**
 * `Slice` and `SplitV` for the tfjs wasm backend as copies from heap to heap. The
 * wasm kernels first copy the whole input out of the heap into a fresh JavaScript
 * array (`readSync`), then slice that: every slice of MoCo's queue copied the whole
 * queue, the gradient of the logits' concat copied all the logits once per part,
 * and the kNN's test-row blocks copied every test feature once per block.
 */
import { backend_util, slice_util, util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface Args { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs?: NamedAttrMap }

type HeapArray = Float32Array | Int32Array | Uint8Array;

const COPYABLE = new Set(['float32', 'int32', 'bool']);

/** True when the kernels below copy `x` (numeric, at least one axis, not empty); other cases go to tfjs's. */
function sliceable(x: TensorInfo): boolean {
  return COPYABLE.has(x.dtype) && x.shape.length > 0 && util.sizeFromShape(x.shape) > 0;
}

/**
 * x[begin : begin + size] (per axis) into a new tensor. The trailing axes that are
 * copied whole merge with the last sliced one into one contiguous run, so the copy
 * is one `set` per run: one for a block of rows, one per row for a block of columns.
 */
function sliceOnHeap(backend: BackendWasm, x: TensorInfo, begin: readonly number[], size: readonly number[]): TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  const total = util.sizeFromShape([...size]);
  if (total === 0) return out;
  // Views taken after makeOutput, which may grow (and so move) the heap.
  const src = backend.typedArrayFromHeap(x) as HeapArray;
  const dst = backend.typedArrayFromHeap(out) as HeapArray;
  const shape = x.shape;
  const strides = util.computeStrides(shape);
  // The run: from the last axis not copied whole (inclusive) to the end.
  let runAxis = shape.length - 1;
  while (runAxis > 0 && size[runAxis] === shape[runAxis]) runAxis--;
  const run = size.slice(runAxis).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, runAxis);
  const at = new Array<number>(runAxis).fill(0);
  const start = (): number => {
    // computeStrides leaves out the last axis's stride (1).
    let offset = begin[runAxis] * (strides[runAxis] ?? 1);
    for (let a = 0; a < runAxis; a++) offset += (begin[a] + at[a]) * strides[a];
    return offset;
  };
  for (let o = 0; o < total; o += run) {
    const from = start();
    // Short runs (a column of a matrix) element by element: a view per run costs more.
    if (run < 16) for (let k = 0; k < run; k++) dst[o + k] = src[from + k];
    else dst.set(src.subarray(from, from + run), o);
    // Next outer index, last axis fastest.
    for (let a = runAxis - 1; a >= 0; a--) {
      if (++at[a] < outer[a]) break;
      at[a] = 0;
    }
  }
  return out;
}

/** The Slice kernel: `fallback` for what {@link sliceable} refuses. */
export function sliceKernel(fallback: (args: Args) => TensorInfo) {
  return (args: Args): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (!sliceable(x)) return fallback(args);
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs?.begin as number[], attrs?.size as number[]);
    slice_util.assertParamsValid(x as never, begin, size);
    return sliceOnHeap(backend, x, begin, size);
  };
}

/** The SplitV kernel, as one heap slice per part: `fallback` for what {@link sliceable} refuses. */
export function splitVKernel(fallback: (args: Args) => TensorInfo[]) {
  return (args: Args): TensorInfo[] => {
    const { inputs: { x }, backend, attrs } = args;
    if (!sliceable(x)) return fallback(args);
    const axis = util.parseAxisParam(attrs?.axis as number, x.shape)[0];
    const parts = backend_util.prepareSplitSize(x as never, attrs?.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    const size = [...x.shape];
    return parts.map((s) => {
      size[axis] = s;
      const part = sliceOnHeap(backend, x, begin, size);
      begin[axis] += s;
      return part;
    });
  };
}
