/**
 * What `streamssl bench` measures: named model configurations, the scenario each one
 * stands for (so the bench trains exactly what a scenario with those widths and batch
 * size would, with the project's defaults for everything else). The JSON report's shape
 * is in report-types.ts.
 */
import { BATCH_NORM_KERNELS, CONV_ALGORITHMS, parseScenario, type BatchNormKernel, type ConvAlgorithm, type Scenario } from '../shared/scenario.js';

/** Input geometry of every configuration: 32x32 RGB, as CIFAR. */
export const IMAGE = { height: 32, width: 32, channels: 3 } as const;

export interface ModelConfig {
  widths: number[];
  /** MoCo batch size (two views of `batch` images per step). */
  batch: number;
}

/**
 * `small` and `resnet18` are the configurations the PyTorch reference measures too
 * (bench/reference/moco_torch.py); `tiny` keeps the smoke test fast.
 */
export const MODEL_CONFIGS = {
  tiny: { widths: [8, 16, 32, 64], batch: 16 },
  small: { widths: [16, 32, 64, 128], batch: 64 },
  resnet18: { widths: [64, 128, 256, 512], batch: 32 },
} as const satisfies Record<string, ModelConfig>;

export type ConfigName = keyof typeof MODEL_CONFIGS;
export const CONFIG_NAMES = Object.keys(MODEL_CONFIGS) as ConfigName[];

/**
 * A one-chunk scenario with these widths and batch: ResNet-18-style blocks (2 per stage,
 * 3x3 stem with stride 1), projection head 512-128, MoCo-v2 with queue 4096, T 0.2,
 * SGD momentum 0.9, and the default augmentation; evaluated as the quickstart is (kNN
 * bank and probe over 10,000 images, 5,000 scored, 20 probe epochs).
 */
export function benchScenario(config: ModelConfig): Scenario {
  return parseScenario(
    {
      name: 'bench',
      dataset: { name: 'synthetic', imageSize: IMAGE.height },
      stream: { type: 'instance', chunks: 1 },
      model: { widths: config.widths, blocksPerStage: 2, stemStride: 1, projectionHidden: 512, projectionDim: 128 },
      ssl: { method: 'moco-v2', temperature: 0.2, queueSize: 4096 },
      training: { batchSize: config.batch, optimizer: { name: 'sgd', momentum: 0.9 } },
      arms: [{ name: 'bench', mode: 'relay' }],
      evaluation: { trainSamples: 10_000, testSamples: 5000, linear: { epochs: 20 } },
    },
    'bench configuration',
  );
}

/** Milliseconds per step: measured end to end, and split into phases in a separate pass. */
export interface StepMs {
  /** Wall time per step of the throughput loop (what img/s is computed from). */
  total: number;
  /** Part of `total` spent waiting for the input pipeline (its prefetch hides the rest). */
  dataWait: number;
  /** Building the two augmented, normalized views in-thread, and uploading them. */
  data: number;
  /** Key-encoder forward + online forward and loss, without gradient. */
  forward: number;
  /** leanVariableGrads (the step's tf.variableGrads) of the online forward and loss, minus the online forward. */
  backward: number;
  /** Key-encoder momentum update + Sgd.apply + batch-norm running stats + enqueue. */
  optimizer: number;
}

/** A flag's value, refused with the choices when it is not one of them. */
function parseChoice<T extends string>(flag: string, choices: readonly T[], value: string | undefined): T {
  if (!choices.includes(value as T)) throw new Error(`${flag}: expected one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

/** A `--batch-norm` value. */
export const parseBatchNorm = (value: string | undefined): BatchNormKernel => parseChoice('--batch-norm', BATCH_NORM_KERNELS, value);

/** A `--convolutions` value. */
export const parseConvolutions = (value: string | undefined): ConvAlgorithm => parseChoice('--convolutions', CONV_ALGORITHMS, value);
