/**
 * The scenario file: schema, defaults, parsing and `--set key.path=value` overrides.
 * The `dataset`, `ssl`, `arms` and `analysis` fields have files of their own (dataset-schema.ts,
 * ssl-options/, arm-schema.ts, analysis-schema.ts).
 *
 * A scenario is validated as a whole before anything runs; every problem is reported
 * with its JSON path, so a typo or an impossible value fails fast and names the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { analysisSchema } from './analysis-schema.js';
import { armSchema } from './arm-schema.js';
import { datasetSchema } from './dataset-schema.js';
import { INIT_SCHEMES } from './model/init.js';
import { positiveInt, safeFileName } from './schema-primitives.js';
import { sslSchema } from './ssl-options/index.js';
import { DEFAULT_TRANSFER, transferSchema } from './wire/transfer-spec.js';

/** `composed`: tfjs ops (the default); `fused`: one op where the backend has it. */
export const BATCH_NORM_KERNELS = ['composed', 'fused'] as const;
/** `direct` (the default) or `winograd` 3x3 convolutions where the backend has them and they are faster. */
export const CONV_ALGORITHMS = ['direct', 'winograd'] as const;

/** Stream types (shared/stream/index.ts has one splitter per name). */
export const STREAM_TYPES = ['instance', 'random-class', 'distant-class', 'domain', 'dirichlet'] as const;
export type StreamType = (typeof STREAM_TYPES)[number];
export const DOMAIN_STYLES = ['original', 'inverted', 'edges', 'blurred'] as const;
export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

const streamSchema = z.strictObject({
  type: z.enum(STREAM_TYPES),
  chunks: z.number().int().min(1).max(1000),
  /** distant-class: groups of class ids; chunks take whole groups. Defaults per dataset. */
  superclasses: z.array(z.array(z.number().int().min(0))).optional(),
  /** domain: one style per chunk (single-domain data). Defaults cycle through DOMAIN_STYLES. */
  styles: z.array(z.enum(DOMAIN_STYLES)).optional(),
  /** dirichlet (required): each chunk's class proportions are drawn from Dir(alpha); small alpha skews, large is near-uniform. */
  alpha: z.number().gt(0).max(1e6).optional(),
  /** instance, dirichlet: relative chunk sizes, one weight per chunk or a power law (chunk k weighs (k+1)^-exponent). */
  sizes: z
    .union([z.array(z.number().gt(0).max(1e9)).min(1).max(1000), z.strictObject({ type: z.literal('power'), exponent: z.number().min(0).max(10) })], {
      error: 'expected one positive weight per chunk, or { "type": "power", "exponent": e } with 0 <= e <= 10',
    })
    .optional(),
});

/** Stream fields that apply only to some stream types, or must agree with `chunks`. */
function streamProblems(stream: z.infer<typeof streamSchema>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (stream.type === 'dirichlet' && stream.alpha === undefined) problems.push({ path: 'alpha', message: 'the "dirichlet" stream needs alpha (> 0)' });
  if (stream.alpha !== undefined && stream.type !== 'dirichlet') problems.push({ path: 'alpha', message: 'alpha applies only to the "dirichlet" stream' });
  if (stream.sizes && stream.type !== 'instance' && stream.type !== 'dirichlet') {
    problems.push({ path: 'sizes', message: 'sizes apply only to the "instance" and "dirichlet" streams' });
  }
  if (Array.isArray(stream.sizes) && stream.sizes.length !== stream.chunks) {
    problems.push({ path: 'sizes', message: `needs one weight per chunk (${stream.chunks}), got ${stream.sizes.length}` });
  }
  return problems;
}

