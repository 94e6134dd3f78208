/**
 * The `streamssl` command line: `run`, `suite`, `serve`, `resume`, `view`, `client`, `slurm`, `analyze` and `bench`.
 * A scenario is loaded and validated before anything starts; an invalid one (or a run
 * folder that cannot be resumed) prints its problems and exits with code 2. A run whose
 * arms failed writes what finished, then exits with code 1 naming what failed and where
 * everything is.
 *
 * The coordinator's modules are imported by the commands that run one: \`streamssl client\`
 * (started once per data holder, often many at once) loads only the client's side.
 */
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { benchCommand } from './bench.js';
import { clientCommand } from '../client/main.js';
import { collect, port, positiveInt } from './options.js';
import { slurmCommand } from './slurm.js';
import { createLogger, type Logger } from '../shared/log.js';
import { BACKEND_NAMES, loadScenario, ScenarioError, type BackendName, type Scenario } from '../shared/scenario.js';
import { JournalError } from '../server/run/journal.js';
import type { RunScenarioOptions, RunSummary } from '../server/run/run.js';
import { withSeedCount } from '../shared/scenario-seeds.js';
import { MIN_TOKEN_LENGTH } from '../server/net/listen-policy.js';
import { fail, listenToken, serveTls, UsageError } from './listen-options.js';
import type { ProgressOutput } from '../server/observe/terminal-display.js';
import { viewerListen, type ViewerCliOptions } from './viewers.js';

interface ScenarioOptions {
  out?: string;
  set: string[];
}

interface RunOptions extends ScenarioOptions, ViewerCliOptions {
  seeds?: number;
  backend?: BackendName;
  clients?: number;
  threads?: number;
  gpus?: string[];
}

interface ServeOptions extends ScenarioOptions, ViewerCliOptions {
  seeds?: number;
  port: number;
  token?: string;
  allowShortToken?: boolean;
  host: string;
  minClients?: number;
  cert?: string;
  key?: string;
}

interface ResumeCliOptions extends ViewerCliOptions {
  backend?: BackendName;
  clients?: number;
  threads?: number;
  port?: number;
  token?: string;
  allowShortToken?: boolean;
  host: string;
}

