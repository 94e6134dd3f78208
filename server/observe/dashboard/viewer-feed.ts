/**
 * What a dashboard is sent over its socket.io namespace: on connecting, the run so far
 * (`snapshotCopy()`, with the number of the last event it holds), then the events as they
 * come, in batches at most `flushMs` apart, sent once to every viewer (one broadcast, not
 * one send per viewer). The page applies them with the same reducer (shared/observe), and
 * skips those its snapshot already held. A batch that piles up (many clients) keeps every
 * event but the progress reports, which are coalesced to the latest of each task. Viewers
 * only read: anything they emit is ignored.
 */
import type { Namespace, Socket } from 'socket.io';
import type { RunEvent } from '../../../shared/observe/run-events.js';
import type { RunSnapshot } from '../../../shared/observe/snapshot.js';
import type { RunEventListener } from '../bus.js';

/** Where the run is read from: the live bus, or a finished run's snapshot (no events then). */
export interface ViewSource {
  snapshotCopy(): RunSnapshot;
  subscribe?(listener: RunEventListener): () => void;
}

/** Sent once on connecting. */
export interface SnapshotMessage {
  seq: number;
  snapshot: RunSnapshot;
  live: boolean;
}

/** Sent with each batch: events numbered, in order. */
export interface EventsMessage {
  events: Array<[number, RunEvent]>;
}

export interface ViewerFeedOptions {
  /** Shortest interval between two batches (default 250 ms). */
  flushMs?: number;
  /** Progress reports a batch may hold before they are coalesced (default 256). */
  maxProgressPerBatch?: number;
}

/** Feeds `nsp`'s viewers from `source`; returns a function that sends what is pending and stops. */
export function feedViewers(nsp: Namespace, source: ViewSource, o: ViewerFeedOptions = {}): () => void {
  const flushMs = o.flushMs ?? 250;
  const maxProgress = o.maxProgressPerBatch ?? 256;
  let seq = 0;
  let pending: Array<[number, RunEvent]> = [];
  let progressPending = 0;
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    timer = null;
    if (pending.length === 0) return;
    const batch = progressPending > maxProgress ? coalesceProgress(pending) : pending;
    pending = [];
    progressPending = 0;
    // Nobody watching: nothing to encode.
    if (nsp.sockets.size > 0) nsp.emit('events', { events: batch } satisfies EventsMessage);
  };
  const unsubscribe = source.subscribe?.((event) => {
    pending.push([++seq, event]);
    if (event.type === 'progress') progressPending++;
    timer ??= setTimeout(flush, flushMs);
  });

  nsp.on('connection', (socket: Socket) => {
    socket.emit('snapshot', { seq, snapshot: source.snapshotCopy(), live: source.subscribe !== undefined } satisfies SnapshotMessage);
    // Read-only: a viewer's messages change nothing. Acknowledged with a refusal, so a caller is not left waiting.
    socket.onAny((...args: unknown[]) => {
      const ack = args[args.length - 1];
      if (typeof ack === 'function') (ack as (reply: unknown) => void)({ ok: false, code: 'read_only', message: 'the dashboard is read-only' });
    });
  });

  // Stopping sends what is pending first: the run's last events (its end) reach the viewers before they are disconnected.
  return () => {
    unsubscribe?.();
    if (timer) clearTimeout(timer);
    flush();
  };
}

/** Every event but progress, plus the last progress report of each task, in order. */
export function coalesceProgress(batch: ReadonlyArray<[number, RunEvent]>): Array<[number, RunEvent]> {
  const lastOfTask = new Map<string, number>();
  batch.forEach(([, e], i) => {
    if (e.type === 'progress') lastOfTask.set(e.taskId, i);
  });
  return batch.filter(([, e], i) => e.type !== 'progress' || lastOfTask.get(e.taskId) === i);
}
