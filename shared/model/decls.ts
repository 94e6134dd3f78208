/**
 * Parameter declarations of the layers models are built from: each layer's named arrays,
 * their shapes and how they start. Pure (no TensorFlow.js), so that the coordinator can
 * know the parameter layout a state must have (../state/manifest.ts) from the same
 * declarations the client builds its variables from (client/models/).
 */

/** A named array of a state: its name and shape (every array travels as float32). */
export interface ArrayDecl {
  name: string;
  shape: number[];
}

/**
 * A parameter's declared shape and its role in the layer, which with the scenario's init
 * scheme gives the distribution it starts from (./init.ts).
 */
export interface ParamDecl extends ArrayDecl {
  init: 'conv' | 'dense' | 'bias' | 'ones' | 'zeros';
  /** A bias's layer fan-in: PyTorch bounds a bias's initial values by it. */
  fanIn?: number;
  trainable: boolean;
}

/** A k x k convolution's kernel `${name}.w` [k, k, cin, cout] (no bias: batch norm follows). */
export function convDecls(name: string, k: number, cin: number, cout: number): ParamDecl[] {
  return [{ name: `${name}.w`, shape: [k, k, cin, cout], init: 'conv', trainable: true }];
}

/** Batch norm's scale and shift (trained) and running mean and variance (buffers). */
export function bnDecls(name: string, c: number): ParamDecl[] {
  return [
    { name: `${name}.gamma`, shape: [c], init: 'ones', trainable: true },
    { name: `${name}.beta`, shape: [c], init: 'zeros', trainable: true },
    { name: `${name}.mean`, shape: [c], init: 'zeros', trainable: false },
    { name: `${name}.var`, shape: [c], init: 'ones', trainable: false },
  ];
}

/** A dense layer's weight `${name}.w` [din, dout] and bias `${name}.b` [dout]. */
export function denseDecls(name: string, din: number, dout: number): ParamDecl[] {
  return [
    { name: `${name}.w`, shape: [din, dout], init: 'dense', trainable: true },
    { name: `${name}.b`, shape: [dout], init: 'bias', fanIn: din, trainable: true },
  ];
}
