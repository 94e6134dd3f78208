/**
 * Analytic FLOP counts of the encoder (ResNet backbone + projection head) and of one
 * MoCo step, for throughput figures in GFLOP/s. Pure: no tensors.
 *
 * Counted: the multiply-adds of convolutions and dense layers, two FLOPs each
 * (conv 2*Ho*Wo*k*k*Cin*Cout per image, dense 2*in*out). Batch norm, ReLU, pooling,
 * biases and other element-wise work are left out, as FLOP counts of CNNs usually do.
 */
import type { EncoderOptions } from './encoder.js';
import type { BackboneOptions } from './resnet.js';

/** One conv or dense layer, named like its weight in `encoderDecls` (without `.w`). */
export interface LayerFlops {
  name: string;
  kind: 'conv' | 'dense';
  /** Kernel side (1 for dense). */
  k: number;
  cin: number;
  cout: number;
  /** Output spatial size (1x1 for dense). */
  hOut: number;
  wOut: number;
  /** Forward FLOPs for one image. */
  flops: number;
}

/** Output side of a 'same'-padded convolution, as tf.conv2d computes it. */
function sameOut(size: number, stride: number): number {
  return Math.ceil(size / stride);
}

function convLayer(name: string, k: number, cin: number, cout: number, hOut: number, wOut: number): LayerFlops {
  return { name, kind: 'conv', k, cin, cout, hOut, wOut, flops: 2 * hOut * wOut * k * k * cin * cout };
}

function denseLayer(name: string, din: number, dout: number): LayerFlops {
  return { name, kind: 'dense', k: 1, cin: din, cout: dout, hOut: 1, wOut: 1, flops: 2 * din * dout };
}

/**
 * The conv layers of the backbone for an input of `height` x `width`, with the same
 * structure as `backboneForward` (stride 2 in the first block of every stage after the
 * first; a 1x1 projection shortcut where the shape changes).
 */
export function backboneLayers(o: BackboneOptions, height: number, width: number): LayerFlops[] {
  let h = sameOut(height, o.stemStride);
  let w = sameOut(width, o.stemStride);
  const layers = [convLayer('backbone.stem', 3, o.inputChannels, o.widths[0], h, w)];
  let cin = o.widths[0];
  o.widths.forEach((cout, stage) => {
    for (let b = 0; b < o.blocksPerStage; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const name = `backbone.s${stage}.b${b}`;
      const hIn = h;
      const wIn = w;
      h = sameOut(hIn, stride);
      w = sameOut(wIn, stride);
      layers.push(convLayer(`${name}.conv1`, 3, cin, cout, h, w), convLayer(`${name}.conv2`, 3, cout, cout, h, w));
      if (stride !== 1 || cin !== cout) layers.push(convLayer(`${name}.short`, 1, cin, cout, h, w));
      cin = cout;
    }
  });
  return layers;
}

/** Every conv and dense layer of the encoder, backbone then projection head. */
export function encoderLayers(o: EncoderOptions, height: number, width: number): LayerFlops[] {
  const feature = o.backbone.widths[o.backbone.widths.length - 1];
  return [...backboneLayers(o.backbone, height, width), denseLayer('head.fc1', feature, o.hiddenDim), denseLayer('head.fc2', o.hiddenDim, o.outputDim)];
}

/** Forward FLOPs of the encoder for one image. */
export function encoderForwardFlops(o: EncoderOptions, height: number, width: number): number {
  return encoderLayers(o, height, width).reduce((sum, l) => sum + l.flops, 0);
}

/**
 * FLOPs of one MoCo step per image (per pair of views): the online forward, its backward
 * (about twice the forward: input and weight gradients), and the key encoder's forward,
 * so about 4x the encoder's forward. `queueSize` adds the InfoNCE logits against the
 * queue (2*D*K forward, the same again for the query's gradient); 0 leaves them out.
 * Approximate: the stem needs no input gradient, which this does not subtract.
 */
export function mocoStepFlops(o: EncoderOptions, height: number, width: number, queueSize = 0): number {
  const logits = 2 * o.outputDim * queueSize;
  return 4 * encoderForwardFlops(o, height, width) + 2 * logits;
}
