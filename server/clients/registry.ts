/**
 * The client registry: who is connected, who is idle or busy, what each last worked on.
 * It is also the pool of clients the schedulers draw from: `acquire` hands out the client
 * that has been idle longest (so a relay moves from client to client), or waits for one.
 *
 * It keeps score of how clients' tasks end. A client that was unresponsive (connected, but
 * it did not acknowledge a task or showed no progress) `QUARANTINE_AFTER` times in a row is
 * set aside: it gets a task only when no other connected client could serve it. A task that
 * already lost a client goes first to the clients with the cleanest record (fewest strikes,
 * most finished tasks), so that an honest idle client gets the retry, not the next
 * unresponsive one.
 */
import type { WireTask } from '../../shared/protocol.js';
import type { AcquireOptions, TaskEnd, TaskClient, ClientPool } from './pool.js';
import type { EventSink } from '../observe/bus.js';
import { taskSeed } from '../observe/seed-tag.js';

/** Unresponsive task ends in a row after which a client is set aside. */
export const QUARANTINE_AFTER = 2;

/** What a client told us about itself in `hello`. */
export interface ClientInfo {
  pid: number;
  hostname: string;
  backend?: string;
  backendReason?: string;
  /** The GPU(s) the client was given, as its hello reported. */
  device?: string;
  /** The chunks whose data the client holds; absent: every chunk. */
  chunks?: number[];
  address: string;
}

/** What a client holds: the data and state of the last task it ran (or runs). */
export interface Holding {
  taskId: string;
  kind: WireTask['kind'];
  arm?: string;
  stage?: number;
  chunks?: number[];
}

/** A client as the registry reports it. */
export interface ClientSnapshot extends ClientInfo {
  id: string;
  busy: boolean;
  /** Set aside after repeated unresponsive task ends. */
  quarantined: boolean;
  holds: Holding | null;
  connectedAt: Date;
}

interface Entry {
  id: string;
  info: ClientInfo;
  client: TaskClient;
  busy: boolean;
  holds: Holding | null;
  connectedAt: Date;
  idleSince: number;
  /** Unresponsive task ends in a row. */
  strikes: number;
  /** Tasks it finished. */
  finished: number;
  /** The client handed out for the current task; a stale one (an earlier session) is not released. */
  lease: TaskClient | null;
}

interface Waiter {
  /** A chunk the client must hold. */
  chunk?: number;
  /** The task lost a client before (see `AcquireOptions.retry`). */
  retry?: boolean;
  /** A client it must not get (see `AcquireOptions.except`). */
  except?: string;
  /** Served after the others (see `AcquireOptions.background`). */
  background?: boolean;
  resolve(client: TaskClient): void;
  reject(err: Error): void;
  /** Set when the waiter gives up after this long without any client connected. */
  noClientsTimeoutMs?: number;
  timer?: NodeJS.Timeout;
}

/** No client that could serve a task (any client, or one holding its chunk) was connected for as long as it was willing to wait. */
export class NoClientsError extends Error {
  constructor(seconds: number, chunk?: number) {
    super(chunk === undefined ? `no client was connected for ${seconds} s` : `no connected client held chunk ${chunk} for ${seconds} s`);
    this.name = 'NoClientsError';
  }
}

/** Connected clients, and a `ClientPool` over them. */
export class ClientRegistry implements ClientPool {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Waiter[] = [];
  private readonly countWatchers = new Set<() => void>();
  private readonly joinListeners = new Set<(client: ClientSnapshot) => void>();
  private failure: Error | null = null;

  /** `events` is told of clients joining and leaving, and of tasks handed out and ended. */
  constructor(private readonly events?: EventSink) {}

