/**
 * The Slurm launcher (`streamssl slurm`) on a one-node Slurm cluster the test starts on
 * this host (test/support/slurm-cluster.ts): the batch script it writes runs the real
 * `streamssl serve` as task 0 and the real `streamssl client` as tasks 1 and 2, which train
 * a tiny relay. Checked: the run finishes in the run folder, the clients are named by node
 * and task, their GPUs (fake devices Slurm binds, or ids by local task) reach them as
 * CUDA_VISIBLE_DEVICES, the token stays off the output, submitting again resumes, and the
 * job's exit code is the coordinator's. Skipped, saying why, where the daemons cannot start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { spawnCli } from '../support/cli-process.js';
import { tinyRelayScenario } from '../support/scenario.js';
import { startSlurmCluster, type ClusterStart, type SlurmCluster } from '../support/slurm-cluster.js';

const TOKEN = 'slurm-test-token-0123456789abcdef';
const JOB_TIMEOUT_MS = 150_000;
/** One MoCo-v2 relay arm over two chunks of tiny synthetic images: the quickest real training. */
const SCENARIO = JSON.stringify(tinyRelayScenario());

interface Results {
  arms: { final: unknown }[];
  clients: { id: string; device?: string; backend?: string }[];
}

describe('streamssl slurm: serve and clients as one job on a one-node Slurm cluster', () => {
  let start: ClusterStart = { skip: 'not started' };
  let work: string;

  const scripts: Record<'bound' | 'local' | 'failing', string> = { bound: '', local: '', failing: '' };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'streamssl-slurm-runs-'));
    writeFileSync(join(work, 'tiny-relay.json'), SCENARIO);
    writeFileSync(join(work, 'doomed.json'), SCENARIO);
    // The scripts are written while the cluster starts: each `streamssl slurm` is a Node start.
    const written = Promise.all([
      writeScript('bound', 'tiny-relay.json', ['--gpus-per-task', '1']),
      writeScript('local', 'tiny-relay.json', ['--gpus-per-task', '2', '--gpu-binding', 'local']),
      writeScript('failing', 'doomed.json', ['--tasks', '2']), // the last --tasks wins
    ]);
    written.catch(() => undefined); // awaited below, after the cluster
    start = await startSlurmCluster({ gpus: 4 });
    if ('skip' in start) process.stderr.write(`\nSKIPPED test/hosts/slurm.test.ts: ${start.skip}\n\n`);
    await written;
  }, 90_000);

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    if ('cluster' in start) expect(await start.cluster.stop(), 'processes left behind by the jobs').toEqual([]);
  }, 60_000);

  function clusterOrSkip(ctx: TestContext): SlurmCluster {
    if ('skip' in start) ctx.skip(start.skip);
    return (start as { cluster: SlurmCluster }).cluster;
  }

  /** `streamssl slurm` writes the script `name` for a run in work/name. */
  async function writeScript(name: keyof typeof scripts, scenario: string, args: string[]): Promise<void> {
    const script = join(work, `${name}.sbatch`);
    const cli = spawnCli(['slurm', join(work, scenario), '--out', join(work, name), '--tasks', '3', '--backend', 'wasm', '--reconnect-seconds', '60', '--script', script, ...args]);
    expect(await cli.exited, cli.output()).toBe(0);
    expect(cli.output()).toContain(`submit it with  sbatch ${script}`);
    scripts[name] = script;
  }

  /** Submits, waits for the end; returns the job's exit code and its output file. */
  async function runJob(cluster: SlurmCluster, script: string, out: string, env: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number; output: string }> {
    // --overcommit: three tasks on a node of fewer CPUs.
    const id = cluster.submit(script, ['--overcommit'], { STREAMSSL_TOKEN: TOKEN, ...env });
    const end = await cluster.waitForJob(id, JOB_TIMEOUT_MS);
    const output = readFileSync(join(out, `slurm-${id}.out`), 'utf8');
    expect(existsSync(join(out, `slurm-${id}.serve-exit`)), 'the exit-code file is removed').toBe(false);
    return { exitCode: end.exitCode, output };
  }

  function readResults(out: string): Results {
    return JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  }

  it('runs serve as task 0 and two clients with the GPUs Slurm binds to them', async (ctx) => {
    const cluster = clusterOrSkip(ctx);
    const out = join(work, 'bound');
    const script = scripts.bound;
    expect(readFileSync(script, 'utf8')).toMatch(/^#SBATCH --gpus-per-task=1$/m);
    const { exitCode, output } = await runJob(cluster, script, out);
    expect(exitCode, output).toBe(0);
    const results = readResults(out);
    expect(results.arms[0].final).not.toBeNull();
    expect(results.clients.map((c) => c.id).sort()).toEqual([`${cluster.node}-task1`, `${cluster.node}-task2`]);
    const devices = results.clients.map((c) => c.device);
    devices.forEach((device) => expect(device).toMatch(/^cuda:[0-3]$/));
    expect(new Set(devices).size).toBe(2);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    expect(output).toMatch(new RegExp(`streamssl: coordinator http://${cluster.node}:\\d+, 2 client\\(s\\), run folder ${out}`));
    expect(output).toContain('streamssl: the coordinator exited with code 0');
    expect(output).not.toContain(TOKEN);
  });

  it('without Slurm GPU resources, gives each client its GPUs by its place on the node; submitting again resumes', async (ctx) => {
    const cluster = clusterOrSkip(ctx);
    const out = join(work, 'local');
    const script = scripts.local;
    expect(readFileSync(script, 'utf8')).not.toMatch(/--gpus-per-task=/);
    // A stale CUDA_VISIBLE_DEVICES in the submitting shell must not reach the clients.
    const first = await runJob(cluster, script, out, { CUDA_VISIBLE_DEVICES: '7' });
    expect(first.exitCode, first.output).toBe(0);
    const devices = Object.fromEntries(readResults(out).clients.map((c) => [c.id, c.device]));
    expect(devices).toEqual({ [`${cluster.node}-task1`]: 'cuda:0,1', [`${cluster.node}-task2`]: 'cuda:2,3' });

    // The run folder holds a finished run: task 0 resumes it, finds nothing left to do, and
    // the clients, which never get in, are ended instead of waiting out --reconnect-seconds.
    const again = await runJob(cluster, script, out);
    expect(again.exitCode, again.output).toBe(0);
    expect(again.output).toMatch(/resuming the run/);
    expect(again.output).toMatch(/the coordinator has exited; ending this client/);
    expect(readResults(out).arms[0].final).not.toBeNull();
  });

  it("ends the job with the coordinator's exit code, and its clients with it", async (ctx) => {
    const cluster = clusterOrSkip(ctx);
    const out = join(work, 'failing');
    unlinkSync(join(work, 'doomed.json')); // serve then stops with exit code 2 (bad input)
    const { exitCode, output } = await runJob(cluster, scripts.failing, out);
    expect(exitCode, output).toBe(2);
    expect(output).toContain('streamssl: the coordinator exited with code 2');
    expect(output).toMatch(/coordinator http:\/\/\S+, 1 client\(s\)/);
    expect(output).toMatch(/cannot read file: ENOENT.*doomed\.json/);
    // Left alone, the client would try for its 60 s (--reconnect-seconds), then give up.
    expect(output).not.toMatch(/gave up reaching the coordinator/);
  });
});
