/**
 * The conversation between a coordinator and the analysis process it starts (an IPC
 * channel with `serialization: 'advanced'`, so state bytes cross as Uint8Arrays):
 *
 *   coordinator                              analysis process
 *                                     <--   hello {pid}                   (it listens now)
 *     start {options, arms, backend}  -->
 *                                     <--   ready {backend}               (the backend is loaded)
 *                                     <--   read-state {id, arm, stage}   (any number, any time)
 *     state {id, state} | state-error  -->
 *                                     <--   log {message}                 (any number)
 *                                     <--   done {analysis} | failed {message}, then it exits
 *
 * The coordinator waits for `hello` before it sends anything: a message that arrives before
 * the process listens would be lost. The coordinator keeps the checkpoints (their files and format are its own), so the
 * analysis process asks for each state it needs. Each side validates what it receives
 * with the schemas below; sizes are bounded.
 */
import { z } from 'zod';
import type { AnalysisResults } from './analysis.js';
import { analysisResultsSchema } from './analysis-results-schema.js';
import { analysisSchema } from './analysis-schema.js';
import { BACKEND_NAMES, datasetSchema, evaluationSchema, modelSchema, sslSchema, streamSchema, type BackendName } from './scenario.js';
import type { AnalysisArm, AnalysisOptions } from './tasks.js';
import { DEFAULT_MAX_BLOB_BYTES } from './transfer.js';
import { positiveInt, type Same } from './schema-primitives.js';

/** Longest log line or error message accepted; the sender shortens longer ones. */
export const MAX_ANALYSIS_MESSAGE = 10_000;

/** The coordinator's first message: what to analyze and on which backend. */
export interface AnalysisStart {
  type: 'start';
  options: AnalysisOptions;
  arms: AnalysisArm[];
  backend: BackendName;
  /** Compute threads of the wasm backend; default all cores. */
  threads?: number;
}

/** The coordinator's answer to a `read-state`. */
export type StateAnswer = { type: 'state'; id: number; state: Uint8Array } | { type: 'state-error'; id: number; message: string };

/** Everything the coordinator sends an analysis process. */
export type AnalysisParentMessage = AnalysisStart | StateAnswer;

/** Everything an analysis process sends its coordinator. */
export type AnalysisChildMessage =
  | { type: 'hello'; pid: number }
  | { type: 'ready'; backend: string }
  | { type: 'read-state'; id: number; arm: string; stage: number }
  | { type: 'log'; message: string }
  | { type: 'done'; analysis: AnalysisResults }
  | { type: 'failed'; message: string };

const requestId = z.number().int().min(0);
const message = z.string().max(MAX_ANALYSIS_MESSAGE);
const stage = z.number().int().min(0);
const armSchema = z.strictObject({
  name: z.string().min(1).max(200),
  sequential: z.boolean(),
  reference: z.boolean(),
  stages: z.array(z.strictObject({ stage })).min(1).max(100_000),
});

const analysisOptionsSchema = z.strictObject({
  seed: z.number().int().min(0),
  splitSeed: z.number().int().min(0).optional(),
  dataset: datasetSchema,
  stream: streamSchema,
  model: modelSchema,
  ssl: sslSchema,
  evaluation: evaluationSchema,
  batchSize: positiveInt,
  analysis: analysisSchema,
});

const startSchema = z.strictObject({
  type: z.literal('start'),
  options: analysisOptionsSchema,
  arms: z.array(armSchema).min(1).max(1000),
  backend: z.enum(BACKEND_NAMES),
  threads: positiveInt.optional(),
});

const stateBytes = z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.byteLength <= DEFAULT_MAX_BLOB_BYTES, `expected the bytes of a state, at most ${DEFAULT_MAX_BLOB_BYTES}`);

/** What an analysis process accepts from its coordinator. */
export const analysisParentMessageSchema = z.discriminatedUnion('type', [
  startSchema,
  z.strictObject({ type: z.literal('state'), id: requestId, state: stateBytes }),
  z.strictObject({ type: z.literal('state-error'), id: requestId, message }),
]);

/** What a coordinator accepts from an analysis process. */
export const analysisChildMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), pid: positiveInt }),
  z.strictObject({ type: z.literal('ready'), backend: z.string().max(200) }),
  z.strictObject({ type: z.literal('read-state'), id: requestId, arm: z.string().max(200), stage }),
  z.strictObject({ type: z.literal('log'), message }),
  z.strictObject({ type: z.literal('done'), analysis: analysisResultsSchema }),
  z.strictObject({ type: z.literal('failed'), message }),
]);

/** `text` cut to what the schemas accept. */
export function boundedMessage(text: string): string {
  const cut = ' [...cut short]';
  return text.length <= MAX_ANALYSIS_MESSAGE ? text : `${text.slice(0, MAX_ANALYSIS_MESSAGE - cut.length)}${cut}`;
}

// Compile-time guards: a schema and its type may not drift apart.
const schemasMatchTypes: [
  Same<z.output<typeof analysisOptionsSchema>, AnalysisOptions>,
  Same<z.output<typeof armSchema>, AnalysisArm>,
  Same<z.output<typeof analysisParentMessageSchema>, AnalysisParentMessage>,
  Same<z.output<typeof analysisChildMessageSchema>, AnalysisChildMessage>,
] = [true, true, true, true];
void schemasMatchTypes;
