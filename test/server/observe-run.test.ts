/**
 * A run's events with in-process fake clients: what the bus publishes, what DIR/metrics.jsonl
 * holds (and the snapshot read back from it, appended to by a resumed run), and Prometheus
 * /metrics behind the viewer token, its counters matching results.json at the end. A run
 * over two seeds the same way, and what its terminal display shows of both seeds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import { runEventSchema, type RunEvent } from '../../shared/observe/run-events.js';
import { RunEvents } from '../../server/observe/bus.js';
import { readMetricsFile } from '../../server/observe/read-metrics.js';
import { resumeRun } from '../../server/run/resume.js';
import { runScenario, type ClientLauncher } from '../../server/run/run.js';
import { runSeededScenario } from '../../server/run/seeds.js';
import { notableLine, renderProgress } from '../../server/observe/terminal-render.js';
import { armKey } from '../../shared/observe/snapshot.js';
import { withSeedCount } from '../../shared/scenario-seeds.js';
import type { Results } from '../../server/report/results.js';
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { TEST_TOKEN } from '../support/coordinator.js';

const VIEWER_TOKEN = 'viewer-token-abcdefghijklmnop';

/** Samples of a Prometheus text exposition: `name{labels}` → value; throws on a line that is not the format. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Map<string, number> } {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line.startsWith('#')) continue;
    const sample = /^(\w+(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(sample[1], Number(sample[2]));
  }
  return { types, samples };
}

function sum(samples: Map<string, number>, name: string): number {
  return [...samples].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((s, [, v]) => s + v, 0);
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, text: await res.text() };
}

/** Whether a socket.io client presenting `token` is admitted as a client. */
function admitted(url: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = io(url, { auth: { token, protocolVersion: PROTOCOL_VERSION }, transports: ['websocket'], reconnection: false });
    socket.on('connect', () => (socket.close(), resolve(true)));
    socket.on('connect_error', () => (socket.close(), resolve(false)));
  });
}