const modelSchema = z.strictObject({
  widths: z.array(positiveInt).min(1).max(6).default([16, 32, 64, 128]),
  blocksPerStage: z.number().int().min(1).max(4).default(2),
  /** Stride of the stem convolution: 2 trades resolution for speed on CPU. */
  stemStride: z.union([z.literal(1), z.literal(2)]).default(1),
  projectionHidden: positiveInt.default(512),
  projectionDim: positiveInt.default(128),
  /**
   * How convolutions and dense layers start (shared/model/init.ts). Absent means
   * he-fan-out: left out rather than defaulted, so tasks planned before the option
   * existed compare equal on resume.
   */
  init: z.enum(INIT_SCHEMES).optional(),
  /**
   * How training batch norm computes: `fused`, one op and its gradient in two
   * passes each (the oneDNN addon on wasm: about twice the steps per second);
   * absent (`composed`), tfjs ops as before. Same math, another float32
   * rounding: left out rather than defaulted, so runs measured before keep
   * their numbers and tasks planned before compare equal on resume.
   */
  batchNorm: z.enum(BATCH_NORM_KERNELS).optional(),
  /**
   * How convolutions compute: `winograd` asks the oneDNN addon for winograd
   * 3x3 stride-1 convolutions where it has them and they were measured faster
   * (at least 32 channels, outputs of 4x4 or more: client/kernels/native/
   * conv-algorithm.ts), in training and evaluation alike; fewer multiplications,
   * another float32 rounding (about twice direct's error). Absent (`direct`): as
   * before, left out rather than defaulted for the same reasons as batchNorm.
   * Other backends ignore it.
   */
  convolutions: z.enum(CONV_ALGORITHMS).optional(),
});

const optimizerSchema = z.strictObject({
  name: z.enum(['sgd']).default('sgd'),
  lr: z.number().gt(0).lte(10).default(0.06),
  momentum: z.number().min(0).lt(1).default(0.9),
  weightDecay: z.number().min(0).lt(1).default(5e-4),
});

const trainingSchema = z.strictObject({
  epochsPerChunk: z.number().gt(0).max(10_000).default(1),
  batchSize: z.number().int().min(2).max(4096).default(128),
  optimizer: optimizerSchema.default({ name: 'sgd', lr: 0.06, momentum: 0.9, weightDecay: 5e-4 }),
  /** cosine decays over each arm's total steps; constant keeps lr fixed. */
  schedule: z.enum(['cosine', 'constant']).default('cosine'),
  /** Whether the optimizer's momentum buffers travel with the model between chunks. */
  keepOptimizerState: z.boolean().default(true),
});

const evaluationSchema = z.strictObject({
  /** Evaluate after every relay stage (kNN and linear probe), not only at the end. */
  everyStage: z.boolean().default(true),
  /** Labeled training samples whose features form the kNN bank and probe training set. */
  trainSamples: positiveInt.default(10_000),
  /** Test samples scored. */
  testSamples: positiveInt.default(10_000),
  knn: z.strictObject({ k: positiveInt.default(20), temperature: z.number().gt(0).default(0.07) }).default({ k: 20, temperature: 0.07 }),
  linear: z
    .strictObject({ epochs: positiveInt.default(30), lr: z.number().gt(0).default(0.01), batchSize: positiveInt.default(256) })
    .default({ epochs: 30, lr: 0.01, batchSize: 256 }),
});

