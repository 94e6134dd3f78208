/**
 * A scenario over several seeds (`seeds`, `--seeds N`): one complete run per seed, each
 * in its own folder `DIR/seed-<s>/` (journal, checkpoints, results.json, report), all on
 * one session's clients, at the same time when the scenario runs arms in parallel and
 * there is more than one client (the pool hands each task the next free client). Then
 * `DIR/results.json` gathers them with their statistics (report/seeds/) and `DIR/report.md`
 * shows means with intervals. `DIR/seeds.json` says what the run is, so that
 * `streamssl resume DIR` continues each seed where it stopped.
 *
 * Seeds vary data order, augmentation, initialization, replay choice and evaluation
 * subsets; the stream split stays at the scenario's `seed` (or `splitSeed`) unless
 * `seedsVary` is `split`: the scenario's stream is the object of study, so the default
 * measures how much training noise moves the arms on that one stream, with the same
 * chunks and step counts on every seed.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../shared/log.js';
import { parseScenario, type Scenario } from '../../shared/scenario.js';
import { seedList, seedScenario } from '../../shared/scenario-seeds.js';
import type { Session } from '../clients/session.js';
import type { ClientPool } from '../clients/pool.js';
import { RunEvents } from '../observe/bus.js';
import { followSeedProgress, forwardSeedEvents } from '../observe/seed-events.js';
import { observeRun, runStartedEvent } from '../observe/run-observer.js';
import { plainText } from '../net/client-text.js';
import { buildSeedResults, type SeedFields } from '../report/seeds/seed-results.js';
import { writeSeedReportFiles } from '../report/seeds/seed-report.js';
import { writeResults, type Results } from '../report/results.js';
import { writeFileAtomic, writePolicy } from './file-writes.js';
import { JournalError, RunJournal, type ClientSetup } from './journal.js';
import { clientSetup, givenStream } from './client-setup.js';
import { analyzeAtEnd, continueRun, runScenario } from './run.js';
import { RunError, whereTheRunIs, type ContinueRunOptions, type ArmFailure, type RunScenarioOptions, type RunSummary } from './run-options.js';
import { openRunSession } from './run-session.js';
import { seedPool } from './seed-pool.js';

export const SEEDS_FILE = 'seeds.json';
const FORMAT = 'streamssl-seeds';


/** The folder of one seed's run, relative to the multi-seed run's. */
export function seedDir(seed: number): string {
  return `seed-${seed}`;
}

/** Runs `options.scenario` once, or once per seed when it lists several. */
export function runSeededScenario(options: RunScenarioOptions): Promise<RunSummary> {
  return seedList(options.scenario) ? runSeeds(options) : runScenario(options);
}

/** Whether the scenario's runs go at the same time: when its arms do. */
function seedsInParallel(scenario: Scenario, setup: ClientSetup): boolean {
  return scenario.clients.parallelArms && setup.clients > 1;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function runSeeds(options: RunScenarioOptions): Promise<RunSummary> {
  const { scenario, outDir } = options;
  const seeds = seedList(scenario)!;
  const first = clientSetup(options);
  const setup = seedsInParallel(scenario, first) ? clientSetup(options, seeds.length) : first;
  if (await exists(join(outDir, SEEDS_FILE))) throw new JournalError(`${outDir} already holds a run (${SEEDS_FILE}): continue it with  streamssl resume ${outDir}  or choose another --out`);
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, SEEDS_FILE), new TextEncoder().encode(`${JSON.stringify({ format: FORMAT, version: 1, scenario, seeds }, null, 2)}\n`));
  const journals: RunJournal[] = [];
  for (const seed of seeds) {
    await mkdir(join(outDir, seedDir(seed)), { recursive: true });
    journals.push(await RunJournal.create(join(outDir, seedDir(seed)), { scenario: seedScenario(scenario, seed), setup, stream: givenStream(options) }, writePolicy(options)));
  }
  return continueSeeds(outDir, scenario, journals, { ...options, setup });
}

