/**
 * Property tests of every payload schema of the protocol (shared/protocol.ts) and of the
 * replies (shared/replies.ts), issue 12: random values, and valid payloads with one part
 * replaced, removed or added, are either parsed into the typed shape or refused with
 * issues that `describeIssues` can name; parsing never throws.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../shared/protocol.js';
import { describeIssues, failureSchema, idSchema, replySchema } from '../../shared/replies.js';
import { evalTaskFor } from '../../server/schedule/eval-task.js';
import { planArm } from '../../server/schedule/index.js';
import { tinyScenario } from '../support/scenario.js';

const SEED = 0x5c4e3a;
const scenario = tinyScenario();
const [trainTask] = planArm({ scenario, arm: scenario.arms[1], chunkSizes: [100, 110, 120] });
const evalTask = evalTaskFor(scenario, 'random-init:eval');
const planTask: protocol.PlanTask = { kind: 'plan', taskId: 'stream:plan', seed: 1, dataset: scenario.dataset, stream: scenario.stream };
const evalMetrics = { knnTop1: 0.5, linearTop1: 0.25, perChunk: [{ chunk: 0, knnTop1: 0.5, linearTop1: 0.5, samples: 10 }], seconds: 1 };
const trainMetrics = { steps: 7, lossFirst: 5, lossLast: null, trainSeconds: 1, imagesPerSecond: 10, dataWaitSeconds: 0, samples: 100, replaySamplesUsed: 0, eval: evalMetrics };
const streamSummary = { trainCount: 30, testCount: 5, numClasses: 3, chunks: [{ id: 0, size: 30, classes: [0, 2], style: 'original', domains: [0] }], domains: ['real'], skippedFiles: { count: 1, examples: [{ file: 'a.png', reason: 'bad' }] } };

/** Every schema that parses something a peer sent, with a payload it accepts. */
const SCHEMAS: Array<[string, z.ZodType, unknown]> = [
  ['helloReplySchema', protocol.helloReplySchema, { ok: true, clientId: 'client-0', heartbeatSeconds: 300 }],
  ['handshakeAuthSchema', protocol.handshakeAuthSchema, { token: 't'.repeat(20), protocolVersion: 1, clientId: 'c' }],
  ['helloSchema', protocol.helloSchema, { clientId: 'c', pid: 1, backend: 'cpu', backendReason: 'r', device: '0', chunks: [0, 1], hostname: 'h' }],
  ['trainTaskSchema', protocol.trainTaskSchema, trainTask],
  ['evalTaskSchema', protocol.evalTaskSchema, evalTask],
  ['planTaskSchema', protocol.planTaskSchema, planTask],
  ['wireTaskSchema', protocol.wireTaskSchema, trainTask],
  ['taskAssignSchema', protocol.taskAssignSchema, { task: evalTask, stateBlobId: 'b1', replayBlobId: null }],
  ['progressSchema', protocol.progressSchema, { taskId: 't', step: 1, steps: 2, loss: 0.5 }],
  ['evalMetricsSchema', protocol.evalMetricsSchema, evalMetrics],
  ['trainMetricsSchema', protocol.trainMetricsSchema, trainMetrics],
  ['streamSummarySchema', protocol.streamSummarySchema, streamSummary],
  ['taskResultSchema', protocol.taskResultSchema, { taskId: 't', ok: true, metrics: trainMetrics, stateBlobId: 's', replayBlobId: null }],
  ['idSchema', idSchema, 'client-0'],
  ['failureSchema', failureSchema, { ok: false, code: 'busy', message: 'm' }],
  ['replySchema', replySchema, { ok: true }],
];

/** Paths to every value inside `value` (the root is []). */
function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const inner = Array.isArray(value)
    ? value.flatMap((v, i) => paths(v, [...at, i]))
    : value !== null && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))
      : [];
  return [at, ...inner];
}

type Edit = { kind: 'replace' | 'remove' | 'add'; path: Array<string | number>; value: unknown; key: string };

/** `value` with one edit, in a copy. */
function edited(value: unknown, { kind, path, value: replacement, key }: Edit): unknown {
  if (path.length === 0 && kind !== 'add') return kind === 'replace' ? replacement : undefined;
  const root = { value: structuredClone(value) } as Record<string | number, unknown>;
  const full = ['value', ...path];
  let parent = root;
  for (const step of full.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = full[full.length - 1];
  if (kind === 'replace') parent[last] = replacement;
  else if (kind === 'remove') delete parent[last];
  // An own property, as JSON.parse makes of a "__proto__" key (an assignment would change the prototype).
  else if (parent[last] !== null && typeof parent[last] === 'object') Object.defineProperty(parent[last], key, { value: replacement, enumerable: true, writable: true, configurable: true });
  return root.value;
}

const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

/** Parses, expecting the typed shape or issues that name what is wrong; never a throw. */
function parsedOrRefused(schema: z.ZodType, input: unknown): boolean {
  const result = schema.safeParse(input);
  if (result.success) return true;
  expect(result.error.issues.length).toBeGreaterThan(0);
  expect(describeIssues(result.error)).not.toBe('');
  return false;
}

describe('payload schema properties', () => {
  it.each(SCHEMAS)('%s accepts its sample payload', (_, schema, sample) => {
    expect(schema.safeParse(sample).success).toBe(true);
  });

  it.each(SCHEMAS)('%s parses or refuses random values, never throws', (_, schema) => {
    fc.assert(
      fc.property(anything, (input) => {
        parsedOrRefused(schema, input);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it.each(SCHEMAS)('%s parses or refuses its sample with one part replaced, removed or added; what it accepts it accepts again', (_, schema, sample) => {
    const edit = fc.record({
      kind: fc.constantFrom<Edit['kind']>('replace', 'remove', 'add'),
      path: fc.constantFrom(...paths(sample)),
      value: fc.oneof(anything, fc.constantFrom(-1, 1e300, Number.NaN, Infinity, '', 'x'.repeat(5000), null, [], {})),
      key: fc.constantFrom('extra', '__proto__', 'constructor', 'kind', 'ok'),
    });
    fc.assert(
      fc.property(edit, (e) => {
        const input = edited(sample, e);
        if (!parsedOrRefused(schema, input)) return;
        const data = (schema.safeParse(input) as { data: unknown }).data;
        // Parsed data is the typed shape: sent again (as JSON, where a NaN loss is null), it
        // parses again. (A bigint can only sit in what a schema leaves unknown, e.g. metrics.)
        const json = JSON.stringify(data, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
        expect(parsedOrRefused(schema, JSON.parse(json))).toBe(true);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
