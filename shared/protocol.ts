/**
 * The coordinator–client protocol: version, typed socket.io event maps, payload types and
 * the zod schemas that check every incoming payload. Types are not validation: each side
 * parses what the other sends with these schemas before acting on it.
 *
 * Conversation: the client connects with `auth: HandshakeAuth` (token and protocol
 * version, checked by a server middleware), sends `hello`, then receives `task:assign`
 * (state and replay arrive first as blobs: `blob:offer`, then fetched over HTTP, see
 * blob-http.ts), reports `task:progress` and answers with `task:result` after uploading its
 * result blobs (HTTP PUT).
 */
import { z } from 'zod';
import { REGULARIZER_NAMES, REPLAY_SELECTIONS } from './continual-names.js';
import { ERROR_CODES, failureSchema, idSchema, type ErrorCode, type Failure, type Reply } from './replies.js';
import type { BlobOffer } from './blob-http.js';
import type { EvalMetrics, EvalTask, Progress, TrainMetrics, TrainTask } from './tasks.js';
import type { DatasetSpec, StreamSpec } from './scenario.js';
import { datasetSchema, evaluationSchema, modelSchema, sslSchema, streamSchema } from './scenario.js';
import type { Same } from './schema-primitives.js';
import { transferSchema } from './wire/transfer-spec.js';
import { DEFAULT_MAX_BLOB_BYTES } from './transfer.js';

export { describeIssues, ERROR_CODES, failure, failureSchema, idSchema, replySchema, type ErrorCode, type Failure, type Reply } from './replies.js';

/**
 * Bumped whenever an event or payload changes incompatibly (3: train tasks may carry
 * replay.extend, model.init and splitSeed, which older clients refuse; 4: train tasks may
 * carry chunkOrder, and blob bytes travel over HTTP beside the socket, offered with
 * `blob:offer`, see blob-http.ts; 5: the hello reply may carry stateBytes, which older
 * clients' strict schema refuses).
 */
export const PROTOCOL_VERSION = 5;

/** Asks the client for the stream's chunk sizes (the coordinator needs them to count steps). */
export interface PlanTask {
  kind: 'plan';
  taskId: string;
  seed: number;
  dataset: DatasetSpec;
  stream: StreamSpec;
}

/**
 * What a `PlanTask` returns: the split as a client computed it, each chunk's size
 * (training samples) and content. Same shape as the engine's `describeStream` result.
 */
export interface StreamSummary {
  trainCount: number;
  testCount: number;
  numClasses: number;
  chunks: { id: number; size: number; classes: number[]; style: string; domains?: number[] }[];
  /** Names of the dataset's real domains (chunk `domains` index them), when it has some. */
  domains?: string[];
  /** Image files the client could not decode and left out (folder datasets). */
  skippedFiles?: { count: number; examples: { file: string; reason: string }[] };
}

/** Every task that crosses the wire. */
export type WireTask = TrainTask | EvalTask | PlanTask;

/** Metrics a task of kind `T` returns. */
export type MetricsOf<T extends WireTask> = T extends TrainTask ? TrainMetrics : T extends EvalTask ? EvalMetrics : StreamSummary;

/** Sent in the socket.io handshake (`io(url, { auth })`). */
export interface HandshakeAuth {
  token: string;
  protocolVersion: number;
  clientId?: string;
}

export interface HelloPayload {
  clientId: string;
  pid: number;
  /** TensorFlow.js backend the client loaded. */
  backend?: string;
  /** Why that backend: what auto-selection tried before it, or that it was forced. */
  backendReason?: string;
  /** The GPU(s) the client was given (`CUDA_VISIBLE_DEVICES`), when it was given any. */
  device?: string;
  /** The chunks whose data this client holds; absent: every chunk. */
  chunks?: number[];
  hostname: string;
}

/**
 * The coordinator's answer to `hello`: the id it registered the client under, and its
 * heartbeat bound (seconds of silence after which it presumes a client gone). A client
 * waits at least that long for any acknowledgement during a task, so that a network cut
 * the coordinator tolerates does not fail the task on the client's side either.
 * `stateBytes`: about how large the states of the run are on the wire, when the coordinator knows: the
 * client readies memory for one to arrive in while it waits for its first task (a fresh buffer's pages fault on first write, see buffer-shelf.ts).
 */
export type HelloReply = { ok: true; clientId: string; heartbeatSeconds: number; stateBytes?: number } | Failure;