/** Whether `runDir` holds a run over several seeds. */
export function isSeedsRun(runDir: string): Promise<boolean> {
  return exists(join(runDir, SEEDS_FILE));
}

/** Reads `DIR/seeds.json`: the multi-seed scenario. */
async function readSeedsFile(runDir: string): Promise<Scenario> {
  const path = join(runDir, SEEDS_FILE);
  let raw: { format?: unknown; version?: unknown; scenario?: unknown };
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as typeof raw;
  } catch (err) {
    throw new JournalError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (raw?.format !== FORMAT || raw.version !== 1) throw new JournalError(`${path} is not a streamssl multi-seed run (format ${FORMAT}, version 1)`);
  let scenario: Scenario;
  try {
    scenario = parseScenario(raw.scenario, `${path} (scenario)`);
  } catch (err) {
    throw new JournalError((err as Error).message);
  }
  if (!seedList(scenario)) throw new JournalError(`${path} is corrupt: its scenario lists fewer than two seeds`);
  return scenario;
}

/** What resuming a multi-seed run may override, as `resumeRun` takes it. */
export interface SeedsResumeOptions extends Omit<ContinueRunOptions, 'setup'> {
  runDir: string;
  clients?: number;
  backend?: ClientSetup['backend'];
  threads?: number;
}

/** Continues every seed of the multi-seed run in `o.runDir` from its journal (a seed not started yet starts). */
export async function resumeSeeds(o: SeedsResumeOptions): Promise<RunSummary> {
  const scenario = await readSeedsFile(o.runDir);
  const journals: RunJournal[] = [];
  let recorded: ClientSetup | null = null;
  for (const seed of seedList(scenario)!) {
    const dir = join(o.runDir, seedDir(seed));
    if (!(await exists(join(dir, 'journal.json')))) {
      if (!recorded) throw new JournalError(`${dir} has no journal.json, nor does an earlier seed: the run never started its first seed`);
      await mkdir(dir, { recursive: true });
      journals.push(await RunJournal.create(dir, { scenario: seedScenario(scenario, seed), setup: recorded }, writePolicy(o)));
      continue;
    }
    const journal = await RunJournal.open(dir, writePolicy(o));
    recorded ??= journal.setup;
    await journal.recordResume();
    journals.push(journal);
  }
  const setup: ClientSetup = { ...recorded!, clients: o.clients ?? recorded!.clients, backend: o.backend ?? recorded!.backend, threads: o.threads ?? recorded!.threads };
  if (setup.remote && o.launch === undefined && o.listen?.port === undefined) {
    throw new Error(`${o.runDir} ran with remote clients (streamssl serve): resume it with --port P --token T and start its clients again`);
  }
  return continueSeeds(o.runDir, scenario, journals, { ...o, setup, resumed: true });
}

/**
 * Runs what each seed's journal does not hold yet on one shared session (opened when the
 * first seed needs a client), then writes the results and report of all seeds.
 */
