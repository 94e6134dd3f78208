/**
 * The events of a run, as one typed union: what the coordinator publishes while it runs
 * (clients joining and leaving, tasks, progress, hand-offs, stages, retries, failures), what
 * `DIR/metrics.jsonl` holds one per line, and what a viewer replays. Declared once as zod
 * schemas, so that a line read back from a file (or anything else untrusted) is checked
 * against the same definition the publishers are typed with. Every event carries `t`, the
 * milliseconds since the epoch at which it happened. Fields are added, never renamed.
 */
import { z } from 'zod';

/** Longest text field an event carries (reasons and messages are cut by their publishers already). */
export const MAX_EVENT_TEXT = 2000;

const text = z.string().max(MAX_EVENT_TEXT);
const id = z.string().max(1000);
const count = z.number().int().nonnegative();
const finite = z.number().finite();
const seconds = z.number().finite().nonnegative();
const fraction = z.number().finite().min(0).max(1);

const base = { t: z.number().finite().nonnegative() };
/**
 * The seed of the run an event belongs to, in a run over several seeds (`--seeds N`); absent
 * in a run of one seed, whose events are as they always were.
 */
const seed = z.number().int().optional();

/** A planned stage of an arm, as `arms-planned` announces it (for ETAs): its steps, and whether it ends with an evaluation. */
const plannedStage = z.object({ stage: count, steps: count, evaluates: z.boolean().optional() });

export const runEventSchema = z.discriminatedUnion('type', [
  /** A session of the run starts (again, for a resumed run), before any client joins: clients of earlier sessions are gone. */
  z.object({
    ...base,
    type: z.literal('run-started'),
    scenario: id,
    resumed: z.boolean(),
    parallelArms: z.boolean(),
    arms: z.array(z.object({ name: id, mode: id })).max(1000),
    /** A run over several seeds: every arm runs once per seed (each seed's events carry it). */
    seeds: z.array(z.number().int()).max(1000).optional(),
  }),
  /** One seed's run of a run over several seeds starts (again, for a resumed run): its arms are running, or about to. */
  z.object({ ...base, type: z.literal('seed-started'), seed: z.number().int() }),
  /** One seed's run ended: every arm done (`ok`), some failed, or it stopped (`error`). */
  z.object({ ...base, type: z.literal('seed-done'), seed: z.number().int(), ok: z.boolean(), failures: z.array(z.object({ arm: id, error: text })).max(1000), error: text.optional() }),
  /** The stream is planned: each arm's stages and their steps, and how many of them finished in earlier sessions. */
  z.object({
    ...base,
    type: z.literal('arms-planned'),
    seed,
    arms: z.array(z.object({ name: id, stages: z.array(plannedStage).max(100_000), finished: count })).max(1000),
  }),
  z.object({
    ...base,
    type: z.literal('client-joined'),
    client: id,
    host: id,
    address: id,
    pid: count,
    backend: id.optional(),
    device: id.optional(),
    chunks: z.array(count).max(100_000).optional(),
  }),
  z.object({ ...base, type: z.literal('client-left'), client: id, reason: text }),
  /** A local client process died and was started again. */
  z.object({ ...base, type: z.literal('client-restarted'), client: id, restart: count, maxRestarts: count, how: text }),
  /** A task was handed to a client (its input is uploaded next). */
  z.object({
    ...base,
    type: z.literal('task-assigned'),
    client: id,
    taskId: id,
    kind: id,
    seed,
    arm: id.optional(),
    stage: count.optional(),
    steps: count.optional(),
  }),
  /** The client acknowledged the task: it trains or evaluates now. */
  z.object({ ...base, type: z.literal('task-started'), client: id, taskId: id }),
  /** A client's task ended: `done`, `failed` (the task) or `unresponsive` (the client). */
  z.object({ ...base, type: z.literal('task-ended'), client: id, taskId: id, end: z.enum(['done', 'failed', 'unresponsive']) }),
  /**
   * A training progress report. `x` is the arm's global optimizer step (the stage's start
   * plus `step`); rates are measured by the coordinator between reports of the same task.
   */
  z.object({
    ...base,
    type: z.literal('progress'),
    client: id,
    taskId: id,
    seed,
    arm: id,
    stage: count,
    step: count,
    steps: count,
    x: count,
    loss: finite,
    imagesPerSecond: seconds.optional(),
    stepsPerSecond: seconds.optional(),
  }),
  /** A model state (and replay buffer) moved: `to-client` before a task, `from-client` with its result. */
  z.object({
    ...base,
    type: z.literal('hand-off'),
    client: id,
    taskId: id,
    seed,
    arm: id.optional(),
    stage: count.optional(),
    direction: z.enum(['to-client', 'from-client']),
    bytes: count,
    seconds,
  }),
  /** A stage (a fedavg round, for fedavg arms) finished and was checkpointed. */
  z.object({
    ...base,
    type: z.literal('stage-done'),
    seed,
    arm: id,
    mode: id,
    stage: count,
    clients: z.array(id).max(10_000),
    steps: count,
    lossFirst: finite,
    lossLast: finite,
    trainSeconds: seconds,
    imagesPerSecond: seconds,
    handoffSeconds: seconds,
    /** Seconds the stage's evaluation took on its client, when it evaluated. */
    evalSeconds: seconds.optional(),
    overheadSeconds: z.array(seconds).max(10_000).optional(),
    knnTop1: fraction.optional(),
    linearTop1: fraction.optional(),
    perChunk: z.array(z.object({ chunk: count, knnTop1: fraction, linearTop1: fraction })).max(100_000).optional(),
  }),
  /** A task lost its client and runs again from its input. */
  z.object({ ...base, type: z.literal('retry'), taskId: id, seed, arm: id.optional(), stage: count.optional(), attempt: count, client: id, reason: text }),
  /** The coordinator refused a client's message (malformed, out of place, a state unfit to keep). */
  z.object({ ...base, type: z.literal('refused'), client: id.optional(), address: id, event: id, code: id, message: text }),
  z.object({ ...base, type: z.literal('arm-failed'), seed, arm: id, stage: count.optional(), error: text }),
  z.object({ ...base, type: z.literal('random-init'), seed, knnTop1: fraction, linearTop1: fraction }),
  /** The session ended: every arm done (`ok`), some failed, or the run stopped (`error`). */
  z.object({ ...base, type: z.literal('run-done'), ok: z.boolean(), failures: z.array(z.object({ arm: id, error: text })).max(1000), error: text.optional() }),
]);

/** One event of a run. */
export type RunEvent = z.infer<typeof runEventSchema>;
/** The names of the events. */
export type RunEventType = RunEvent['type'];
/** The event of type `T`. */
export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;
/** An event as a publisher hands it over: the bus stamps its time unless given. */
export type RunEventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 't'> & { t?: number } : never) : never;