  /** Registers a client under `requestedId`, or under `requestedId-2`, `-3`... when that is taken. */
  add(requestedId: string, info: ClientInfo, makeClient: (id: string) => TaskClient): string {
    let id = requestedId;
    for (let n = 2; this.entries.has(id); n++) id = `${requestedId}-${n}`;
    this.entries.set(id, { id, info, client: makeClient(id), busy: false, holds: null, connectedAt: new Date(), idleSince: Date.now(), strikes: 0, finished: 0, lease: null });
    this.dispatch();
    this.updateNoClientsTimers();
    for (const watch of [...this.countWatchers]) watch();
    const joined = this.list().find((c) => c.id === id)!;
    this.events?.publish({
      type: 'client-joined',
      client: id,
      host: info.hostname,
      address: info.address,
      pid: info.pid,
      ...(info.backend !== undefined ? { backend: info.backend } : {}),
      ...(info.device !== undefined ? { device: info.device } : {}),
      ...(info.chunks !== undefined ? { chunks: info.chunks } : {}),
    });
    for (const listener of [...this.joinListeners]) listener(joined);
    return id;
  }

  /** Calls `listener` with every client that joins from now on; returns a function that stops it. */
  onJoin(listener: (client: ClientSnapshot) => void): () => void {
    this.joinListeners.add(listener);
    return () => this.joinListeners.delete(listener);
  }

  /** Forgets a client (it disconnected). A task it was running fails through its client. */
  remove(id: string, reason = 'disconnected'): void {
    if (this.entries.delete(id)) this.events?.publish({ type: 'client-left', client: id, reason });
    this.updateNoClientsTimers();
    for (const watch of [...this.countWatchers]) watch();
  }

  get size(): number {
    return this.entries.size;
  }

  list(): ClientSnapshot[] {
    return [...this.entries.values()].map((e) => ({ id: e.id, ...e.info, busy: e.busy, quarantined: quarantined(e), holds: e.holds, connectedAt: e.connectedAt }));
  }