async function continueSeeds(runDir: string, scenario: Scenario, journals: readonly RunJournal[], o: ContinueRunOptions): Promise<RunSummary> {
  const logger: Logger = o.logger ?? createLogger({ name: 'coordinator' });
  const observation = await observeRun(runDir, { events: o.events, logger });
  const { events } = observation;
  events.publish(runStartedEvent(scenario, o.resumed ?? false, seedsInParallel(scenario, o.setup)));
  let session: Promise<Session> | null = null;
  const sharedPool = (): Promise<ClientPool> => {
    session ??= openRunSession(scenario, runDir, journals, { ...o, events, logger });
    return session.then((s) => s.pool);
  };
  const summaries: Array<RunSummary | undefined> = [];
  const errors: string[] = [];
  try {
    const runsAtOnce = seedsInParallel(scenario, o.setup) ? journals.length : 1;
    const jobs = journals.map((journal, i) => async () => {
      const seed = journal.scenario.seed;
      // The seed's own bus (its metrics.jsonl), forwarded to the whole run's with its seed.
      const seedEvents = new RunEvents(undefined, (err) => logger.warn({ seed, err: (err as Error).message }, 'a run-event listener failed and was removed'));
      const stopForwarding = forwardSeedEvents(seedEvents, events, seed);
      const stopFollowing = followSeedProgress(events, seedEvents, seed);
      try {
        const { events: _events, listen: _listen, ...rest } = o;
        const pool = async () => seedPool(await sharedPool(), seed);
        summaries[i] = await continueRun(journal, { ...rest, events: seedEvents, logger: logger.child({ seed }), sharedPool: pool, analyzeAtEnd: false, runsAtOnce });
      } catch (err) {
        errors.push(`seed ${seed}: ${(err as Error).message ?? String(err)}`);
      } finally {
        stopForwarding();
        stopFollowing();
      }
    });
    if (runsAtOnce > 1) await Promise.all(jobs.map((job) => job()));
    else for (const job of jobs) await job();
    // The run's end reaches the dashboard and /metrics before the session closes them, as a
    // one-seed run's does: every seed's results are written; gathering them follows.
    events.publish(
      errors.length > 0
        ? { type: 'run-done', ok: false, failures: [], error: plainText(errors.join('\n'), 2000) }
        : { type: 'run-done', ...runDoneFailures(seedFailures(journals, summaries as RunSummary[])) },
    );
  } finally {
    if (session) await (session as Promise<Session>).then((s) => s.close(), () => undefined);
  }
  try {
    if (errors.length > 0) throw new RunError(`${errors.join('\n')}\n${whereTheRunIs(runDir)}`);
    return await gatherSeeds(runDir, scenario, journals, summaries as RunSummary[], o, logger);
  } catch (err) {
    // Published already when a seed failed; else gathering failed, and says so last.
    if (errors.length === 0) events.publish({ type: 'run-done', ok: false, failures: [], error: plainText((err as Error).message ?? String(err), 2000) });
    throw err;
  } finally {
    await observation.close();
  }
}

/** Analyses (when the scenario asks), then results.json and the report of all seeds. */
async function gatherSeeds(runDir: string, scenario: Scenario, journals: readonly RunJournal[], done: RunSummary[], o: ContinueRunOptions, logger: Logger): Promise<RunSummary> {
  // The analyses run once the clients are gone (they free the cores), one seed after another.
  if (scenario.analysis.atEnd) {
    for (const [i, journal] of journals.entries()) done[i] = await analyzeAtEnd(done[i], journal.runDir, o.setup.backend, logger);
  }
  const results: Results & SeedFields = buildSeedResults(
    scenario,
    done.map((s, i) => ({ seed: journals[i].scenario.seed, dir: seedDir(journals[i].scenario.seed), results: s.results })),
  );
  const resultsPath = await writeResults(runDir, results);
  const { report, reportPath } = await writeSeedReportFiles(runDir, results);
  const failures = seedFailures(journals, done);
  logger.info({ results: resultsPath, report: reportPath, seeds: results.statistics.seeds, failed: failures.map((f) => f.arm) }, 'multi-seed run finished');
  return { results, report, resultsPath, reportPath, journalPath: join(runDir, SEEDS_FILE), failures };
}

/** The arms of every seed that stopped before their last stage, named `arm (seed s)`. */
function seedFailures(journals: readonly RunJournal[], done: readonly RunSummary[]): ArmFailure[] {
  return done.flatMap((s, i) => s.failures.map((f) => ({ arm: `${f.arm} (seed ${journals[i].scenario.seed})`, error: f.error })));
}

/** `run-done`'s fields of `failures`: whether all went well, and each failure made plain. */
function runDoneFailures(failures: readonly ArmFailure[]): { ok: boolean; failures: Array<{ arm: string; error: string }> } {
  return { ok: failures.length === 0, failures: failures.map((f) => ({ arm: f.arm, error: plainText(f.error, 2000) })) };
}
