/**
 * The run journal, `DIR/journal.json`: what a run is (scenario, how its clients were
 * started, the code that ran it) and everything it finished so far (the stream plan, the
 * random-init evaluation, each stage as soon as its checkpoint is on disk, retries and arm
 * failures). It is rewritten atomically after every change, so a coordinator killed at any
 * moment leaves a journal that `streamssl resume` can continue from. A rewrite that fails
 * for a reason that may pass (EMFILE, ENOSPC) is tried again a few times (file-writes.ts);
 * one that still fails rejects that record's promise, and the next record writes it all.
 */
import { access, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { describeIssues, evalMetricsSchema, streamSummarySchema, trainMetricsSchema, trainTaskSchema } from '../../shared/protocol.js';
import { BACKEND_NAMES, parseScenario, ScenarioError, type BackendName, type Scenario } from '../../shared/scenario.js';
import type { EvalMetrics } from '../../shared/tasks.js';
import { DEFAULT_WRITE_POLICY, writeFileRetrying, type WritePolicy } from './file-writes.js';
import { MAX_RECORDED_ERROR_LENGTH, plainClientFields, plainText } from '../net/client-text.js';
import { codeVersion } from './code-version.js';
import type { Results } from '../report/results.js';
import type { StageRecord } from '../schedule/index.js';

export const JOURNAL_FILE = 'journal.json';
const FORMAT = 'streamssl-journal';
const VERSION = 1;

/** How the run's clients are started, so that a resumed run starts them the same way. */
export interface ClientSetup {
  /** Clients launched (or, for remote clients, waited for). */
  clients: number;
  backend: BackendName;
  /** Compute threads per launched client. */
  threads: number;
  /** Remote clients (`serve`): a resumed run waits for them again. */
  remote: boolean;
  /** GPU ids launched clients are given round-robin. */
  gpus?: string[];
}

export type ResultStream = Results['stream'];
export type ResultClient = Results['clients'][number];

/** A retried task, as the journal keeps it. */
export interface RetryRecord {
  taskId: string;
  arm?: string;
  stage?: number;
  attempt: number;
  client: string;
  reason: string;
  at: string;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
const nonNegativeInt = z.number().int().min(0);

const stageSchema = z.strictObject({
  stage: nonNegativeInt,
  task: trainTaskSchema,
  client: z.string(),
  metrics: trainMetricsSchema,
  handoffSeconds: z.number().min(0),
  handoffBytes: z.strictObject({ sent: nonNegativeInt, received: nonNegativeInt, replay: z.strictObject({ sent: nonNegativeInt, received: nonNegativeInt }).optional() }).optional(),
  dropped: z.strictObject({ taskIds: z.array(z.string()), steps: nonNegativeInt, keptPrevious: z.boolean() }).optional(),
  overheadSeconds: z.array(z.number().min(0)).optional(),
  clientWaitSeconds: z.array(z.number().min(0)).optional(),
  /** Paths relative to the run folder. */
  checkpoint: z.strictObject({ state: z.string().min(1), replay: z.string().min(1).nullable(), sha256: z.strictObject({ state: hex64, replay: hex64.nullable() }) }),
  finishedAt: z.string(),
});

const journalSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  code: z.string(),
  scenario: z.unknown(),
  setup: z.strictObject({ clients: z.number().int().positive(), backend: z.enum(BACKEND_NAMES), threads: z.number().int().positive(), remote: z.boolean(), gpus: z.array(z.string()).optional() }),
  startedAt: z.string(),
  stream: z.union([streamSummarySchema, z.strictObject({ chunks: z.array(z.strictObject({ id: nonNegativeInt, size: nonNegativeInt })).min(1) })]).nullable(),
  randomInit: evalMetricsSchema.nullable(),
  arms: z.array(z.strictObject({ name: z.string(), stages: z.array(stageSchema), error: z.string().nullable() })),
  retries: z.array(
    z.strictObject({ taskId: z.string(), arm: z.string().optional(), stage: nonNegativeInt.optional(), attempt: z.number().int().positive(), client: z.string(), reason: z.string(), at: z.string() }),
  ),
  clients: z.array(z.strictObject({ id: z.string(), hostname: z.string(), pid: nonNegativeInt, backend: z.string().optional(), backendReason: z.string().optional(), device: z.string().optional(), address: z.string().optional() })),
  resumedAt: z.array(z.string()),
});