export interface TaskAssignPayload {
  task: WireTask;
  /** Blob already uploaded to the client holding the model state, or null for a fresh model. */
  stateBlobId: string | null;
  replayBlobId: string | null;
}

export type TaskResultPayload =
  | { taskId: string; ok: true; metrics: TrainMetrics | EvalMetrics | StreamSummary; stateBlobId: string | null; replayBlobId: string | null }
  | { taskId: string; ok: false; code: ErrorCode; message: string };

export interface ClientToServerEvents {
  hello: (payload: HelloPayload, ack: (reply: HelloReply) => void) => void;
  'task:progress': (payload: Progress) => void;
  'task:result': (payload: TaskResultPayload, ack: (reply: Reply) => void) => void;
}

export interface ServerToClientEvents {
  'task:assign': (payload: TaskAssignPayload, ack: (reply: Reply) => void) => void;
  /** A blob to fetch (GET); acknowledged once it arrived whole and verified, or refused. */
  'blob:offer': (payload: BlobOffer, ack: (reply: Reply) => void) => void;
}

/**
 * Names of the events a client may send; anything else is rejected. (Blob bytes went over
 * socket.io as blob:begin/chunk/end before version 4; no version-4 peer sends those.)
 */
export const CLIENT_EVENTS = ['hello', 'task:progress', 'task:result'] as const;

// ---- schemas -------------------------------------------------------------------------

const nonNegativeInt = z.number().int().min(0);
const positiveInt = z.number().int().positive();
/** JSON turns NaN (a diverged loss) into null; read it back as NaN rather than reject it. */
const lossSchema = z.union([z.number(), z.null().transform(() => Number.NaN)]);
const accuracySchema = z.number().min(0).max(1);

export const helloReplySchema = z.union([z.strictObject({ ok: z.literal(true), clientId: idSchema, heartbeatSeconds: z.number().positive().max(1e7), stateBytes: z.number().int().positive().max(DEFAULT_MAX_BLOB_BYTES).optional() }), failureSchema]);

export const handshakeAuthSchema = z.object({
  token: z.string().min(1).max(1000),
  protocolVersion: z.number().int(),
  clientId: idSchema.optional(),
});

export const helloSchema = z.strictObject({
  clientId: idSchema,
  pid: nonNegativeInt,
  backend: z.string().max(200).optional(),
  backendReason: z.string().max(2000).optional(),
  device: z.string().max(200).optional(),
  chunks: z.array(nonNegativeInt).max(100_000).optional(),
  hostname: z.string().max(255),
});

const optimizerOptionsSchema = z.strictObject({
  lr: z.number().gt(0),
  momentum: z.number().min(0).lt(1),
  weightDecay: z.number().min(0),
  schedule: z.enum(['cosine', 'constant']),
  totalSteps: positiveInt,
  startStep: nonNegativeInt,
  keepOptimizerState: z.boolean(),
});

const replayOptionsSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('none') }),
  z.strictObject({
    mode: z.literal('replay'),
    size: positiveInt.optional(),
    fraction: z.number().gt(0).lte(1).optional(),
    ratio: z.number().gt(0).lt(1),
    selection: z.enum(REPLAY_SELECTIONS).optional(),
    extend: z.boolean().optional(),
  }),
]);

export const trainTaskSchema = z.strictObject({
  kind: z.literal('train'),
  taskId: idSchema,
  arm: z.string().min(1),
  stage: nonNegativeInt,
  seed: nonNegativeInt,
  data: z.strictObject({ dataset: datasetSchema, stream: streamSchema, seed: nonNegativeInt, chunks: z.array(nonNegativeInt).min(1) }),
  model: modelSchema,
  ssl: sslSchema,
  batchSize: positiveInt,
  steps: positiveInt,
  firstStep: nonNegativeInt.optional(),
  endsStage: z.boolean().optional(),
  // Any skip costs one shuffle of the chunk (each pass has its own seed): no bound needed.
  chunkOrder: z.strictObject({ seed: nonNegativeInt, skip: nonNegativeInt }).optional(),
  optimizer: optimizerOptionsSchema,
  replay: replayOptionsSchema,
  regularizer: z.strictObject({ name: z.enum(REGULARIZER_NAMES), lambda: z.number().min(0), samples: positiveInt }).optional(),
  evaluation: evaluationSchema.optional(),
  transfer: transferSchema.optional(),
});

