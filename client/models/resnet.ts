/**
 * A ResNet-18-style backbone (basic blocks, two per stage by default) with configurable
 * widths, for small images: 3x3 stem, no max-pool, as CIFAR variants of ResNet do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, bnDecls, conv, convDecls, type ForwardMode } from './layers.js';
import type { ParamDecl, Params } from './params.js';

export interface BackboneOptions {
  inputChannels: number;
  widths: number[];
  blocksPerStage: number;
  stemStride: 1 | 2;
}

interface BlockShape {
  name: string;
  cin: number;
  cout: number;
  stride: number;
  /** Last block of its stage: its output is that stage's representation. */
  endsStage: boolean;
}

function blocks(o: BackboneOptions): BlockShape[] {
  const out: BlockShape[] = [];
  let cin = o.widths[0];
  o.widths.forEach((cout, stage) => {
    for (let b = 0; b < o.blocksPerStage; b++) {
      out.push({ name: `backbone.s${stage}.b${b}`, cin, cout, stride: stage > 0 && b === 0 ? 2 : 1, endsStage: b === o.blocksPerStage - 1 });
      cin = cout;
    }
  });
  return out;
}

function hasProjection(b: BlockShape): boolean {
  return b.stride !== 1 || b.cin !== b.cout;
}

/** Parameter declarations of the backbone. */
export function backboneDecls(o: BackboneOptions): ParamDecl[] {
  const decls = [...convDecls('backbone.stem', 3, o.inputChannels, o.widths[0]), ...bnDecls('backbone.stem.bn', o.widths[0])];
  for (const b of blocks(o)) {
    decls.push(...convDecls(`${b.name}.conv1`, 3, b.cin, b.cout), ...bnDecls(`${b.name}.bn1`, b.cout));
    decls.push(...convDecls(`${b.name}.conv2`, 3, b.cout, b.cout), ...bnDecls(`${b.name}.bn2`, b.cout));
    if (hasProjection(b)) decls.push(...convDecls(`${b.name}.short`, 1, b.cin, b.cout), ...bnDecls(`${b.name}.short.bn`, b.cout));
  }
  return decls;
}

/** Feature size of the pooled representation. */
export function featureDim(o: BackboneOptions): number {
  return o.widths[o.widths.length - 1];
}

/**
 * Forward pass to the pooled representation [B, featureDim]. `stageOutputs`, when
 * given, receives each stage's pooled output (for layer-wise analyses).
 */
export function backboneForward(p: Params, o: BackboneOptions, x: tf.Tensor4D, mode: ForwardMode, stageOutputs?: tf.Tensor2D[]): tf.Tensor2D {
  let h = tf.relu(batchNorm(p, 'backbone.stem.bn', conv(p, 'backbone.stem', x, o.stemStride), mode));
  for (const b of blocks(o)) {
    const r1 = tf.relu(batchNorm(p, `${b.name}.bn1`, conv(p, `${b.name}.conv1`, h, b.stride), mode));
    const r2 = batchNorm(p, `${b.name}.bn2`, conv(p, `${b.name}.conv2`, r1, 1), mode);
    const shortcut = hasProjection(b) ? batchNorm(p, `${b.name}.short.bn`, conv(p, `${b.name}.short`, h, b.stride), mode) : h;
    h = tf.relu(tf.add(r2, shortcut)) as tf.Tensor4D;
    if (stageOutputs && b.endsStage) stageOutputs.push(tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
  return tf.mean(h, [1, 2]) as tf.Tensor2D;
}