const clientsSchema = z.strictObject({
  /** Client processes to spawn; default one per chunk. */
  count: positiveInt.optional(),
  backend: z.enum(BACKEND_NAMES).default('auto'),
  /**
   * Compute threads per spawned client (the wasm backend; native backends size their own
   * pools). Default: the cores divided among the clients that train at the same time
   * (one per arm when arms run in parallel), at least 1.
   */
  threads: positiveInt.optional(),
  /** Run arms at the same time when there are free clients (relay and joint are independent). */
  parallelArms: z.boolean().default(true),
  /** Seconds a stage may take before the client is presumed lost. */
  stageTimeoutSeconds: z.number().positive().default(3600),
  /**
   * Seconds a client that accepted a task may show no sign of work (a progress report, a
   * chunk of its result upload) before it is presumed stuck: its session is ended and the
   * task retried elsewhere. Training reports progress every second or so; loading a large
   * image folder or evaluating on it reports none, so this must exceed the longest of those.
   * Never shorter than `heartbeatSeconds` in effect: a network cut the heartbeat tolerates
   * must not end the session as stuck.
   */
  progressTimeoutSeconds: z.number().positive().default(600),
  /**
   * Seconds a client may stay silent (no heartbeat) before it is presumed gone: a network
   * cut is detected within this bound; a crashed client at once, by its closed socket. A
   * client answers heartbeats between training steps, so this must exceed the longest
   * step or evaluation it computes: lower detects cuts sooner, but too low drops clients
   * that are merely busy.
   */
  heartbeatSeconds: z.number().min(1).default(300),
  /** Times a stage (or the stream plan, or the random-init evaluation) is retried after its client was lost. */
  retries: z.number().int().min(0).max(1000).default(2),
  /**
   * Seconds a task waits for a client while none is connected (a remote one reconnecting,
   * a local one restarting) before its arm fails.
   */
  reconnectWaitSeconds: z.number().positive().default(300),
  /** Times each locally spawned client process is restarted after it died. */
  restarts: z.number().int().min(0).max(10_000).default(3),
  /**
   * Where the chunks' data is held: `everywhere` (every client can train on every chunk)
   * or `partitioned` (spawned client i holds the chunks k with k mod clients = i; a relay
   * stage or fedavg task of chunk k then runs only on a client holding k).
   */
  placement: z.enum(['everywhere', 'partitioned']).default('everywhere'),
  /** GPU ids spawned clients are assigned to round-robin (CUDA_VISIBLE_DEVICES); `--gpus 0,1` overrides. */
  gpus: z.array(z.string().regex(/^[0-9A-Za-z-]+$/, 'a GPU id such as "0" or a GPU UUID')).min(1).optional(),
});

export const scenarioSchema = z
  .strictObject({
    /** Names the run folder (runs/<name>-<time>, a suite's <out>/<name>): a safe file name. */
    name: safeFileName,
    seed: z.number().int().min(0).default(0),
    /**
     * Seeds to run every arm and the random-init floor with, once each (`--seeds N` gives
     * seed .. seed+N-1); with two or more the run folder holds one run per seed
     * (server/run/seeds.ts) and results.json their statistics. Absent: `seed` alone.
     */
    seeds: z.array(z.number().int().min(0)).min(1).max(100).optional(),
    /**
     * What the seeds vary: `training` (default) data order, augmentation, initialization,
     * replay choice and evaluation subsets, with the stream split fixed at `seed`; `split`
     * the split too.
     */
    seedsVary: z.enum(['training', 'split']).optional(),
    /** The seed of the stream split (which samples each chunk holds); default `seed`. */
    splitSeed: z.number().int().min(0).optional(),
    dataset: datasetSchema,
    stream: streamSchema,
    model: modelSchema.default(modelSchema.parse({})),
    ssl: sslSchema.default(sslSchema.parse({})),
    training: trainingSchema.default(trainingSchema.parse({})),
    arms: z.array(armSchema).min(1),
    evaluation: evaluationSchema.default(evaluationSchema.parse({})),
    clients: clientsSchema.default(clientsSchema.parse({})),
    analysis: analysisSchema.default(analysisSchema.parse({})),
    /**
     * How states and replay buffers travel between the coordinator and the clients:
     * `{ encoding: 'float32' | 'float16', compression: 'none' | 'deflate' }` (shared/wire/).
     * Default float32, uncompressed: the bytes as they are.
     */
    transfer: transferSchema.default(DEFAULT_TRANSFER),
  })
  .superRefine((s, ctx) => {
    if (s.seeds && new Set(s.seeds).size !== s.seeds.length) ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'lists a seed twice' });
    if (s.seedsVary === 'split' && s.splitSeed !== undefined) ctx.addIssue({ code: 'custom', path: ['splitSeed'], message: 'fixes the split, but seedsVary is "split"' });
    const names = new Set<string>();
    s.arms.forEach((arm, i) => {
      if (names.has(arm.name)) ctx.addIssue({ code: 'custom', path: ['arms', i, 'name'], message: `duplicate arm name "${arm.name}"` });
      names.add(arm.name);
    });
    if (s.stream.styles && s.stream.type !== 'domain') {
      ctx.addIssue({ code: 'custom', path: ['stream', 'styles'], message: 'styles apply only to the "domain" stream' });
    }
    if (s.stream.styles && s.stream.styles.length !== s.stream.chunks) {
      ctx.addIssue({ code: 'custom', path: ['stream', 'styles'], message: `needs one style per chunk (${s.stream.chunks}), got ${s.stream.styles.length}` });
    }
    s.arms.forEach((arm, i) => {
      if (arm.order === 'random-no-repeat' && (arm.cycles ?? 1) > 1 && s.stream.chunks < 2) {
        ctx.addIssue({ code: 'custom', path: ['arms', i, 'order'], message: 'random-no-repeat needs at least 2 chunks when cycles > 1 (one chunk is always visited twice in a row)' });
      }
    });
    for (const p of streamProblems(s.stream)) ctx.addIssue({ code: 'custom', path: ['stream', p.path], message: p.message });
    if (s.ssl.bnGroups > s.training.batchSize || s.training.batchSize % s.ssl.bnGroups !== 0) {
      ctx.addIssue({ code: 'custom', path: ['ssl', 'bnGroups'], message: `must divide training.batchSize (${s.training.batchSize})` });
    }
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type DatasetSpec = Scenario['dataset'];
export type StreamSpec = Scenario['stream'];
export type ModelSpec = Scenario['model'];
/** The training batch norm computations a scenario may ask for. */
export type BatchNormKernel = (typeof BATCH_NORM_KERNELS)[number];
/** The convolution algorithms a scenario may ask for. */
export type ConvAlgorithm = (typeof CONV_ALGORITHMS)[number];
export type TrainingSpec = Scenario['training'];
export type EvaluationSpec = Scenario['evaluation'];
export type AnalysisSpec = Scenario['analysis'];
export type BackendName = (typeof BACKEND_NAMES)[number];
export type { TransferSpec } from './wire/transfer-spec.js';