describe('run events, metrics.jsonl and /metrics (fake clients)', () => {
  const tempDir = useTempDir('streamssl-observe-');

  it('publishes the run, writes metrics.jsonl and serves /metrics behind the viewer token', async () => {
    const dir = tempDir();
    const scenario = tinyScenario({ clients: { stageTimeoutSeconds: 30, parallelArms: false } });
    const clients = inProcessClients({ failOn: (t) => t.taskId === 'relay-replay:stage-1' });
    const events = new RunEvents();
    const seen: RunEvent[] = [];
    events.subscribe((e) => void seen.push(e));
    let scrape: Promise<{ metrics: string; refusals: number[]; viewerAdmitted: boolean }> | null = null;
    // The last scrape happens as the run ends, before its clients stop and the coordinator closes.
    const launcher: ClientLauncher = async (ctx) => {
      const launched = await clients.launcher(ctx);
      events.subscribe((e) => {
        if (e.type !== 'run-done') return;
        scrape = (async () => ({
          metrics: (await get(`${ctx.url}/metrics`, { authorization: `Bearer ${VIEWER_TOKEN}` })).text,
          refusals: [
            (await get(`${ctx.url}/metrics`)).status,
            (await get(`${ctx.url}/metrics`, { authorization: `Bearer ${ctx.token}` })).status,
            (await get(`${ctx.url}/metrics?token=${encodeURIComponent(ctx.token)}`)).status,
          ],
          viewerAdmitted: await admitted(ctx.url, VIEWER_TOKEN),
        }))();
      });
      return { stop: async () => (await scrape, await launched.stop()) };
    };
    const summary = await runScenario({
      scenario,
      outDir: dir,
      resultCheck: FAKE_RESULT_CHECK,
      launch: launcher,
      logger: silentLogger(),
      events,
      listen: { token: TEST_TOKEN, viewerToken: VIEWER_TOKEN, metrics: true },
    });
    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
    expect(summary.failures.map((f) => f.arm)).toEqual(['relay-replay']);

    // The bus saw the run from start to end.
    const types = new Set(seen.map((e) => e.type));
    for (const t of ['run-started', 'arms-planned', 'client-joined', 'task-assigned', 'task-started', 'progress', 'hand-off', 'task-ended', 'stage-done', 'arm-failed', 'random-init', 'run-done'] as const) expect(types).toContain(t);
    const stagesDone = seen.filter((e) => e.type === 'stage-done');
    expect(stagesDone.map((e) => `${e.arm}:${e.stage}`)).toEqual(results.arms.flatMap((a) => a.stages.map((s) => `${a.name}:${s.stage}`)));
    const finalRelay = stagesDone.find((e) => e.arm === 'relay-finetune' && e.stage === 2)!;
    expect(finalRelay.knnTop1).toBe(results.arms[0].final!.knnTop1);
    const snapshot = events.snapshotCopy();
    expect(snapshot.arms['relay-replay'].failed).toMatchObject({ stage: 1 });
    expect(snapshot.arms['relay-finetune'].loss.points.length).toBeGreaterThan(3);
    expect(snapshot.randomInit).toEqual({ knnTop1: 0.1, linearTop1: 0.12 });
    expect(Object.values(snapshot.clients).map((c) => c.state)).toEqual(['gone', 'gone', 'gone']);

    // metrics.jsonl: one valid event a line; progress with step, loss, client, arm, stage and time.
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n');
    const fileEvents = lines.map((l) => runEventSchema.parse(JSON.parse(l)));
    const progress = fileEvents.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.arm && p.client && p.t > 0 && Number.isFinite(p.loss) && p.step >= 1)).toBe(true);
    // Every task's last step is kept, whatever the throttle dropped.
    expect(progress.some((p) => p.taskId === 'joint:stage-0' && p.step === p.steps)).toBe(true);
    expect(fileEvents.filter((e) => e.type === 'stage-done')).toEqual(stagesDone);

    // The snapshot read back equals the live one, but for the throttled loss curves.
    const read = await readMetricsFile(join(dir, 'metrics.jsonl'));
    expect(read.skipped).toBe(0);
    const withoutLoss = (s: typeof snapshot) => ({ ...s, arms: Object.fromEntries(Object.entries(s.arms).map(([k, a]) => [k, { ...a, loss: null }])) });
    expect(withoutLoss(read.snapshot)).toEqual(withoutLoss(snapshot));

    // /metrics: Prometheus text whose counters match results.json.
    const scraped = await scrape!;
    expect(scraped.refusals).toEqual([401, 401, 401]);
    expect(scraped.viewerAdmitted).toBe(false);
    const { types: metricTypes, samples } = parsePrometheus(scraped.metrics);
    expect(metricTypes.get('streamssl_stages_done_total')).toBe('counter');
    expect(metricTypes.get('streamssl_coordinator_overhead_seconds')).toBe('histogram');
    for (const arm of results.arms) expect(samples.get(`streamssl_stages_done_total{arm="${arm.name}"}`) ?? 0).toBe(arm.stages.length);
    expect(sum(samples, 'streamssl_stages_failed_total')).toBe(results.arms.filter((a) => a.error !== undefined).length);
    expect(samples.get('streamssl_stages_failed_total{arm="relay-replay"}')).toBe(1);
    expect(sum(samples, 'streamssl_stages_retried_total')).toBe(0);
    expect(samples.get('streamssl_clients_connected')).toBe(3);
    expect(samples.get('streamssl_coordinator_overhead_seconds_count')).toBe(results.coordinatorOverhead?.samples ?? 0);
    const bytes = (direction: string) => fileEvents.reduce((n, e) => n + (e.type === 'hand-off' && e.direction === direction ? e.bytes : 0), 0);
    expect(samples.get('streamssl_handoff_bytes_total{direction="sent"}')).toBe(bytes('to-client'));
    expect(samples.get('streamssl_handoff_bytes_total{direction="received"}')).toBeGreaterThan(3_000_000);
    expect(samples.get('streamssl_handoff_bytes_total{direction="received"}')).toBe(bytes('from-client'));

    // A resumed run appends to the same file: the snapshot read back holds both sessions.
    await resumeRun({ runDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: inProcessClients().launcher, logger: silentLogger() });
    const both = await readMetricsFile(join(dir, 'metrics.jsonl'));
    expect(both.events).toBeGreaterThan(lines.length);
    expect(both.snapshot.sessions).toBe(2);
    expect(both.snapshot.arms['relay-replay'].stages.map((s) => s.stage)).toEqual([0, 1, 2]);
    expect(both.snapshot.arms['relay-replay'].finishedBefore).toBe(1);
    expect(both.snapshot.done).toMatchObject({ ok: true });
  });

  it('shows a run over two seeds: each seed\'s arms on the display, the seeds done, running and waiting, /metrics by seed', async () => {
    const dir = tempDir();
    // Seeds one after the other (arms too): the second seed waits while the first runs.
    const scenario = withSeedCount(tinyScenario({ clients: { stageTimeoutSeconds: 30, parallelArms: false } }), 2);
    const clients = inProcessClients();
    const events = new RunEvents();
    const seen: RunEvent[] = [];
    // What the terminal shows: the display redrawn after every event, and the lines kept above it.
    const frames: string[] = [];
    events.subscribe((e) => {
      seen.push(e);
      frames.push(renderProgress(events.snapshot, 200));
    });
    let scrape: Promise<string> | null = null;
    // Scraped as the last seed ends, while the shared session is still open.
    const launcher: ClientLauncher = async (ctx) => {
      const launched = await clients.launcher(ctx);
      events.subscribe((e) => {
        if (e.type === 'seed-done' && e.seed === 8) scrape = get(`${ctx.url}/metrics`, { authorization: `Bearer ${VIEWER_TOKEN}` }).then((r) => r.text);
      });
      return { stop: async () => (await scrape, await launched.stop()) };
    };
    const summary = await runSeededScenario({ scenario, outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: launcher, logger: silentLogger(), events, listen: { token: TEST_TOKEN, viewerToken: VIEWER_TOKEN, metrics: true } });
    expect(summary.failures).toEqual([]);
    const perSeed = new Map<number, Results>();
    for (const seed of [7, 8]) perSeed.set(seed, JSON.parse(await readFile(join(dir, `seed-${seed}`, 'results.json'), 'utf8')) as Results);

    // Every task event of the shared session says its seed.
    const progress = seen.filter((e) => e.type === 'progress');
    expect(new Set(progress.map((e) => e.seed))).toEqual(new Set([7, 8]));
    expect(seen.filter((e) => e.type === 'task-assigned').every((e) => e.seed === 7 || e.seed === 8)).toBe(true);

    // The display: a line per busy client with the seed's arm, its stage, step and loss, for both seeds.
    const clientLines = frames.flatMap((f) => f.split('\n').slice(0, -1));
    for (const seed of [7, 8]) {
      for (const arm of ['relay-finetune', 'relay-replay']) expect(clientLines.some((l) => new RegExp(`^fake-\\d  ${arm} · seed ${seed}  stage [1-3]/3  step +\\d+/\\d+  loss \\d+\\.\\d{3}  `).test(l))).toBe(true);
      expect(clientLines.some((l) => new RegExp(`^fake-\\d  joint · seed ${seed}  stage 1/1  `).test(l))).toBe(true);
    }
    // The overall line counts the seeds: first one running and one waiting, then one done and one running, at the end both done.
    const overall = frames.map((f) => f.split('\n').at(-1)!);
    expect(overall.some((l) => l.includes('seeds: 0 done, 1 running, 1 waiting'))).toBe(true);
    expect(overall.some((l) => l.includes('seeds: 1 done, 1 running, 0 waiting'))).toBe(true);
    // The waiting seed's stages count from the start (its arms take the running seed's plan), so the ETA covers it.
    expect(overall.filter((l) => l.includes('seeds: 0 done, 1 running, 1 waiting')).every((l) => /^tiny: \d+\/(\?|14) stages/.test(l))).toBe(true);
    // (Whether an ETA shows in those frames depends on a step rate measured in time: test/server/run-eta.test.ts checks the estimate.)
    expect(overall.some((l) => /^tiny: \d+\/14 stages · seeds: 0 done, 1 running, 1 waiting /.test(l))).toBe(true);
    // What the ETA counts: the stages that evaluate (every one here) and each evaluation's seconds.
    const plans = seen.filter((e) => e.type === 'arms-planned');
    expect(plans.flatMap((e) => e.arms.flatMap((a) => a.stages.map((st) => st.evaluates)))).toEqual(Array(14).fill(true));
    const evaluated = seen.filter((e) => e.type === 'stage-done' && e.knnTop1 !== undefined);
    expect(evaluated.length).toBe(14);
    expect(evaluated.every((e) => e.type === 'stage-done' && typeof e.evalSeconds === 'number')).toBe(true);
    expect(overall.at(-1)).toMatch(/^tiny: 14\/14 stages · seeds: 2 done, 0 running, 0 waiting · 100% of steps · .* · done$/);
    // The lines kept above it say each seed's stages and ends.
    const notable = seen.map(notableLine).filter((l) => l !== null);
    for (const seed of [7, 8]) {
      expect(notable).toContain(`✓ seed ${seed} finished`);
      expect(notable.some((l) => l.startsWith(`✓ relay-replay · seed ${seed} stage 3 done: kNN `))).toBe(true);
      expect(notable.some((l) => l.startsWith(`· random init · seed ${seed}: kNN `))).toBe(true);
    }
    expect(notable.at(-1)).toBe('✓ run finished');

    // The snapshot: each seed's arms with the stages its results hold, each seed done with its floor.
    const snapshot = events.snapshotCopy();
    for (const [seed, results] of perSeed) {
      for (const arm of results.arms) {
        const view = snapshot.arms[armKey(arm.name, seed)];
        expect(view).toMatchObject({ name: arm.name, seed });
        expect(view.stages.map((st) => st.stage)).toEqual(arm.stages.map((st) => st.stage));
        expect(view.stages.at(-1)!.knnTop1).toBe(arm.final!.knnTop1);
        expect(view.loss.points.length).toBeGreaterThan(0);
      }
      expect(snapshot.seeds[seed]).toEqual({ seed, state: 'done', randomInit: { knnTop1: results.randomInit.knnTop1, linearTop1: results.randomInit.linearTop1 } });
    }
    expect(Object.keys(snapshot.arms)).toHaveLength(6);
    // DIR/metrics.jsonl holds it all: read back, the same (but for the throttled loss curves).
    const read = await readMetricsFile(join(dir, 'metrics.jsonl'));
    expect(read.skipped).toBe(0);
    const withoutLoss = (s: typeof snapshot) => ({ ...s, arms: Object.fromEntries(Object.entries(s.arms).map(([k, a]) => [k, { ...a, loss: null }])) });
    expect(withoutLoss(read.snapshot)).toEqual(withoutLoss(snapshot));
    // Each seed's folder keeps its own metrics.jsonl, as a one-seed run's, with its loss curves.
    for (const seed of [7, 8]) {
      const own = await readMetricsFile(join(dir, `seed-${seed}`, 'metrics.jsonl'));
      expect(Object.keys(own.snapshot.arms)).toEqual(['relay-finetune', 'relay-replay', 'joint']);
      expect(own.snapshot.arms['relay-finetune'].loss.points.length).toBeGreaterThan(0);
      expect(own.snapshot.arms['relay-finetune'].stages).toHaveLength(3);
      expect(own.snapshot.seeds).toEqual({});
    }

    // /metrics: the per-arm series by seed, and the seeds by state.
    const { samples } = parsePrometheus(await scrape!);
    for (const [seed, results] of perSeed) {
      for (const arm of results.arms) expect(samples.get(`streamssl_stages_done_total{arm="${arm.name}",seed="${seed}"}`)).toBe(arm.stages.length);
    }
    expect([...samples.keys()].filter((k) => k.startsWith('streamssl_stages_done_total{') && !k.includes('seed='))).toEqual([]);
    expect(samples.get('streamssl_seeds{state="done"}')).toBe(2);
    expect(samples.get('streamssl_seeds{state="waiting"}')).toBe(0);
    // No client trains as the last seed ends: the time left is unknown, so absent.
    expect([...samples.keys()].filter((k) => k.startsWith('streamssl_run_seconds_left'))).toEqual([]);
  });

  it('refuses a viewer token equal to the clients\' token', async () => {
    const scenario = tinyScenario();
    await expect(
      runScenario({ scenario, outDir: tempDir(), resultCheck: FAKE_RESULT_CHECK, launch: inProcessClients().launcher, logger: silentLogger(), listen: { token: TEST_TOKEN, viewerToken: TEST_TOKEN, metrics: true } }),
    ).rejects.toThrow(/viewer token must be non-empty and differ/);
  });
});