type JournalData = Omit<z.output<typeof journalSchema>, 'scenario'> & { scenario: Scenario };
type JournalStage = JournalData['arms'][number]['stages'][number];

/** A journal that cannot be created or continued; the message says which file and why. */
export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/** The journal of one run folder; every `record*` resolves once the change is on disk. */
export class RunJournal {
  readonly path: string;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly runDir: string,
    private readonly data: JournalData,
    private readonly writes: WritePolicy,
  ) {
    this.path = join(runDir, JOURNAL_FILE);
  }

  /** Starts the journal of a new run in `runDir`; refuses a folder that already holds one. */
  static async create(runDir: string, init: { scenario: Scenario; setup: ClientSetup; stream?: ResultStream }, writes: WritePolicy = DEFAULT_WRITE_POLICY): Promise<RunJournal> {
    const path = join(runDir, JOURNAL_FILE);
    if (await exists(path)) {
      throw new JournalError(`${runDir} already holds a run (${JOURNAL_FILE}): continue it with  streamssl resume ${runDir}  or choose another --out`);
    }
    const journal = new RunJournal(runDir, {
      format: FORMAT,
      version: VERSION,
      code: codeVersion(),
      scenario: init.scenario,
      setup: init.setup,
      startedAt: new Date().toISOString(),
      stream: init.stream ?? null,
      randomInit: null,
      arms: init.scenario.arms.map((arm) => ({ name: arm.name, stages: [], error: null })),
      retries: [],
      clients: [],
      resumedAt: [],
    }, writes);
    await journal.save();
    return journal;
  }

  /** Reads the journal of `runDir`, refusing one that is missing, corrupt or from other code. */
  static async open(runDir: string, writes: WritePolicy = DEFAULT_WRITE_POLICY): Promise<RunJournal> {
    const path = join(runDir, JOURNAL_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new JournalError(missing ? `${runDir} has no ${JOURNAL_FILE}: not a streamssl run folder` : `cannot read ${path}: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new JournalError(`${path} is corrupt (not valid JSON: ${(err as Error).message})`);
    }
    const head = raw as { format?: unknown; version?: unknown; code?: unknown } | null;
    if (head?.format !== FORMAT) throw new JournalError(`${path} is not a streamssl run journal`);
    if (head.version !== VERSION) throw new JournalError(`${path} has journal format ${String(head.version)}; this streamssl reads format ${VERSION}`);
    if (head.code !== codeVersion()) {
      throw new JournalError(
        `${path} was written by streamssl ${String(head.code)}, this is ${codeVersion()}: other code would not continue the same ` +
          'computation, so the run cannot be resumed (start it again with streamssl run)',
      );
    }
    const parsed = journalSchema.safeParse(raw);
    if (!parsed.success) throw new JournalError(`${path} is corrupt: ${describeIssues(parsed.error)}`);
    let scenario: Scenario;
    try {
      scenario = parseScenario(parsed.data.scenario, `${path} (scenario)`);
    } catch (err) {
      if (err instanceof ScenarioError) throw new JournalError(err.message);
      throw err;
    }
    const names = scenario.arms.map((a) => a.name).join(', ');
    if (parsed.data.arms.map((a) => a.name).join(', ') !== names) throw new JournalError(`${path} is corrupt: its arms do not match the scenario's (${names})`);
    return new RunJournal(runDir, { ...parsed.data, scenario }, writes);
  }

  get scenario(): Scenario {
    return this.data.scenario;
  }

  get setup(): ClientSetup {
    return this.data.setup;
  }

  get startedAt(): Date {
    return new Date(this.data.startedAt);
  }

  get stream(): ResultStream | null {
    return this.data.stream;
  }

  get randomInit(): EvalMetrics | null {
    return this.data.randomInit;
  }

  get clients(): readonly ResultClient[] {
    return this.data.clients;
  }

  get retries(): readonly RetryRecord[] {
    return this.data.retries;
  }

  /** The finished stages of `arm`, in order, with absolute checkpoint paths. */
  stages(arm: string): StageRecord[] {
    return this.arm(arm).stages.map((s) => ({
      stage: s.stage,
      task: s.task,
      clientId: s.client,
      metrics: s.metrics,
      handoffSeconds: s.handoffSeconds,
      ...(s.handoffBytes ? { handoffBytes: s.handoffBytes } : {}),
      ...(s.dropped ? { dropped: s.dropped } : {}),
      ...(s.overheadSeconds ? { overheadSeconds: s.overheadSeconds } : {}),
      ...(s.clientWaitSeconds ? { clientWaitSeconds: s.clientWaitSeconds } : {}),
      checkpoint: { state: join(this.runDir, s.checkpoint.state), replay: s.checkpoint.replay && join(this.runDir, s.checkpoint.replay), sha256: s.checkpoint.sha256 },
    }));
  }

  /** Why `arm` stopped the last time it ran, or null. */
  armError(arm: string): string | null {
    return this.arm(arm).error;
  }

  recordStream(stream: ResultStream): Promise<void> {
    this.data.stream = stream;
    return this.save();
  }

  recordRandomInit(metrics: EvalMetrics): Promise<void> {
    this.data.randomInit = metrics;
    return this.save();
  }

  /** Records a finished, checkpointed stage; stages must come in order. */
  recordStage(arm: string, record: StageRecord): Promise<void> {
    const entry = this.arm(arm);
    if (record.stage !== entry.stages.length) throw new Error(`journal: arm ${arm} recorded stage ${record.stage} after ${entry.stages.length} finished stage(s)`);
    const relativePath = (path: string) => relative(this.runDir, path);
    const stage: JournalStage = {
      stage: record.stage,
      task: record.task,
      client: record.clientId,
      metrics: record.metrics,
      handoffSeconds: record.handoffSeconds,
      ...(record.handoffBytes ? { handoffBytes: record.handoffBytes } : {}),
      ...(record.dropped ? { dropped: record.dropped } : {}),
      ...(record.overheadSeconds ? { overheadSeconds: record.overheadSeconds } : {}),
      ...(record.clientWaitSeconds ? { clientWaitSeconds: record.clientWaitSeconds } : {}),
      checkpoint: {
        state: relativePath(record.checkpoint.state),
        replay: record.checkpoint.replay && relativePath(record.checkpoint.replay),
        sha256: record.checkpoint.sha256,
      },
      finishedAt: new Date().toISOString(),
    };
    entry.stages.push(stage);
    return this.save();
  }

  /** Records a retried task; its reason (which may quote a client) is made plain. */
  recordRetry(retry: Omit<RetryRecord, 'at'>): Promise<void> {
    this.data.retries.push({ ...retry, reason: plainText(retry.reason, MAX_RECORDED_ERROR_LENGTH), at: new Date().toISOString() });
    return this.save();
  }

  /** Notes why `arm` stopped (made plain: it may quote a client), or (null) that it runs again. */
  recordArmError(arm: string, error: string | null): Promise<void> {
    this.arm(arm).error = error === null ? null : plainText(error, MAX_RECORDED_ERROR_LENGTH);
    return this.save();
  }

  /** Notes a client process that joined (once per id and process), its self-description made plain. */
  recordClient(joined: ResultClient): Promise<void> {
    const client = plainClientFields(joined);
    if (this.data.clients.some((c) => c.id === client.id && c.pid === client.pid && c.hostname === client.hostname)) return this.saving;
    this.data.clients.push(client);
    return this.save();
  }

  recordResume(): Promise<void> {
    this.data.resumedAt.push(new Date().toISOString());
    return this.save();
  }

  private arm(name: string): JournalData['arms'][number] {
    const entry = this.data.arms.find((a) => a.name === name);
    if (!entry) throw new Error(`journal: no arm ${name}`);
    return entry;
  }

  /** Writes the journal as it is now; writes land in call order. Rejects with a `WriteError` naming the file. */
  private save(): Promise<void> {
    const bytes = new TextEncoder().encode(`${JSON.stringify(this.data, null, 2)}\n`);
    const write = this.saving.catch(() => undefined).then(() => writeFileRetrying(this.path, bytes, this.writes));
    this.saving = write;
    return write;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