export const evalTaskSchema = z.strictObject({
  kind: z.literal('eval'),
  taskId: idSchema,
  seed: nonNegativeInt,
  dataset: datasetSchema,
  stream: streamSchema.optional(),
  splitSeed: nonNegativeInt.optional(),
  model: modelSchema,
  ssl: sslSchema,
  evaluation: evaluationSchema,
  transfer: transferSchema.optional(),
  arm: idSchema.optional(),
  stage: nonNegativeInt.optional(),
});

export const planTaskSchema = z.strictObject({
  kind: z.literal('plan'),
  taskId: idSchema,
  seed: nonNegativeInt,
  dataset: datasetSchema,
  stream: streamSchema,
});

export const wireTaskSchema = z.discriminatedUnion('kind', [trainTaskSchema, evalTaskSchema, planTaskSchema]);

export const taskAssignSchema = z.strictObject({
  task: wireTaskSchema,
  stateBlobId: idSchema.nullable(),
  replayBlobId: idSchema.nullable(),
});

export const progressSchema = z.strictObject({ taskId: idSchema, step: nonNegativeInt, steps: nonNegativeInt, loss: lossSchema });

const chunkEvalSchema = z.strictObject({ chunk: nonNegativeInt, knnTop1: accuracySchema, linearTop1: accuracySchema, samples: nonNegativeInt });

export const evalMetricsSchema = z.strictObject({
  knnTop1: accuracySchema,
  linearTop1: accuracySchema,
  perChunk: z.array(chunkEvalSchema).max(10_000).optional(),
  seconds: z.number().min(0),
});

export const trainMetricsSchema = z.strictObject({
  steps: nonNegativeInt,
  lossFirst: lossSchema,
  lossLast: lossSchema,
  trainSeconds: z.number().min(0),
  imagesPerSecond: z.number().min(0),
  dataWaitSeconds: z.number().min(0),
  samples: nonNegativeInt,
  replaySamplesUsed: nonNegativeInt,
  eval: evalMetricsSchema.optional(),
});

export const streamSummarySchema = z.strictObject({
  trainCount: nonNegativeInt,
  testCount: nonNegativeInt,
  numClasses: positiveInt,
  chunks: z
    .array(z.strictObject({ id: nonNegativeInt, size: nonNegativeInt, classes: z.array(nonNegativeInt), style: z.string(), domains: z.array(nonNegativeInt).optional() }))
    .min(1),
  domains: z.array(z.string().max(1000)).optional(),
  skippedFiles: z
    .strictObject({ count: nonNegativeInt, examples: z.array(z.strictObject({ file: z.string().max(4096), reason: z.string().max(1000) })).max(20) })
    .optional(),
});

/** The schema of the metrics a task of `kind` returns. */
export const METRICS_SCHEMAS = { train: trainMetricsSchema, eval: evalMetricsSchema, plan: streamSummarySchema } as const;

/** Longest message of a failed task's result; a client cuts a longer one (the coordinator refuses it). */
export const MAX_RESULT_MESSAGE_LENGTH = 10_000;

/** Metrics are checked against the kind of task the coordinator assigned, not here. */
export const taskResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({ taskId: idSchema, ok: z.literal(true), metrics: z.record(z.string(), z.unknown()), stateBlobId: idSchema.nullable(), replayBlobId: idSchema.nullable() }),
  z.strictObject({ taskId: idSchema, ok: z.literal(false), code: z.enum(ERROR_CODES), message: z.string().max(MAX_RESULT_MESSAGE_LENGTH) }),
]);

// Compile-time guards: a schema and its interface may not drift apart.
const schemasMatchTypes: [
  Same<z.output<typeof trainTaskSchema>, TrainTask>,
  Same<z.output<typeof evalTaskSchema>, EvalTask>,
  Same<z.output<typeof planTaskSchema>, PlanTask>,
  Same<z.output<typeof trainMetricsSchema>, TrainMetrics>,
  Same<z.output<typeof evalMetricsSchema>, EvalMetrics>,
  Same<z.output<typeof progressSchema>, Progress>,
  Same<z.output<typeof streamSummarySchema>, StreamSummary>,
  Same<z.output<typeof taskAssignSchema>, TaskAssignPayload>,
  Same<z.output<typeof helloSchema>, HelloPayload>,
] = [true, true, true, true, true, true, true, true, true];
void schemasMatchTypes;
