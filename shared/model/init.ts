/**
 * How parameters start: the scenario's `model.init` scheme, and the distribution each
 * declared parameter (./decls.ts) draws from under it. Pure, so the distributions are
 * stated (and tested) apart from the sampling, which is the client's
 * (client/models/params.ts).
 *
 * - `he-fan-out`: convolutions He-normal with fan-out, N(0, 2 / fan_out), as torchvision's
 *   ResNet initializes them (`kaiming_normal_(mode='fan_out', nonlinearity='relu')`); dense
 *   layers U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (torchvision leaves its `fc` at the Linear
 *   default); biases zero.
 * - `torch-default`: what PyTorch's `nn.Conv2d` and `nn.Linear` do when left alone
 *   (`reset_parameters`): weights `kaiming_uniform_(a=sqrt(5))`, biases
 *   U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 * - `xavier`: Glorot uniform (Glorot & Bengio 2010), U(-b, b) with
 *   b = sqrt(6 / (fan_in + fan_out)); biases zero.
 *
 * Every scheme applies to every convolution and dense layer: backbone, projection heads,
 * predictors, the supervised classifier, the distillation predictor. Batch norm starts at
 * scale 1, shift 0 under all of them.
 */
import type { ParamDecl } from './decls.js';

/** The `model.init` schemes. */
export const INIT_SCHEMES = ['he-fan-out', 'torch-default', 'xavier'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

/** The scheme when a scenario names none (what streamssl always did). */
export const DEFAULT_INIT: InitScheme = 'he-fan-out';

/** What a parameter's initial values are drawn from. */
export type ParamDistribution =
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; std: number }
  /** U(-bound, bound). */
  | { kind: 'uniform'; bound: number };

/** Fan-in and fan-out of a weight, as torch's `_calculate_fan_in_and_fan_out` counts them. */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * The fans of a kernel: [kh, kw, cin, cout] (receptive field times channels) or
 * [din, dout]. Our layouts put channels last, torch's first; the counts are the same.
 */
export function kernelFans(shape: readonly number[]): Fans {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
}

/**
 * torch.nn.init.kaiming_uniform_'s bound for negative slope `a` (leaky_relu gain
 * sqrt(2 / (1 + a^2)), std = gain / sqrt(fan), bound = sqrt(3) * std), computed in the
 * same order. With a = sqrt(5) it is 1 / sqrt(fan_in) up to rounding.
 */
export function kaimingUniformBound(a: number, fan: number): number {
  const gain = Math.sqrt(2 / (1 + a ** 2));
  return Math.sqrt(3) * (gain / Math.sqrt(fan));
}

/** torch.nn.init.xavier_uniform_'s bound with gain 1: sqrt(3) * sqrt(2 / (fan_in + fan_out)). */
export function xavierUniformBound({ fanIn, fanOut }: Fans): number {
  return Math.sqrt(3) * Math.sqrt(2 / (fanIn + fanOut));
}

/** The uniform bound torch gives a bias: 1 / sqrt(fan_in of its layer's weight), 0 when that is 0. */
export function torchBiasBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

function weightDistribution(role: 'conv' | 'dense', shape: readonly number[], scheme: InitScheme): ParamDistribution {
  const fans = kernelFans(shape);
  switch (scheme) {
    case 'he-fan-out':
      // These two expressions are the ones streamssl always used: the default stays bit for bit.
      if (role === 'conv') return { kind: 'normal', std: Math.sqrt(2 / fans.fanOut) };
      return { kind: 'uniform', bound: 1 / Math.sqrt(fans.fanIn) };
    case 'torch-default':
      return { kind: 'uniform', bound: kaimingUniformBound(Math.sqrt(5), fans.fanIn) };
    case 'xavier':
      return { kind: 'uniform', bound: xavierUniformBound(fans) };
  }
}

/** The distribution `decl` starts from under `scheme`. */
export function paramDistribution(decl: ParamDecl, scheme: InitScheme): ParamDistribution {
  switch (decl.init) {
    case 'ones':
      return { kind: 'constant', value: 1 };
    case 'zeros':
      return { kind: 'constant', value: 0 };
    case 'conv':
    case 'dense':
      return weightDistribution(decl.init, decl.shape, scheme);
    case 'bias':
      if (scheme !== 'torch-default') return { kind: 'constant', value: 0 };
      if (decl.fanIn === undefined) throw new Error(`bias "${decl.name}" declares no fan-in`);
      return { kind: 'uniform', bound: torchBiasBound(decl.fanIn) };
  }
}
