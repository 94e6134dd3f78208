import { describe, expect, it } from 'vitest';
import { encoderDecls, type EncoderOptions } from '../../../client/models/encoder.js';
import { encoderForwardFlops, encoderLayers, mocoStepFlops } from '../../../client/models/flops.js';

const tiny: EncoderOptions = {
  backbone: { inputChannels: 3, widths: [4, 8], blocksPerStage: 1, stemStride: 1 },
  hiddenDim: 16,
  outputDim: 8,
  init: 'he-fan-out',
};

const resnet18: EncoderOptions = {
  backbone: { inputChannels: 3, widths: [64, 128, 256, 512], blocksPerStage: 2, stemStride: 1 },
  hiddenDim: 512,
  outputDim: 128,
  init: 'he-fan-out',
};

describe('encoder FLOP count', () => {
  it('matches a hand computation on a tiny encoder (8x8x3 input)', () => {
    // stem 3x3 3->4 at 8x8:              2*64*9*3*4  = 13824
    // s0.b0 conv1, conv2 3x3 4->4, 8x8:  2*64*9*4*4  = 18432 each
    // s1.b0 conv1 3x3 4->8 stride 2, 4x4: 2*16*9*4*8 =  9216
    //       conv2 3x3 8->8, 4x4:         2*16*9*8*8  = 18432
    //       shortcut 1x1 4->8, 4x4:      2*16*4*8    =  1024
    // head 8->16->8:                     2*8*16 + 2*16*8 = 512
    expect(encoderForwardFlops(tiny, 8, 8)).toBe(13824 + 2 * 18432 + 9216 + 18432 + 1024 + 512);
  });

  it('gives the usual figure for a CIFAR ResNet-18 (0.555 G multiply-adds at 32x32)', () => {
    const backbone = encoderLayers(resnet18, 32, 32).filter((l) => l.kind === 'conv');
    expect(backbone.reduce((s, l) => s + l.flops, 0)).toBe(2 * 555_417_600);
    expect(encoderForwardFlops(resnet18, 32, 32)).toBe(2 * 555_417_600 + 2 * (512 * 512 + 512 * 128));
  });

  it('halves the spatial size with a stride-2 stem and rounds odd sizes up, as "same" padding does', () => {
    const stride2 = { ...tiny, backbone: { ...tiny.backbone, stemStride: 2 as const } };
    const [stem, , , conv1] = encoderLayers(stride2, 7, 7);
    expect([stem.hOut, stem.wOut]).toEqual([4, 4]);
    expect([conv1.hOut, conv1.wOut]).toEqual([2, 2]);
  });

  it('has one layer per conv and dense weight the model declares, with the same shapes', () => {
    for (const o of [tiny, resnet18]) {
      const fromFlops = encoderLayers(o, 32, 32).map((l) => `${l.name}.w ${l.kind === 'conv' ? [l.k, l.k, l.cin, l.cout] : [l.cin, l.cout]}`);
      const declared = encoderDecls(o)
        .filter((d) => d.name.endsWith('.w'))
        .map((d) => `${d.name} ${d.shape}`);
      expect(fromFlops.sort()).toEqual(declared.sort());
    }
  });

  it('counts a MoCo step as four forwards plus the queue logits', () => {
    const forward = encoderForwardFlops(tiny, 8, 8);
    expect(mocoStepFlops(tiny, 8, 8)).toBe(4 * forward);
    expect(mocoStepFlops(tiny, 8, 8, 64)).toBe(4 * forward + 2 * 2 * 8 * 64);
  });
});
