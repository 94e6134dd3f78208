/**
 * The run's event bus: the places that know what happens (the registry, the coordinator's
 * connections, the run loop, retries, spawned processes) publish typed events to it; it
 * keeps the run's snapshot current and hands every event to its subscribers (the
 * metrics.jsonl writer, Prometheus, the terminal display, a viewer). A subscriber that
 * throws is unsubscribed and never disturbs the run. Nothing subscribes on import: the
 * run builds its bus and attaches what it wants.
 */
import type { RunEvent, RunEventInput } from '../../shared/observe/run-events.js';
import { applyEvent, emptySnapshot, type RunSnapshot } from '../../shared/observe/snapshot.js';

/** What publishers are given: they can publish, nothing else. */
export interface EventSink {
  publish(event: RunEventInput): void;
}

/** A subscriber; it sees each event after the snapshot took it. */
export type RunEventListener = (event: RunEvent, snapshot: RunSnapshot) => void;

export class RunEvents implements EventSink {
  private readonly listeners = new Set<RunEventListener>();
  private readonly state: RunSnapshot;

  constructor(
    /** The run so far (e.g. rebuilt from an earlier session's metrics.jsonl). */
    initial: RunSnapshot = emptySnapshot(),
    private readonly onListenerError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.state = initial;
  }

  publish(input: RunEventInput): void {
    const event = { ...input, t: input.t ?? this.now() } as RunEvent;
    applyEvent(this.state, event);
    for (const listener of [...this.listeners]) {
      try {
        listener(event, this.state);
      } catch (err) {
        this.listeners.delete(listener);
        this.onListenerError(err);
      }
    }
  }

  /** Calls `listener` with every event from now on; returns a function that stops it. */
  subscribe(listener: RunEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The run so far, live: read it, do not change it (a viewer is sent `snapshotCopy()`). */
  get snapshot(): Readonly<RunSnapshot> {
    return this.state;
  }

  /** Continues from `snapshot` (an earlier session's, read back from metrics.jsonl), before anything is published. */
  restore(snapshot: RunSnapshot): void {
    Object.assign(this.state, snapshot);
  }

  /** A copy of the run so far, to send to a viewer that connects now; then it applies the events it is sent. */
  snapshotCopy(): RunSnapshot {
    return structuredClone(this.state);
  }
}
