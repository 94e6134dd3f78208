/**
 * The run's Prometheus metrics (prom-client), fed by its events: clients connected, stages
 * done, arms failed, retries, refusals, hand-off bytes each way, each client's step rate,
 * the run's estimated seconds left (shared/observe/eta.ts) and a histogram of the
 * coordinator's overhead per stage. Kept in a registry of its own (never prom-client's
 * global one), so two runs in one process do not mix and nothing is registered on import. Counters count this session (a resumed run starts them at zero,
 * as Prometheus expects of a restarted process).
 *
 * In a run over several seeds the per-arm series carry a `seed` label as well, and
 * `streamssl_seeds` counts the seeds by state. A run of one seed has no `seed` label: its
 * series are what they always were, and in PromQL an absent label equals an empty one, so
 * one query (`sum by (arm, seed)`) reads both kinds of run.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunEvent } from '../../shared/observe/run-events.js';
import type { RunEvents } from './bus.js';
import { seedCounts } from '../../shared/observe/seed-view.js';
import { runEtaSeconds } from '../../shared/observe/eta.js';

/** Overhead buckets in seconds: a checkpoint write takes milliseconds, a slow disk or a fedavg average seconds. */
const OVERHEAD_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class RunMetrics {
  readonly registry = new Registry();
  private readonly stagesDone: Counter<'arm' | 'seed'>;
  private readonly armsFailed: Counter<'arm' | 'seed'>;
  private readonly retries: Counter<'arm' | 'seed'>;
  private readonly refused: Counter<'code'>;
  private readonly restarts: Counter;
  private readonly bytes: Counter<'direction'>;
  private readonly stepRate: Gauge<'client'>;
  private readonly overhead: Histogram;
  private readonly stop: () => void;

  /** Follows `events`; `connectedClients` is read at each scrape. */
  constructor(events: RunEvents, connectedClients: () => number) {
    const registers = [this.registry];
    new Gauge({ name: 'streamssl_clients_connected', help: 'Clients connected to the coordinator', registers, collect() { this.set(connectedClients()); } });
    this.stagesDone = new Counter({ name: 'streamssl_stages_done_total', help: 'Stages (fedavg rounds) finished and checkpointed', labelNames: ['arm', 'seed'], registers });
    this.armsFailed = new Counter({ name: 'streamssl_stages_failed_total', help: 'Stages that failed for good, ending their arm', labelNames: ['arm', 'seed'], registers });
    this.retries = new Counter({ name: 'streamssl_stages_retried_total', help: 'Tasks run again after their client was lost', labelNames: ['arm', 'seed'], registers });
    this.refused = new Counter({ name: 'streamssl_refused_messages_total', help: 'Client messages the coordinator refused', labelNames: ['code'], registers });
    this.restarts = new Counter({ name: 'streamssl_client_restarts_total', help: 'Local client processes started again after they died', registers });
    this.bytes = new Counter({ name: 'streamssl_handoff_bytes_total', help: 'Model state and replay bytes moved: sent to clients, received from them', labelNames: ['direction'], registers });
    this.stepRate = new Gauge({ name: 'streamssl_client_steps_per_second', help: "Each training client's optimizer steps per second", labelNames: ['client'], registers });
    new Gauge({
      name: 'streamssl_seeds',
      help: 'Seeds of a run over several seeds, by state (waiting, running, done, failed)',
      labelNames: ['state'],
      registers,
      collect() {
        const seeds = events.snapshot.seeds;
        if (Object.keys(seeds).length === 0) return;
        for (const [state, n] of Object.entries(seedCounts(seeds))) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'streamssl_run_seconds_left',
      help: "Estimated seconds the run still needs (every seed's steps, evaluations and hand-offs left), as the terminal and the dashboard show it; absent until a step rate is measured",
      labelNames: ['scenario'],
      registers,
      collect() {
        const s = events.snapshot;
        const eta = s.done ? null : runEtaSeconds(s);
        // Absent rather than a made-up number while unknown (a labelled gauge reset has no sample).
        this.reset();
        if (eta !== null) this.set({ scenario: s.scenario ?? '' }, eta);
      },
    });
    this.overhead = new Histogram({ name: 'streamssl_coordinator_overhead_seconds', help: "Seconds from a stage's result arriving to the arm's next task being sent", buckets: OVERHEAD_BUCKETS, registers });
    // Labels exist before their first event, so that a scrape shows zeros rather than nothing.
    this.bytes.inc({ direction: 'sent' }, 0);
    this.bytes.inc({ direction: 'received' }, 0);
    this.stop = events.subscribe((e) => this.take(e));
  }

  /** The metrics in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.stop();
  }

  private take(e: RunEvent): void {
    switch (e.type) {
      case 'stage-done':
        this.stagesDone.inc(armLabels(e));
        for (const s of e.overheadSeconds ?? []) this.overhead.observe(s);
        return;
      case 'arm-failed':
        return this.armsFailed.inc(armLabels(e));
      case 'retry':
        return this.retries.inc(armLabels({ arm: e.arm ?? '', seed: e.seed }));
      case 'refused':
        return this.refused.inc({ code: e.code });
      case 'client-restarted':
        return this.restarts.inc();
      case 'hand-off':
        return this.bytes.inc({ direction: e.direction === 'to-client' ? 'sent' : 'received' }, e.bytes);
      case 'progress':
        if (e.stepsPerSecond !== undefined) this.stepRate.set({ client: e.client }, e.stepsPerSecond);
        return;
      case 'task-ended':
      case 'client-left':
        // A client that is not training has no step rate (and one that left no series).
        this.stepRate.remove({ client: e.client });
        return;
      default:
        return;
    }
  }
}

/** The labels of an arm's series: its name, and its seed in a run over several seeds. */
function armLabels(e: { arm: string; seed?: number }): { arm: string; seed?: string } {
  return e.seed === undefined ? { arm: e.arm } : { arm: e.arm, seed: String(e.seed) };
}
