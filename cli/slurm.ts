/**
 * `streamssl slurm <scenario>`: writes the Slurm batch script of a run (cli/slurm-script.ts)
 * to stdout or `--script FILE`. The scenario and its overrides are validated here, on the
 * submitting machine, so that a job never queues for hours to fail on a typo; the paths are
 * made absolute, since the job runs elsewhere.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES, loadScenario, type BackendName } from '../shared/scenario.js';
import { withSeedCount } from '../shared/scenario-seeds.js';
import { collect, intAtLeast, port, positiveInt } from './options.js';
import { GPU_BINDINGS, slurmScript, type SlurmScriptOptions } from './slurm-script.js';
import { PROJECT_ROOT } from '../shared/code-location.js';

/** What commander parses: the script's own options, and what the command resolves itself. */
type SlurmCliOptions = Pick<
  SlurmScriptOptions,
  'nodes' | 'tasksPerNode' | 'cpusPerTask' | 'gpusPerTask' | 'gpuBinding' | 'time' | 'partition' | 'account' | 'port' | 'reconnectSeconds' | 'setup' | 'seeds'
> & { out?: string; set: string[]; tasks?: number; backend: BackendName; streamssl?: string; script?: string };

/** This checkout's `bin/streamssl.mjs`: the nodes run the code the script was written with. */
const OWN_BIN = join(PROJECT_ROOT, 'bin/streamssl.mjs');

/** The `slurm` command. */
export function slurmCommand(): Command {
  return new Command('slurm')
    .description('write a Slurm batch script: task 0 runs serve, every other task runs client against it (submit with sbatch)')
    .argument('<scenario>', 'scenario JSON file')
    .option('--out <dir>', 'run folder, on a file system every node shares (default runs/<scenario-name>-<timestamp>; made absolute)')
    .option('--set <key.path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--seeds <n>', "the job's coordinator runs every arm and the random-init floor with N seeds, seed .. seed+N-1 (overrides the scenario's seeds); resubmitting continues every seed", positiveInt)
    .option('--nodes <n>', 'nodes', positiveInt, 1)
    .option('--tasks <n>', 'tasks in all: the coordinator and n-1 clients (default 1 + clients.count, else 1 + the chunks)', intAtLeast(2))
    .option('--tasks-per-node <n>', 'tasks on each node', positiveInt)
    .option('--cpus-per-task <n>', 'CPUs per task; clients then compute with that many threads', positiveInt)
    .option('--gpus-per-task <n>', 'GPUs per client, given to it as CUDA_VISIBLE_DEVICES', intAtLeast(0), 0)
    .addOption(
      new Option('--gpu-binding <how>', 'slurm: ask Slurm for --gpus-per-task and keep its binding; local: ask for none, take them by SLURM_LOCALID (GPUs not managed by Slurm)')
        .choices(GPU_BINDINGS)
        .default('slurm'),
    )
    .option('--time <limit>', 'time limit, e.g. 02:00:00 (default: the partition\'s)', sbatchValue)
    .option('--partition <name>', 'partition', sbatchValue)
    .option('--account <name>', 'account to charge', sbatchValue)
    .option('--port <port>', "the coordinator's port (default 20000 + job id mod 20000)", knownPort)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend of the clients').choices(BACKEND_NAMES).default('auto'))
    .option('--reconnect-seconds <s>', 'how long clients keep trying to reach the coordinator (at start and after losing it)', positiveInt, 600)
    .option('--setup <line>', 'shell line run before the tasks, e.g. "module load nodejs cuda" (repeatable)', collect, [])
    .option('--streamssl <command>', 'the streamssl command on the nodes (default: this checkout\'s bin/streamssl.mjs)')
    .option('--script <file>', 'write the script to this file (default: stdout, so  streamssl slurm ... | sbatch  works)')
    .action((file: string, opts: SlurmCliOptions) => {
      const { out: outOption, set, tasks, streamssl, script: scriptFile, ...passed } = opts;
      // Checked here as serve will apply them: a bad --seeds fails now, not in the queue.
      const scenario = passed.seeds === undefined ? loadScenario(file, set) : withSeedCount(loadScenario(file, set), passed.seeds);
      const out = resolve(outOption ?? `runs/${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const script = slurmScript({
        ...passed,
        scenario: resolve(file),
        out,
        streamssl: streamssl ?? OWN_BIN,
        jobName: `streamssl-${scenario.name}`,
        tasks: tasks ?? 1 + (scenario.clients.count ?? scenario.stream.chunks),
        overrides: set,
      });
      // sbatch writes the job's output into the run folder, and does not create folders.
      mkdirSync(out, { recursive: true });
      if (scriptFile === undefined) {
        process.stdout.write(script);
      } else {
        writeFileSync(scriptFile, script, { mode: 0o755 });
        process.stdout.write(`wrote ${scriptFile}; submit it with  sbatch ${scriptFile}  (run folder ${out})\n`);
      }
    });
}

/** A port clients can be told in advance: not 0. */
function knownPort(value: string): number {
  const n = port(value);
  if (n === 0) throw new InvalidArgumentError('clients must know the port in advance: 0 (any free port) will not do');
  return n;
}

/** A value for an #SBATCH line, which sbatch reads without a shell: nothing to quote. */
function sbatchValue(value: string): string {
  if (value === '' || /[\s'"\\]/.test(value)) throw new InvalidArgumentError('expected a value without spaces, quotes or backslashes');
  return value;
}
