/**
 * Test helper: a one-node Slurm cluster on this host, from Debian's slurm-wlm and munge.
 * munged, slurmctld and slurmd run in the foreground as children of the test, with their
 * own key, socket, configuration, state and logs in one temporary folder; Slurm's client
 * commands find it through SLURM_CONF. `stop` cancels every job, stops the daemons, kills
 * whatever a job left behind (every process of the cluster carries its SLURM_CONF in its
 * environment) and removes the folder. A test process killed outright (SIGKILL: no exit
 * handler runs) leaves its cluster running: the next start kills what such a dead test
 * process left (each cluster process also carries its test's pid) and removes its folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isRunning } from './cli-process.js';
import { fakeGpuPaths, gresConf, slurmConf } from './slurm-conf.js';
import { waitUntil } from './wait.js';

const PROGRAMS = ['munged', 'slurmctld', 'slurmd', 'sinfo', 'sbatch', 'scontrol', 'squeue', 'scancel'];

/** How a job ended, from `scontrol show job`. */
export interface JobEnd {
  state: string;
  /** The batch script's exit code. */
  exitCode: number;
}

export interface SlurmCluster {
  /** The folder that holds everything of the cluster. */
  readonly dir: string;
  /** The node's name (this host's short name). */
  readonly node: string;
  /** SLURM_CONF for Slurm's client commands, to add to an environment. */
  readonly env: { SLURM_CONF: string };
  /** Runs a Slurm client command to its end. */
  command(name: string, args: readonly string[], env?: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string };
  /** Submits a batch script (`sbatch --parsable ...args script`); returns the job id. */
  submit(script: string, args: readonly string[], env?: NodeJS.ProcessEnv): number;
  /** Polls the job until it ends (sbatch --wait polls every 2, 8, then 32 s: too coarse here). */
  waitForJob(id: number, timeoutMs: number): Promise<JobEnd>;
  /** Stops everything and removes the folder; returns the processes it had to kill after the daemons stopped. */
  stop(): Promise<string[]>;
}

/** A running cluster, or why none could start (then the tests skip, saying so). */
export type ClusterStart = { cluster: SlurmCluster } | { skip: string };

/** Starts the cluster with `gpus` fake GPUs on its node. */
export async function startSlurmCluster(options: { gpus: number }): Promise<ClusterStart> {
  const missing = PROGRAMS.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (missing.length > 0) return { skip: `${missing.join(', ')} not installed (apt-get install slurm-wlm munge)` };
  if (process.getuid?.() !== 0) return { skip: `slurmd must run as root to start job steps, and this test runs as uid ${process.getuid?.()}` };

  reapOrphans();
  const dir = mkdtempSync(join(tmpdir(), 'streamssl-slurm-'));
  const node = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  const env = { ...process.env, SLURM_CONF: conf, [OWNER_VARIABLE]: String(process.pid) };
  const daemons: Daemon[] = [];
  const killDaemons = () => daemons.forEach((d) => d.child.kill('SIGKILL'));
  // Should the test process end without stop(), its daemons must not outlive it.
  process.once('exit', killDaemons);

  const stop = async (): Promise<string[]> => {
    process.off('exit', killDaemons);
    if (daemons.some((d) => d.alive())) cancelJobs(env);
    await Promise.all(daemons.map((d) => d.stop()));
    const strays = killStrays(conf);
    rmSync(dir, { recursive: true, force: true });
    return strays;
  };

  try {
    for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o700 });
    const mungeSocket = join(dir, 'munge', 'munge.socket');
    writeFileSync(join(dir, 'munge', 'munge.key'), randomBytes(1024), { mode: 0o600 });
    fakeGpuPaths(dir, options.gpus).forEach((path) => symlinkSync('/dev/null', path));
    const [controllerPort, nodePort] = [await freePort(), await freePort()];
    writeFileSync(conf, slurmConf({ dir, hostname: node, cpus: cpus().length, gpus: options.gpus, controllerPort, nodePort, mungeSocket }));
    writeFileSync(join(dir, 'gres.conf'), gresConf(dir, options.gpus));
    writeFileSync(join(dir, 'plugstack.conf'), '');

    const munge = startDaemon('munged', [
      '-F', '--force', `--socket=${mungeSocket}`, `--key-file=${join(dir, 'munge', 'munge.key')}`,
      `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`, `--log-file=${join(dir, 'log', 'munged.log')}`,
    ], env);
    daemons.push(munge);
    const why = await untilReady([munge], () => existsSync(mungeSocket), 'its socket appears');
    if (why) return { skip: await skipWith(why, stop) };
    daemons.push(startDaemon('slurmctld', ['-D', '-i', '-f', conf], env));
    daemons.push(startDaemon('slurmd', ['-D', '-f', conf, '-N', node], env));
    const idle = () => spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim() === 'idle';
    const failed = await untilReady(daemons, idle, `sinfo shows the node ${node} idle`);
    if (failed) return { skip: await skipWith(failed, stop) };
  } catch (err) {
    await stop();
    throw err;
  }

  const command: SlurmCluster['command'] = (name, args, extra = {}) => {
    const run = spawnSync(name, args, { env: { ...env, ...extra }, encoding: 'utf8', timeout: 30_000 });
    return { code: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
  };
  return {
    cluster: {
      dir,
      node,
      env: { SLURM_CONF: conf },
      command,
      submit(script, args, extra) {
        const run = command('sbatch', ['--parsable', ...args, script], extra);
        const id = Number(run.stdout.trim().split(';')[0]);
        if (run.code !== 0 || !Number.isInteger(id)) throw new Error(`sbatch ${script} failed (${run.code}): ${run.stderr}${run.stdout}`);
        return id;
      },
      waitForJob: (id, timeoutMs) => waitUntil(() => jobEnd(command('scontrol', ['show', 'job', '-o', String(id)]).stdout), `job ${id} ends`, timeoutMs, 500),
      stop,
    },
  };
}