/** The seed of the stream split: `splitSeed`, else `seed`. */
export function splitSeedOf(s: Pick<Scenario, 'seed' | 'splitSeed'>): number {
  return s.splitSeed ?? s.seed;
}

/** A scenario that failed validation; `problems` has one line per problem, path first. */
export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid scenario ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Validates a plain object as a scenario, applying defaults. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    throw new ScenarioError(
      source,
      result.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field (a typo?)`)
          : [`${formatPath(issue.path)}: ${issue.message}`],
      ),
    );
  }
  return result.data;
}

/** Parses `key.path=value`; the value is JSON when it parses as JSON, else a string. */
export function parseOverride(assignment: string): { path: string[]; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ScenarioError('--set', [`"${assignment}": expected key.path=value`]);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((p) => p.length === 0)) throw new ScenarioError('--set', [`"${assignment}": empty segment in key path`]);
  const text = assignment.slice(eq + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // a bare word such as fashion-mnist stays a string
  }
  return { path, value };
}

/** Returns a copy of `raw` with each override applied (arrays indexed by number). */
export function applyOverrides(raw: unknown, assignments: readonly string[]): unknown {
  const copy: unknown = structuredClone(raw);
  for (const assignment of assignments) {
    const { path, value } = parseOverride(assignment);
    let node = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null) node[key] = {};
      else if (typeof next !== 'object') throw new ScenarioError('--set', [`${path.join('.')}: "${key}" is not an object`]);
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return copy;
}

/** Reads, overrides and validates a scenario file. */
export function loadScenario(file: string, overrides: readonly string[] = []): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseScenario(applyOverrides(raw, overrides), file);
}

/** Sub-schemas reused by the protocol to check the tasks a client receives. */
export { datasetSchema, streamSchema, modelSchema, sslSchema, evaluationSchema };
export { DATASET_NAMES, FOLDER_LAYOUTS, type DatasetName } from './dataset-schema.js';
export { ARM_MODE_NAMES, type ArmModeName, type ArmSpec, type ArmSpecOf, type RegularizerSpec, type StrategySpec } from './arm-schema.js';
export { ANALYSIS_NAMES, type AnalysisName } from './analysis-schema.js';
export { SSL_METHOD_NAMES, type SslMethodName, type SslSpec, type SslSpecOf } from './ssl-options/index.js';
