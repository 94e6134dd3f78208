/**
 * The run so far, as one plain JSON value a viewer can be sent when it connects mid-run
 * (then kept current by applying the same events it receives live), or that is rebuilt
 * from `DIR/metrics.jsonl` for a finished run. `applyEvent` is the one reducer: the bus,
 * the file reader and a page all use it, so they agree.
 *
 * Bounded whatever the run's length and width (see the `SNAPSHOT_LIMITS`): each arm's loss
 * curve keeps every step until it holds `lossPoints` points, then every second one (and
 * so on, doubling), so a long arm keeps its whole shape at a coarser step; the lists of
 * notable events, retries and hand-offs keep their latest entries; clients that left are
 * forgotten, oldest first, beyond `clients`. With 64 clients and 20 arms that is a few MB.
 */
import type { RunEvent, RunEventOf } from './run-events.js';
import { applySeedEvent, armKey, seedView, startSeeds, type SeedView } from './seed-view.js';

export { armKey, type SeedView } from './seed-view.js';

/** What a client is doing, as far as the coordinator can tell. */
export type ClientState = 'idle' | 'receiving' | 'training' | 'evaluating' | 'sending' | 'gone';

/** A client's current task. */
export interface ClientTask {
  taskId: string;
  kind: string;
  /** The seed of the run the task belongs to, in a run over several seeds. */
  seed?: number;
  arm?: string;
  stage?: number;
  step: number;
  steps?: number;
  loss?: number;
  imagesPerSecond?: number;
  stepsPerSecond?: number;
  /** When it was assigned (ms since the epoch). */
  since: number;
}

export interface ClientView {
  id: string;
  host: string;
  address: string;
  pid: number;
  backend?: string;
  device?: string;
  state: ClientState;
  task: ClientTask | null;
  joinedAt: number;
  leftAt?: number;
  restarts: number;
  tasksDone: number;
}

/** One point of a loss curve: the arm's global step `x`. */
export interface LossPoint {
  x: number;
  loss: number;
  t: number;
  stage: number;
  client: string;
}

/** A planned stage of an arm: its steps, and whether it ends with an evaluation (absent in older files). */
export interface PlannedStage {
  stage: number;
  steps: number;
  evaluates?: boolean;
}

export interface ArmView {
  name: string;
  /** In a run over several seeds, the seed this view of the arm runs with (the snapshot keys it `armKey(name, seed)`). */
  seed?: number;
  mode: string;
  /** Planned stages with their steps (empty until the stream is planned). */
  planned: PlannedStage[];
  /** Stages finished in earlier sessions, as the journal had them when the stream was planned. */
  finishedBefore: number;
  /** Stages done, in order of `stage`. */
  stages: Array<RunEventOf<'stage-done'>>;
  /** Every `stride`-th progress report (see the module's note). */
  loss: { points: LossPoint[]; stride: number; seen: number };
  retries: Array<RunEventOf<'retry'>>;
  handOffs: Array<RunEventOf<'hand-off'>>;
  failed: RunEventOf<'arm-failed'> | null;
}

export interface RunSnapshot {
  version: 1;
  scenario: string | null;
  parallelArms: boolean;
  /** Sessions so far: 1, plus one per resume. */
  sessions: number;
  startedAt: number | null;
  updatedAt: number;
  clients: Record<string, ClientView>;
  arms: Record<string, ArmView>;
  randomInit: { knnTop1: number; linearTop1: number } | null;
  /** A run over several seeds: each seed's state and floor, keyed by the seed (empty for a run of one seed). */
  seeds: Record<string, SeedView>;
  /** Joins, leaves, restarts, retries, refusals, failures, stages done: the latest `SNAPSHOT_LIMITS.notable`. */
  notable: RunEvent[];
  totals: { bytesToClients: number; bytesFromClients: number; stagesDone: number; retries: number; refused: number; restarts: number; droppedNotable: number };
  done: RunEventOf<'run-done'> | null;
}

/** The bounds of a snapshot (see the module's note). */
export const SNAPSHOT_LIMITS = { lossPoints: 2048, notable: 1000, perArmList: 1000, clients: 1024, arms: 1000 };

export function emptySnapshot(): RunSnapshot {
  return {
    version: 1,
    scenario: null,
    parallelArms: false,
    sessions: 0,
    startedAt: null,
    updatedAt: 0,
    clients: {},
    arms: {},
    randomInit: null,
    seeds: {},
    notable: [],
    totals: { bytesToClients: 0, bytesFromClients: 0, stagesDone: 0, retries: 0, refused: 0, restarts: 0, droppedNotable: 0 },
    done: null,
  };
}