  /**
   * Resolves with an idle client, waiting for one to be released or to join. With
   * `noClientsTimeoutMs`, rejects with `NoClientsError` once no connected client could
   * serve it (none at all, or none holding its chunk) for that long; waiting for a busy
   * one is normal scheduling, not bounded.
   */
  acquire(options: AcquireOptions = {}): Promise<TaskClient> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<TaskClient>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        noClientsTimeoutMs: options.noClientsTimeoutMs,
        ...(options.chunk !== undefined ? { chunk: options.chunk } : {}),
        ...(options.retry ? { retry: true } : {}),
        ...(options.except !== undefined ? { except: options.except } : {}),
        ...(options.background ? { background: true } : {}),
      };
      this.waiters.push(waiter);
      this.dispatch();
      if (this.waiters.includes(waiter) && !this.canServe(waiter)) this.startNoClientsTimer(waiter);
    });
  }

  /** Returns a client to the pool and scores its task's end; a client that has left (or rejoined since) is ignored. */
  release(client: TaskClient, end: TaskEnd = 'done'): void {
    const entry = this.entries.get(client.id);
    if (!entry || entry.lease !== client) return;
    if (end === 'done') {
      entry.strikes = 0;
      entry.finished += 1;
    } else if (end === 'unresponsive') {
      entry.strikes += 1;
    }
    if (entry.holds) this.events?.publish({ type: 'task-ended', client: entry.id, taskId: entry.holds.taskId, end });
    entry.lease = null;
    entry.busy = false;
    entry.idleSince = Date.now();
    this.dispatch();
  }

  /** Resolves once at least `count` clients are registered; rejects after `timeoutMs` if given. */
  waitForClients(count: number, timeoutMs?: number): Promise<void> {
    if (this.entries.size >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const watch = () => {
        if (this.failure) settle(this.failure);
        else if (this.entries.size >= count) settle();
      };
      const settle = (err?: Error) => {
        this.countWatchers.delete(watch);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      this.countWatchers.add(watch);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => settle(new Error(`only ${this.entries.size} of ${count} clients connected within ${timeoutMs / 1000} s`)), timeoutMs);
      }
    });
  }

  /** Fails every pending and future `acquire` and `waitForClients` (e.g. all client processes died). */
  fail(err: Error): void {
    this.failure = err;
    for (const waiter of this.waiters.splice(0)) {
      stopNoClientsTimer(waiter);
      waiter.reject(err);
    }
    for (const watch of [...this.countWatchers]) watch();
  }

  /**
   * Hands idle clients to waiters in order, background ones last; a waiter no idle client
   * can serve lets later ones pass.
   */
  private dispatch(): void {
    const ordered = [...this.waiters.filter((w) => !w.background), ...this.waiters.filter((w) => w.background)];
    for (const waiter of ordered) {
      const idle = this.choose(waiter);
      if (!idle) continue;
      idle.busy = true;
      idle.lease = this.tracked(idle);
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      stopNoClientsTimer(waiter);
      waiter.resolve(idle.lease);
    }
  }

  /**
   * The idle client to hand `waiter`, or none yet: a client in quarantine only when no
   * connected client outside it could serve the waiter, even later.
   */
  private choose(waiter: Waiter): Entry | undefined {
    const able = [...this.entries.values()].filter((e) => serves(e, waiter));
    const healthy = able.filter((e) => !quarantined(e));
    const idle = (healthy.length > 0 ? healthy : able).filter((e) => !e.busy);
    const order = waiter.retry
      ? (a: Entry, b: Entry) => a.strikes - b.strikes || b.finished - a.finished || a.idleSince - b.idleSince
      : (a: Entry, b: Entry) => a.strikes - b.strikes || a.idleSince - b.idleSince;
    return idle.sort(order)[0];
  }

  /** Whether a connected client, busy or not, holds what the waiter needs. */
  private canServe(waiter: Waiter): boolean {
    return [...this.entries.values()].some((e) => serves(e, waiter));
  }

  /** Waiters that some connected client could serve wait freely; the others are timed. */
  private updateNoClientsTimers(): void {
    for (const waiter of this.waiters) {
      if (this.canServe(waiter)) stopNoClientsTimer(waiter);
      else this.startNoClientsTimer(waiter);
    }
  }

  private startNoClientsTimer(waiter: Waiter): void {
    const ms = waiter.noClientsTimeoutMs;
    if (ms === undefined || waiter.timer !== undefined) return;
    waiter.timer = setTimeout(() => {
      const at = this.waiters.indexOf(waiter);
      if (at >= 0) this.waiters.splice(at, 1);
      // With clients connected, none of them held the chunk; else there was none at all.
      waiter.reject(new NoClientsError(ms / 1000, this.entries.size > 0 ? waiter.chunk : undefined));
    }, ms);
  }

  /** The entry's client, noting what it holds whenever it is given a task. */
  private tracked(entry: Entry): TaskClient {
    return {
      id: entry.id,
      runTask: (task, state, replay, bounds) => {
        entry.holds = {
          taskId: task.taskId,
          kind: task.kind,
          ...(task.kind === 'train' ? { arm: task.arm, stage: task.stage, chunks: task.data.chunks } : {}),
        };
        this.events?.publish({
          type: 'task-assigned',
          client: entry.id,
          taskId: task.taskId,
          kind: task.kind,
          ...taskSeed(task.taskId),
          ...(task.kind === 'train' ? { arm: task.arm, stage: task.stage, steps: task.steps } : {}),
          // An evaluation of one stage's state (beside the next stage) shows under its arm and stage.
          ...(task.kind === 'eval' && task.arm !== undefined ? { arm: task.arm, ...(task.stage !== undefined ? { stage: task.stage } : {}) } : {}),
        });
        return entry.client.runTask(task, state, replay, bounds);
      },
    };
  }
}

function quarantined(entry: Entry): boolean {
  return entry.strikes >= QUARANTINE_AFTER;
}

/** Whether the client could serve the waiter: it holds the chunk and is not the one excluded. */
function serves(entry: Entry, waiter: Waiter): boolean {
  return entry.id !== waiter.except && holds(entry, waiter.chunk);
}

/** Whether the client holds `chunk` (every client can serve a task that names none). */
function holds(entry: Entry, chunk: number | undefined): boolean {
  return chunk === undefined || entry.info.chunks === undefined || entry.info.chunks.includes(chunk);
}

function stopNoClientsTimer(waiter: Waiter): void {
  clearTimeout(waiter.timer);
  waiter.timer = undefined;
}
