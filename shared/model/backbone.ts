/**
 * The layout of the ResNet-18-style backbone (basic blocks, a 3x3 stem, no max-pool, as
 * CIFAR variants of ResNet do): its blocks and their parameters. The forward pass over
 * them is client/models/resnet.ts.
 */
import { bnDecls, convDecls, type ParamDecl } from './decls.js';

export interface BackboneOptions {
  inputChannels: number;
  widths: number[];
  blocksPerStage: number;
  stemStride: 1 | 2;
}

/** One residual block: its name, channels in and out, and stride. */
export interface BlockShape {
  name: string;
  cin: number;
  cout: number;
  stride: number;
  /** Last block of its stage: its output is that stage's representation. */
  endsStage: boolean;
}

/** The blocks in order: `blocksPerStage` per width, stride 2 in the first block of every stage after the first. */
export function backboneBlocks(o: BackboneOptions): BlockShape[] {
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

/** Whether a block's shortcut is a 1x1 projection (where its shape changes). */
export function hasProjection(b: BlockShape): boolean {
  return b.stride !== 1 || b.cin !== b.cout;
}

/** Parameter declarations of the backbone (every name starts with `backbone.`). */
export function backboneDecls(o: BackboneOptions): ParamDecl[] {
  const decls = [...convDecls('backbone.stem', 3, o.inputChannels, o.widths[0]), ...bnDecls('backbone.stem.bn', o.widths[0])];
  for (const b of backboneBlocks(o)) {
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