const RUNNING_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING']);

/** The end of a job from its `scontrol show job -o` line; undefined while it runs. */
function jobEnd(line: string): JobEnd | undefined {
  const state = /\bJobState=(\S+)/.exec(line)?.[1];
  const exit = /\bExitCode=(\d+):(\d+)/.exec(line);
  if (state === undefined || exit === null || RUNNING_STATES.has(state)) return undefined;
  return { state, exitCode: Number(exit[1]) };
}

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  alive(): boolean;
  /** Its last lines of output, without the noise of MPI plugins it cannot load. */
  lastLines(): string;
  stop(): Promise<void>;
}

/**
 * Waits until `ready`; resolves with why it cannot be (a daemon exited) or undefined, and
 * throws, with what each daemon said, when the time runs out.
 */
async function untilReady(daemons: readonly Daemon[], ready: () => boolean, what: string): Promise<string | undefined> {
  const said = () => daemons.map((d) => `${d.name} said:\n  ${d.lastLines()}`).join('\n');
  try {
    await waitUntil(() => daemons.some((d) => !d.alive()) || ready(), what, 30_000, 200);
  } catch (err) {
    throw new Error(`${(err as Error).message}; ${said()}`);
  }
  const dead = daemons.find((d) => !d.alive());
  return dead ? `${dead.name} ${(dead.child.spawnargs.slice(1)).join(' ')} exited (code ${dead.child.exitCode}) before ${what}:\n  ${dead.lastLines()}` : undefined;
}

function startDaemon(name: string, args: string[], env: NodeJS.ProcessEnv): Daemon {
  const child = spawn(name, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('close', () => ((exited = true), resolve())));
  child.once('error', (err) => (output += `\n${err.message}`));
  return {
    name,
    child,
    alive: () => !exited,
    lastLines: () => output.trim().split('\n').filter((l) => !/pmix|MPI/i.test(l)).slice(-8).join('\n  '),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

async function skipWith(why: string, stop: () => Promise<string[]>): Promise<string> {
  await stop();
  return `the one-node Slurm cluster could not start: ${why}`;
}

/** Cancels every job and waits (at most 20 s) until none is left. */
function cancelJobs(env: NodeJS.ProcessEnv): void {
  const ids = spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8' }).stdout?.trim().split(/\s+/).filter(Boolean) ?? [];
  if (ids.length === 0) return;
  spawnSync('scancel', ids, { env });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (spawnSync('squeue', ['-h', '-o', '%i'], { env, encoding: 'utf8' }).stdout ?? '').trim() !== '') {
    spawnSync('sleep', ['0.5']);
  }
}

/** The environment variable that names the test process a cluster's processes belong to. */
const OWNER_VARIABLE = 'STREAMSSL_SLURM_TEST_OWNER';

/**
 * Kills the processes that carry this cluster's SLURM_CONF in their environment (job steps,
 * their tasks, slurmstepd) and still run after the daemons stopped; returns them.
 */
function killStrays(conf: string): string[] {
  const marker = `\0SLURM_CONF=${conf}\0`;
  return killWhere((environ) => environ.includes(marker)).map((p) => p.line);
}

/**
 * Kills the processes of clusters whose test process is gone (killed before it could stop
 * them), and removes those clusters' folders.
 */
export function reapOrphans(): void {
  const owner = new RegExp(`\0${OWNER_VARIABLE}=(\\d+)\0`);
  const killed = killWhere((environ) => {
    const pid = Number(owner.exec(environ)?.[1]);
    return Number.isInteger(pid) && pid !== process.pid && !isRunning(pid);
  });
  for (const { environ } of killed) {
    const conf = /\0SLURM_CONF=([^\0]+)\0/.exec(environ)?.[1];
    if (conf?.startsWith(join(tmpdir(), 'streamssl-slurm-'))) rmSync(dirname(conf), { recursive: true, force: true });
  }
}

/** SIGKILLs every running process (but this one) whose environment matches; returns them. */
function killWhere(matches: (environ: string) => boolean): Array<{ line: string; environ: string }> {
  const killed: Array<{ line: string; environ: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
      if (!matches(environ) || !isRunning(pid)) continue;
      killed.push({ line: `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim()}`, environ });
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return killed;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
