/** Shape arithmetic shared by the element-wise binary kernels on the wasm heap. */

/**
 * Broadcast geometry of an element-wise binary op (the addon's,
 * ./wasm-js-kernels.ts's): output dims and per-input element strides
 * (0 where broadcast), with size-1 axes dropped and adjacent axes merged when
 * both inputs are contiguous across them (so [N,H,W,C] op [C] becomes
 * [N*H*W, C] with strides [C, 1] / [0, 1]). null if more than 6 axes remain.
 */
export function broadcastPlan(xShape: number[], yShape: number[], outShape: number[]):
  { dims: number[]; sx: number[]; sy: number[] } | null {
  const rank = outShape.length;
  const pad = (s: number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const xs = pad(xShape);
  const ys = pad(yShape);
  const strides = (s: number[]): number[] => {
    const st = new Array<number>(rank);
    let acc = 1;
    for (let d = rank - 1; d >= 0; d--) {
      st[d] = s[d] === 1 ? 0 : acc;
      acc *= s[d];
    }
    return st;
  };
  const stx = strides(xs);
  const sty = strides(ys);
  const dims: number[] = [];
  const sx: number[] = [];
  const sy: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && sx[last] === stx[d] * outShape[d] && sy[last] === sty[d] * outShape[d]) {
      dims[last] *= outShape[d];
      sx[last] = stx[d];
      sy[last] = sty[d];
    } else {
      dims.push(outShape[d]);
      sx.push(stx[d]);
      sy.push(sty[d]);
    }
  }
  if (dims.length === 0) return { dims: [1], sx: [0], sy: [0] };
  return dims.length <= 6 ? { dims, sx, sy } : null;
}