/** Builds the program; `main` runs it. */
export function buildProgram(): Command {
  const program = new Command('streamssl')
    .description('self-supervised pre-training on streaming, decentralized data: relay vs joint training')
    .showHelpAfterError();

  program
    .command('run')
    .description('run every arm of a scenario with locally spawned clients')
    .argument('<scenario>', 'scenario JSON file')
    .option('--out <dir>', 'output folder (default runs/<scenario-name>-<timestamp>)')
    .option('--set <key.path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--seeds <n>', 'run every arm and the random-init floor with N seeds, seed .. seed+N-1 (overrides the scenario\'s seeds); results.json adds means and 95% intervals', positiveInt)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend of the clients').choices(BACKEND_NAMES))
    .option('--clients <n>', 'client processes to spawn (default: one per chunk)', positiveInt)
    .option('--threads <n>', 'compute threads per client (default: the cores shared among clients training at once)', positiveInt)
    .option('--gpus <ids>', 'GPU ids, comma-separated, given to the clients round-robin as CUDA_VISIBLE_DEVICES (overrides clients.gpus)', gpuList)
    .option('--metrics', 'serve Prometheus /metrics on the coordinator, behind a viewer token generated and printed with its URL')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-host <host>', 'address the dashboard is served through (default 127.0.0.1; 0.0.0.0 for every address the coordinator listens on)')
    .action(async (file: string, opts: RunOptions) => {
      const scenario = load(file, opts.set, opts.seeds);
      await execute(scenario, opts.out, { clients: opts.clients, backend: opts.backend, threads: opts.threads, gpus: opts.gpus, listen: viewers(opts, undefined) });
    });

  program
    .command('suite')
    .description('run every scenario of a folder, then print one table of all their arms')
    .argument('<folder>', 'folder of scenario JSON files')
    .option('--out <dir>', 'output folder (default runs/suite-<timestamp>)')
    .option('--set <key.path=value>', 'override a field in every scenario (repeatable)', collect, [])
    .option('--seeds <n>', 'run every arm and the random-init floor with N seeds, seed .. seed+N-1 (overrides the scenario\'s seeds); results.json adds means and 95% intervals', positiveInt)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend of the clients').choices(BACKEND_NAMES))
    .option('--clients <n>', 'client processes to spawn per scenario (default: one per chunk)', positiveInt)
    .action(async (folder: string, opts: RunOptions) => {
      const { loadSuite, runSuite } = await import('../server/run/suite.js');
      loadSuite(folder, opts.set, opts.seeds);
      const outDir = opts.out ?? `runs/suite-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const { output, logger } = await commandOutput(join(outDir, 'logs', 'coordinator.log'), true);
      const summary = await withDisplay(output, () => runSuite({ folder, outDir, overrides: opts.set, seeds: opts.seeds, backend: opts.backend, clients: opts.clients, logger, ...(output ? { events: () => output.nextRun() } : {}) }));
      process.stdout.write(`${summary.table}\nsuite table: ${summary.path}\nsuite report: ${summary.htmlPath}\n`);
      // As `run` does when an arm failed: the table holds what finished, the exit code says not all did.
      if (summary.failures.length > 0) throw new Error(`${summary.failures.length} failure(s) in the suite:\n${summary.failures.map((f) => `  - ${f}`).join('\n')}`);
    });

  program
    .command('serve')
    .description('run a scenario with remote clients (streamssl client --server URL --token T)')
    .argument('<scenario>', 'scenario JSON file')
    .requiredOption('--port <port>', 'port to listen on', port)
    .option('--token <token>', `token clients must present, at least ${MIN_TOKEN_LENGTH} characters (default: $STREAMSSL_TOKEN, else one is generated and printed)`)
    .option('--allow-short-token', `accept a token shorter than ${MIN_TOKEN_LENGTH} characters`)
    .option('--host <host>', 'interface to listen on', '0.0.0.0')
    .option('--min-clients <n>', 'clients to wait for before starting (default scenario.clients.count, else 1)', positiveInt)
    .option('--cert <file>', 'serve https with this PEM certificate (with --key); clients then use https:// URLs')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--metrics', 'serve Prometheus /metrics on the coordinator, behind a viewer token generated and printed with its URL')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-host <host>', 'address the dashboard is served through (default 127.0.0.1; 0.0.0.0 for every address the coordinator listens on)')
    .option('--out <dir>', 'output folder (default runs/<scenario-name>-<timestamp>)')
    .option('--set <key.path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--seeds <n>', 'run every arm and the random-init floor with N seeds, seed .. seed+N-1 (overrides the scenario\'s seeds); results.json adds means and 95% intervals', positiveInt)
    .action(async (file: string, opts: ServeOptions) => {
      const scenario = load(file, opts.set, opts.seeds);
      const tls = serveTls(opts);
      const token = listenToken(opts.token ?? process.env.STREAMSSL_TOKEN, opts.allowShortToken, opts.host, tls !== undefined);
      await execute(scenario, opts.out, {
        clients: opts.minClients ?? scenario.clients.count ?? 1,
        listen: { host: opts.host, port: opts.port, token, ...(tls ? { tls } : {}), ...viewers(opts, opts.host) },
        launch: null,
      });
    });

  program
    .command('resume')
    .description('continue a run that was cut short (coordinator killed, arms failed) from its journal, DIR/journal.json')
    .argument('<runDir>', 'the run folder')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend of the clients (default: as the run started)').choices(BACKEND_NAMES))
    .option('--clients <n>', 'client processes to spawn (default: as the run started)', positiveInt)
    .option('--threads <n>', 'compute threads per client (default: as the run started)', positiveInt)
    .option('--port <port>', 'for a run with remote clients: port to listen on', port)
    .option('--token <token>', `for a run with remote clients: token they present, at least ${MIN_TOKEN_LENGTH} characters (default: $STREAMSSL_TOKEN, else one is generated and printed)`)
    .option('--allow-short-token', `accept a token shorter than ${MIN_TOKEN_LENGTH} characters`)
    .option('--host <host>', 'for a run with remote clients: interface to listen on', '0.0.0.0')
    .option('--metrics', 'serve Prometheus /metrics on the coordinator, behind a viewer token generated and printed with its URL')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--dashboard-host <host>', 'address the dashboard is served through (default 127.0.0.1; 0.0.0.0 for every address the coordinator listens on)')
    .action(async (runDir: string, opts: ResumeCliOptions) => {
      let listen: RunScenarioOptions['listen'] = viewers(opts, opts.port !== undefined ? opts.host : undefined);
      if (opts.port !== undefined) {
        const token = listenToken(opts.token ?? process.env.STREAMSSL_TOKEN, opts.allowShortToken, opts.host, false);
        listen = { ...listen, host: opts.host, port: opts.port, token };
      }
      // Remote clients are awaited with instructions in the log: no display then.
      const { output, logger } = await commandOutput(join(runDir, 'logs', 'coordinator.log'), opts.port === undefined);
      const { resumeRun } = await import('../server/run/resume.js');
      await printSummary(await withDisplay(output, () => resumeRun({ runDir, backend: opts.backend, clients: opts.clients, threads: opts.threads, listen, logger, ...(output ? { events: output.nextRun() } : {}) })));
    });

  program
    .command('analyze')
    .description("analyses of a finished run's saved models (CKA, sharpness, few-shot, transfer), added to its results.json and report.md")
    .argument('<runDir>', 'run folder (holds results.json and checkpoints/)')
    .option('--set <analysis.key=value>', 'override an analysis setting, e.g. analysis.run=["cka"] (repeatable)', collect, [])
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES))
    .option('--threads <n>', 'compute threads (wasm backend; default all cores)', positiveInt)
    .action(async (runDir: string, opts: { set: string[]; backend?: BackendName; threads?: number }) => {
      if (await (await import('../server/run/seeds.js')).isSeedsRun(runDir)) throw new UsageError(`${runDir} is a run over several seeds: analyze each seed's run, e.g.  streamssl analyze ${join(runDir, 'seed-<s>')}`);
      const { analyzeRunDir } = await import('../server/analysis/analyze.js');
      const logger = createLogger({ name: 'analyze' });
      const summary = await analyzeRunDir({ runDir, overrides: opts.set, backend: opts.backend, threads: opts.threads, logger });
      process.stdout.write(`results: ${summary.resultsPath}\nreport:  ${summary.reportPath}\n`);
    });

  program
    .command('view')
    .description("serve the dashboard of a run (finished, failed or resumed) from its DIR/metrics.jsonl, offline")
    .argument('<runDir>', 'the run folder')
    .option('--host <host>', 'interface to serve it on', '127.0.0.1')
    .option('--port <port>', 'port (default: a free one)', port)
    .action(async (runDir: string, opts: { host: string; port?: number }) => {
      const { serveRunView } = await import('../server/observe/dashboard/view-server.js');
      const view = await serveRunView({ runDir, host: opts.host, port: opts.port, logger: createLogger({ name: 'view' }) });
      if (view.skipped > 0) process.stderr.write(`warning: ${view.skipped} damaged line(s) of metrics.jsonl skipped:\n${view.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.stdout.write(`dashboard: ${view.url}\n(Ctrl-C to stop)\n`);
      // Served until interrupted.
      await new Promise(() => undefined);
    });

  program.addCommand(clientCommand());
  program.addCommand(slurmCommand());

  program.addCommand(benchCommand());

  return program;
}

/** Parses `argv` and runs the command; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof JournalError) {
      process.stderr.write(`streamssl: ${err.message}\n`);
      return 2;
    }
    const verbose = ['debug', 'trace'].includes(process.env.STREAMSSL_LOG ?? '');
    const error = err as Error;
    process.stderr.write(`streamssl: ${verbose ? (error.stack ?? String(err)) : (error.message ?? String(err))}\n`);
    return 1;
  }
}

async function execute(scenario: Scenario, out: string | undefined, options: Omit<RunScenarioOptions, 'scenario' | 'outDir' | 'logger'>): Promise<void> {
  const outDir = out ?? `runs/${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  // Remote clients (serve) are awaited with instructions in the log: no display then.
  const { output, logger } = await commandOutput(join(outDir, 'logs', 'coordinator.log'), options.launch !== null);
  logger.info({ scenario: scenario.name, outDir }, 'run starting');
  const { runSeededScenario } = await import('../server/run/seeds.js');
  await printSummary(await withDisplay(output, () => runSeededScenario({ scenario, outDir, logger, ...options, ...(output ? { events: output.nextRun() } : {}) })));
}

/**
 * On a terminal (and when `display` applies): the progress display, with the log in
 * `logFile`, said where; else no display and JSON lines (pretty on a TTY) to stderr.
 */
async function commandOutput(logFile: string, display: boolean): Promise<{ output: ProgressOutput | null; logger: Logger }> {
  const output = display ? (await import('../server/observe/terminal-display.js')).progressOutput(logFile) : null;
  if (output) process.stderr.write(`log: ${output.logFile}\n`);
  return { output, logger: output?.logger ?? createLogger({ name: 'coordinator' }) };
}

/** Runs `work`, then ends the display (if any), so that what is printed next comes below it. */
async function withDisplay<T>(output: ProgressOutput | null, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    output?.close();
  }
}

/** The dashboard and /metrics of a coordinator listening on `host` (see viewers.ts); a bad combination is a usage error. */
function viewers(opts: ViewerCliOptions, host: string | undefined): RunScenarioOptions['listen'] {
  try {
    return viewerListen(opts, host);
  } catch (err) {
    fail((err as Error).message);
  }
}

/** Prints the report and where the files are; throws (exit code 1) when an arm failed. */
async function printSummary(summary: RunSummary): Promise<void> {
  process.stdout.write(`${summary.report}\nresults: ${summary.resultsPath}\nreport:  ${summary.reportPath}\njournal: ${summary.journalPath}\n`);
  if (summary.failures.length === 0) return;
  throw new Error(
    `${summary.failures.length} arm(s) failed:\n${summary.failures.map((f) => `  - ${f.error}`).join('\n')}\n` +
      `results.json and report.md hold the other arms and the failed arms' finished stages; ${(await import('../server/run/run.js')).whereTheRunIs(dirname(summary.journalPath))}`,
  );
}

/** `0,1,2` → ["0", "1", "2"]; each id a GPU index or UUID. */
function gpuList(value: string): string[] {
  const ids = value.split(',').map((id) => id.trim());
  const bad = ids.find((id) => !/^[0-9A-Za-z-]+$/.test(id));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a GPU id (expected e.g. 0,1,2 or GPU UUIDs)`);
  return ids;
}

function load(file: string, overrides: string[], seeds?: number): Scenario {
  const scenario = loadScenario(file, overrides);
  return seeds === undefined ? scenario : withSeedCount(scenario, seeds);
}

// Ctrl-C: exit through process.exit so spawned clients are killed by their exit hook.
process.once('SIGINT', () => {
  process.stderr.write('\nstreamssl: interrupted\n');
  process.exit(130);
});
process.once('SIGTERM', () => process.exit(143));

process.exit(await main(process.argv));