const NOTABLE: ReadonlySet<RunEvent['type']> = new Set(['client-joined', 'client-left', 'client-restarted', 'retry', 'refused', 'arm-failed', 'stage-done', 'seed-done', 'run-done']);

/** Applies `e` to `s` in place (and returns `s`). Events of unknown clients or arms are kept where they can be. */
export function applyEvent(s: RunSnapshot, e: RunEvent): RunSnapshot {
  s.updatedAt = Math.max(s.updatedAt, e.t);
  if (NOTABLE.has(e.type)) pushBounded(s.notable, e, SNAPSHOT_LIMITS.notable, () => s.totals.droppedNotable++);
  switch (e.type) {
    case 'run-started':
      s.scenario = e.scenario;
      s.parallelArms = e.parallelArms;
      s.sessions += 1;
      s.startedAt ??= e.t;
      s.done = null;
      // A new session: whoever was connected to an earlier one is gone.
      for (const c of Object.values(s.clients)) leave(c, e.t);
      for (const seed of e.seeds ?? [undefined]) for (const arm of e.arms) armOf(s, arm.name, seed, arm.mode);
      if (e.seeds) startSeeds(s.seeds, e.seeds);
      return s;
    case 'seed-started':
    case 'seed-done':
      applySeedEvent(s.seeds, e);
      return s;
    case 'arms-planned':
      for (const planned of e.arms) {
        const arm = armOf(s, planned.name, e.seed);
        if (!arm) continue;
        arm.planned = planned.stages.map(({ stage, steps, evaluates }) => ({ stage, steps, ...(evaluates !== undefined ? { evaluates } : {}) }));
        arm.finishedBefore = planned.finished;
      }
      return s;
    case 'client-joined': {
      const old = s.clients[e.client];
      s.clients[e.client] = {
        id: e.client,
        host: e.host,
        address: e.address,
        pid: e.pid,
        ...(e.backend !== undefined ? { backend: e.backend } : {}),
        ...(e.device !== undefined ? { device: e.device } : {}),
        state: 'idle',
        task: null,
        joinedAt: e.t,
        restarts: old?.restarts ?? 0,
        tasksDone: old?.tasksDone ?? 0,
      };
      forgetGoneClients(s);
      return s;
    }
    case 'client-left': {
      const c = s.clients[e.client];
      if (c) leave(c, e.t);
      return s;
    }
    case 'client-restarted': {
      s.totals.restarts += 1;
      const c = s.clients[e.client];
      if (c) c.restarts = Math.max(c.restarts, e.restart);
      return s;
    }
    case 'task-assigned': {
      const c = s.clients[e.client];
      if (!c) return s;
      c.state = 'receiving';
      c.task = { taskId: e.taskId, kind: e.kind, ...(e.seed !== undefined ? { seed: e.seed } : {}), ...(e.arm !== undefined ? { arm: e.arm } : {}), ...(e.stage !== undefined ? { stage: e.stage } : {}), ...(e.steps !== undefined ? { steps: e.steps } : {}), step: 0, since: e.t };
      return s;
    }
    case 'task-started': {
      const c = s.clients[e.client];
      if (c?.task?.taskId === e.taskId) c.state = c.task.kind === 'train' ? 'training' : 'evaluating';
      return s;
    }
    case 'progress':
      onProgress(s, e);
      return s;
    case 'task-ended': {
      const c = s.clients[e.client];
      if (!c || c.state === 'gone') return s;
      if (c.task?.taskId === e.taskId) {
        c.task = null;
        c.state = 'idle';
      }
      if (e.end === 'done') c.tasksDone += 1;
      return s;
    }
    case 'hand-off': {
      if (e.direction === 'to-client') s.totals.bytesToClients += e.bytes;
      else s.totals.bytesFromClients += e.bytes;
      const arm = e.arm === undefined ? undefined : armOf(s, e.arm, e.seed);
      if (arm) pushBounded(arm.handOffs, e, SNAPSHOT_LIMITS.perArmList);
      return s;
    }
    case 'stage-done': {
      s.totals.stagesDone += 1;
      const arm = armOf(s, e.arm, e.seed, e.mode);
      if (!arm) return s;
      arm.stages = [...arm.stages.filter((x) => x.stage !== e.stage), e].sort((a, b) => a.stage - b.stage).slice(-SNAPSHOT_LIMITS.perArmList);
      return s;
    }
    case 'retry': {
      s.totals.retries += 1;
      const arm = e.arm === undefined ? undefined : armOf(s, e.arm, e.seed);
      if (arm) pushBounded(arm.retries, e, SNAPSHOT_LIMITS.perArmList);
      return s;
    }
    case 'refused':
      s.totals.refused += 1;
      return s;
    case 'arm-failed': {
      const arm = armOf(s, e.arm, e.seed);
      if (arm) arm.failed = e;
      return s;
    }
    case 'random-init': {
      const floor = { knnTop1: e.knnTop1, linearTop1: e.linearTop1 };
      if (e.seed === undefined) s.randomInit = floor;
      else seedView(s.seeds, e.seed).randomInit = floor;
      return s;
    }
    case 'run-done':
      s.done = e;
      return s;
  }
}

