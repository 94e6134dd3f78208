/**
 * The `arms` of a scenario: one schema per arm mode, joined on `mode` (a discriminated
 * union), so each mode validates its own options (fedavg's `rounds`, relay's strategy and
 * regularizer). `ARM_MODE_NAMES` is the one list of mode names; the coordinator's registry
 * of arm modes (server/schedule/modes.ts) is typed by it.
 */
import { z } from 'zod';
import { REGULARIZER_NAMES, REPLAY_SELECTIONS, STRATEGY_NAMES } from './continual-names.js';
import { positiveInt, safeFileName, type Same } from './schema-primitives.js';

/** Every arm mode, in the order they are documented. */
export const ARM_MODE_NAMES = ['relay', 'joint', 'fedavg'] as const;
export type ArmModeName = (typeof ARM_MODE_NAMES)[number];

const fraction = z.number().gt(0).lte(1);

/**
 * The order a cyclic relay visits the chunks in each cycle: `fixed` 0..N-1; `random` a
 * seeded permutation per cycle; `random-no-repeat` the same, but never the chunk the
 * previous cycle ended on first (needs two chunks or more when there are two cycles or more).
 */
export const RELAY_ORDERS = ['fixed', 'random', 'random-no-repeat'] as const;
export type RelayOrder = (typeof RELAY_ORDERS)[number];

export const strategySchema = z
  .strictObject({
    name: z.enum(STRATEGY_NAMES),
    /** replay: samples kept from each finished chunk (count). */
    size: positiveInt.optional(),
    /** replay: fraction of each finished chunk kept instead of a count. */
    fraction: fraction.optional(),
    /** replay: share of each batch drawn from the replay buffer. */
    ratio: z.number().gt(0).lt(1).default(0.5),
    /**
     * replay: `random` keeps `size` (or `fraction`) of every finished chunk, so the buffer
     * grows; `reservoir` keeps one buffer of `size` samples in all, each sample of the
     * stream equally likely to be in it (reservoir sampling).
     */
    selection: z.enum(REPLAY_SELECTIONS).default('random'),
  })
  .superRefine((s, ctx) => {
    if (s.name === 'replay' && s.size === undefined && s.fraction === undefined) {
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'replay needs "size" or "fraction"' });
    }
    if (s.selection === 'reservoir' && s.size === undefined) {
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'reservoir replay needs "size": the capacity of the buffer' });
    }
    if (s.size !== undefined && s.fraction !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['fraction'], message: 'give either "size" or "fraction", not both' });
    }
  });

/** A parameter regularizer that protects what earlier chunks taught; combines with replay. */
export const regularizerSchema = z.strictObject({
  /** mas, ewc: anchored importances; distill: CaSSLe-style distillation from the previous model. */
  name: z.enum(REGULARIZER_NAMES),
  /**
   * Weight of the penalty lambda/2 * sum(importance * (theta - anchor)^2), importances
   * scaled so the largest is 1: keep lr * lambda below 2.
   */
  lambda: z.number().min(0).default(10),
  /** Images of each finished chunk the importances (MAS) or the Fisher (EWC) are measured on. */
  samples: positiveInt.default(1024),
});

const FINE_TUNE = { name: 'fine-tune', ratio: 0.5, selection: 'random' } as const;
/** An arm's name names its checkpoint folder (checkpoints/<arm>/). */
const armName = safeFileName;
const strategy = strategySchema.default(FINE_TUNE);

/**
 * A field a mode does not take, refused with `message` (rather than "unknown field"), so
 * that a field of another mode says whose it is. Parsed arms of every mode still have the
 * same keys in the same order (results.json and the journal embed the parsed scenario).
 */
const refused = (message: string) => z.never({ error: message }).optional();
const noRounds = refused('rounds apply only to mode "fedavg"');
const noCycles = refused('cycles apply only to mode "relay"');
const noOrder = refused('order applies only to mode "relay"');
/** fedavg's participation options, refused by name in the other modes. */
const noFedavgOptions = { fraction: refused('fraction applies only to mode "fedavg"'), deadline: refused('deadline applies only to mode "fedavg"') };

/**
 * Relay: one stage per chunk visit, with a continual-learning strategy and regularizer.
 * `cycles` and `order` have no default in the parsed arm (absent: one pass in stream
 * order), so scenarios written before them parse to the same arms.
 */
const relayArmSchema = z.strictObject({
  name: armName,
  mode: z.literal('relay'),
  rounds: noRounds,
  ...noFedavgOptions,
  strategy,
  regularizer: regularizerSchema.optional(),
  /** Passes over the chunks; each visit runs 1/cycles of the chunk's one-pass steps. */
  cycles: positiveInt.max(1000).optional(),
  /** The order of the chunks in each cycle (default `fixed`). */
  order: z.enum(RELAY_ORDERS).optional(),
});

/** Joint: one stage on the union of the chunks. Strategy and regularizer are accepted and unused, as ever. */
const jointArmSchema = z.strictObject({
  name: armName,
  mode: z.literal('joint'),
  rounds: noRounds,
  ...noFedavgOptions,
  strategy,
  regularizer: regularizerSchema.optional(),
  cycles: noCycles,
  order: noOrder,
});

/** Federated averaging over `rounds`; it keeps no replay buffer and takes no regularizer. */
const fedavgArmSchema = z.strictObject({
  name: armName,
  mode: z.literal('fedavg'),
  /**
   * Rounds of parallel local training and averaging. Each chunk's optimizer steps (the
   * relay arm's for that chunk) are spread evenly over the rounds.
   */
  rounds: z.number({ error: (issue) => (issue.input === undefined ? 'mode "fedavg" needs rounds (the number of averaging rounds)' : undefined) }).int().positive(),
  /**
   * Share of the chunks sampled each round (seeded by the scenario seed, the arm and the
   * round): round(fraction x chunks), at least 1. Absent: every chunk, every round.
   */
  fraction: fraction.optional(),
  /** Seconds a round waits for its clients; results that arrive later are dropped (counted in results.json). */
  deadline: z.number().positive().optional(),
  strategy: strategy.refine((s) => s.name === 'fine-tune', 'mode "fedavg" keeps no replay buffer: use strategy "fine-tune"'),
  regularizer: refused('mode "fedavg" takes no regularizer'),
  cycles: noCycles,
  order: noOrder,
});

export const armSchema = z.discriminatedUnion('mode', [relayArmSchema, jointArmSchema, fedavgArmSchema], {
  // The message an unknown mode had as a plain enum: it lists the modes there are.
  error: (issue) => (issue.code === 'invalid_union' ? `Invalid option: expected one of ${ARM_MODE_NAMES.map((m) => `"${m}"`).join('|')}` : undefined),
});

// A name in ARM_MODE_NAMES without a schema above, or a schema whose mode is not listed, fails to compile here.
const everyModeHasItsSchema: Same<z.output<typeof armSchema>['mode'], ArmModeName> = true;
void everyModeHasItsSchema;

export type ArmSpec = z.output<typeof armSchema>;
/** The arm of mode `M`. */
export type ArmSpecOf<M extends ArmModeName> = Extract<ArmSpec, { mode: M }>;
export type StrategySpec = ArmSpec['strategy'];
export type RegularizerSpec = NonNullable<ArmSpec['regularizer']>;