function onProgress(s: RunSnapshot, e: RunEventOf<'progress'>): void {
  const c = s.clients[e.client];
  if (c?.task?.taskId === e.taskId) {
    c.state = e.step >= e.steps ? 'sending' : 'training';
    Object.assign(c.task, { step: e.step, steps: e.steps, loss: e.loss });
    if (e.imagesPerSecond !== undefined) c.task.imagesPerSecond = e.imagesPerSecond;
    if (e.stepsPerSecond !== undefined) c.task.stepsPerSecond = e.stepsPerSecond;
  }
  const arm = armOf(s, e.arm, e.seed);
  if (!arm) return;
  const loss = arm.loss;
  if (loss.seen++ % loss.stride !== 0) return;
  loss.points.push({ x: e.x, loss: e.loss, t: e.t, stage: e.stage, client: e.client });
  if (loss.points.length >= SNAPSHOT_LIMITS.lossPoints) {
    // Halve the resolution: the points kept are those a doubled stride would have kept.
    loss.points = loss.points.filter((_, i) => i % 2 === 0);
    loss.stride *= 2;
  }
}

/** The arm named `name` (of `seed`), created (with `mode`, when known) unless the snapshot holds its limit of arms. */
function armOf(s: RunSnapshot, name: string, seed: number | undefined, mode?: string): ArmView | undefined {
  const key = armKey(name, seed);
  let arm = s.arms[key];
  if (!arm) {
    if (Object.keys(s.arms).length >= SNAPSHOT_LIMITS.arms) return undefined;
    arm = { name, ...(seed !== undefined ? { seed } : {}), mode: mode ?? 'unknown', planned: [], finishedBefore: 0, stages: [], loss: { points: [], stride: 1, seen: 0 }, retries: [], handOffs: [], failed: null };
    s.arms[key] = arm;
  } else if (mode !== undefined) {
    arm.mode = mode;
  }
  return arm;
}

function leave(c: ClientView, t: number): void {
  if (c.state === 'gone') return;
  c.state = 'gone';
  c.task = null;
  c.leftAt = t;
}

/** Beyond the limit, the clients that left longest ago are forgotten. */
function forgetGoneClients(s: RunSnapshot): void {
  const all = Object.values(s.clients);
  if (all.length <= SNAPSHOT_LIMITS.clients) return;
  const gone = all.filter((c) => c.state === 'gone').sort((a, b) => (a.leftAt ?? 0) - (b.leftAt ?? 0));
  for (const c of gone.slice(0, all.length - SNAPSHOT_LIMITS.clients)) delete s.clients[c.id];
}

function pushBounded<T>(list: T[], item: T, limit: number, onDrop?: () => void): void {
  list.push(item);
  if (list.length > limit) {
    list.shift();
    onDrop?.();
  }
}

/** The view of the arm a client's task trains, if the snapshot has it. */
export function armOfTask(s: RunSnapshot, task: Pick<ClientTask, 'arm' | 'seed'>): ArmView | undefined {
  return task.arm === undefined ? undefined : s.arms[armKey(task.arm, task.seed)];
}

/** The random-init floor of `seed`'s run (of the run, for a run of one seed), or null until evaluated. */
export function randomInitOf(s: RunSnapshot, seed: number | undefined): RunSnapshot['randomInit'] {
  return seed === undefined ? s.randomInit : (s.seeds[seed]?.randomInit ?? null);
}
