/**
 * The batch script `streamssl slurm` writes, without a cluster: its #SBATCH lines, its
 * syntax (bash -n), and what each task runs, by running the task script under bash with the
 * SLURM_* variables of a task and a stand-in `streamssl` that records its arguments and
 * environment (test/hosts/slurm.test.ts runs the real thing on a one-node cluster).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellQuote, slurmScript, slurmTaskScript, type SlurmScriptOptions } from '../../cli/slurm-script.js';
import { useTempDir } from '../support/temp-dir.js';

const BASE: SlurmScriptOptions = {
  scenario: '/shared/scenarios/s.json',
  out: '/shared/runs/r',
  streamssl: '/opt/streamssl/bin/streamssl.mjs',
  jobName: 'streamssl-s',
  nodes: 2,
  tasks: 5,
  gpusPerTask: 1,
  gpuBinding: 'slurm',
  backend: 'auto',
  reconnectSeconds: 600,
  overrides: [],
  setup: [],
};

describe('the Slurm batch script', () => {
  it('asks Slurm for what the options say, and passes bash -n', () => {
    const script = slurmScript({ ...BASE, time: '02:00:00', partition: 'gpu', cpusPerTask: 4, tasksPerNode: 3, setup: ['module load nodejs/20'] });
    const sbatch = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(sbatch).toEqual([
      '#SBATCH --job-name=streamssl-s',
      '#SBATCH --nodes=2',
      '#SBATCH --ntasks=5',
      '#SBATCH --ntasks-per-node=3',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --gpus-per-task=1',
      '#SBATCH --time=02:00:00',
      '#SBATCH --partition=gpu',
      '#SBATCH --output=/shared/runs/r/slurm-%j.out',
    ]);
    expect(script).toContain('\nmodule load nodejs/20\n');
    expect(script).toMatch(/^export STREAMSSL_PORT=\$\(\(20000 \+ SLURM_JOB_ID % 20000\)\)$/m);
    expect(slurmScript({ ...BASE, gpuBinding: 'local' })).not.toContain('--gpus-per-task=');
    expect(slurmScript({ ...BASE, port: 4000 })).toMatch(/^export STREAMSSL_PORT=4000$/m);
    const syntax = spawnSync('bash', ['-n'], { input: slurmScript({ ...BASE, overrides: ["name=it's (odd) $HOME `x`"] }), encoding: 'utf8' });
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
  });

  it('refuses what it cannot write', () => {
    expect(() => slurmScript({ ...BASE, tasks: 1 })).toThrow(/at least 2 tasks \(the coordinator and a client\), got 1/);
    expect(() => slurmScript({ ...BASE, partition: 'a b' })).toThrow(/#SBATCH --partition=a b": Slurm options may not hold spaces/);
    expect(() => slurmScript({ ...BASE, overrides: ['x=1\nSTREAMSSL_TASK_END\n'] })).toThrow(/may not be the line STREAMSSL_TASK_END/);
  });

  it('quotes shell words', () => {
    expect(shellQuote('/a/b-c_d.json')).toBe('/a/b-c_d.json');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    expect(spawnSync('bash', ['-c', `printf %s ${shellQuote("a 'b' $c \\d")}`], { encoding: 'utf8' }).stdout).toBe("a 'b' $c \\d");
  });
});

describe('each task of the job', () => {
  const dir = useTempDir('streamssl-slurm-task-');

  /** Runs the task script as task `procid` with `env`; returns its exit code and what the stand-in streamssl recorded. */
  function runTask(options: Partial<SlurmScriptOptions>, env: Record<string, string>, standInExit = 0): { code: number | null; stderr: string; args: string[]; cuda: string; token: string } {
    const bin = join(dir(), 'streamssl');
    const record = join(dir(), 'record');
    writeFileSync(bin, `#!/bin/bash\nprintf '%s\\n' "$@" > ${record}.args\nprintf '%s' "\${CUDA_VISIBLE_DEVICES-unset}" > ${record}.cuda\nprintf '%s' "$STREAMSSL_TOKEN" > ${record}.token\nexit ${standInExit}\n`, { mode: 0o755 });
    const run = spawnSync('bash', ['-c', slurmTaskScript({ ...BASE, ...options })], {
      encoding: 'utf8',
      timeout: 20_000,
      env: {
        PATH: process.env.PATH,
        STREAMSSL_BIN: bin,
        STREAMSSL_SCENARIO: BASE.scenario,
        STREAMSSL_RUN: dir(),
        STREAMSSL_BACKEND: 'wasm',
        STREAMSSL_GPUS_PER_TASK: String(options.gpusPerTask ?? BASE.gpusPerTask),
        STREAMSSL_RECONNECT_SECONDS: '60',
        STREAMSSL_TOKEN: 'the-token-from-the-environment',
        STREAMSSL_SERVER_HOST: 'node01',
        STREAMSSL_PORT: '20042',
        STREAMSSL_CLIENTS: '4',
        STREAMSSL_STATUS: join(dir(), 'status'),
        SLURM_JOB_ID: '42',
        SLURMD_NODENAME: 'node01',
        SLURM_NODEID: '0',
        SLURM_LOCALID: '0',
        ...env,
      },
    });
    const read = (suffix: string) => readFileSync(`${record}.${suffix}`, 'utf8');
    return { code: run.status, stderr: run.stderr, args: read('args').trim().split('\n'), cuda: read('cuda'), token: read('token') };
  }

  it('task 0 serves the scenario, or resumes a run folder that holds a run, and records its exit code', () => {
    const serve = runTask({ overrides: ["name=it's", 'training.epochsPerChunk=2'] }, { SLURM_PROCID: '0' }, 3);
    expect(serve.code).toBe(3);
    expect(readFileSync(join(dir(), 'status'), 'utf8').trim()).toBe('3');
    expect(serve.args).toEqual(['serve', BASE.scenario, '--out', dir(), '--port', '20042', '--min-clients', '4', '--set', "name=it's", '--set', 'training.epochsPerChunk=2']);
    expect(serve.token).toBe('the-token-from-the-environment');

    writeFileSync(join(dir(), 'journal.json'), '{}');
    const resume = runTask({}, { SLURM_PROCID: '0' });
    expect(resume.code).toBe(0);
    expect(resume.args).toEqual(['resume', dir(), '--port', '20042', '--clients', '4']);
  });

  it('--seeds: task 0 serves every seed, and a resubmitted job resumes a run over several seeds (seeds.json, no journal.json)', () => {
    const serve = runTask({ seeds: 3, overrides: ['training.epochsPerChunk=2'] }, { SLURM_PROCID: '0' });
    expect(serve.code).toBe(0);
    expect(serve.args).toEqual(['serve', BASE.scenario, '--out', dir(), '--port', '20042', '--min-clients', '4', '--set', 'training.epochsPerChunk=2', '--seeds', '3']);
    expect(slurmScript({ ...BASE, seeds: 3 })).toContain(' --seeds 3');
    expect(slurmScript(BASE)).not.toContain('--seeds');

    // What a multi-seed run leaves at its top: seeds.json and a folder per seed, each with its journal.
    writeFileSync(join(dir(), 'seeds.json'), '{}');
    const resume = runTask({ seeds: 3 }, { SLURM_PROCID: '0' });
    expect(resume.code).toBe(0);
    expect(resume.args).toEqual(['resume', dir(), '--port', '20042', '--clients', '4']);
  });

  it('a client joins the first node with its node-and-task id, the token only in its environment', () => {
    const client = runTask({ cpusPerTask: 4 }, { SLURM_PROCID: '3', SLURM_LOCALID: '1', SLURM_NODEID: '1', SLURMD_NODENAME: 'node02', SLURM_CPUS_PER_TASK: '4' });
    expect(client.code).toBe(0);
    expect(client.args).toEqual(['client', '--server', 'http://node01:20042', '--client-id', 'node02-task3', '--reconnect-seconds', '60', '--backend', 'wasm', '--threads', '4']);
    expect(client.token).toBe('the-token-from-the-environment');
    expect(client.args.join(' ')).not.toContain('the-token');
  });

  it("a client's failure is logged, not the job's exit code", () => {
    const failed = runTask({}, { SLURM_PROCID: '1', SLURM_LOCALID: '1' }, 1);
    expect(failed.code).toBe(0);
    expect(failed.stderr).toContain('streamssl client on node01 (task 1) exited with code 1');
  });

  it('GPUs: kept as Slurm bound them, else taken by the slot on the node (the coordinator holds none)', () => {
    const cuda = (gpusPerTask: number, env: Record<string, string>) => runTask({ gpusPerTask }, { SLURM_PROCID: '1', ...env }).cuda;
    expect(cuda(2, { SLURM_NODEID: '0', SLURM_LOCALID: '1' })).toBe('0,1');
    expect(cuda(2, { SLURM_NODEID: '0', SLURM_LOCALID: '3' })).toBe('4,5');
    expect(cuda(2, { SLURM_NODEID: '1', SLURM_LOCALID: '0' })).toBe('0,1');
    expect(cuda(1, { SLURM_NODEID: '1', SLURM_LOCALID: '2', CUDA_VISIBLE_DEVICES: '7' })).toBe('2');
    expect(cuda(1, { SLURM_STEP_GPUS: '5', CUDA_VISIBLE_DEVICES: '0' })).toBe('0');
    expect(cuda(1, { SLURM_STEP_GPUS: '5,6' })).toBe('5,6');
    expect(cuda(0, { SLURM_LOCALID: '1' })).toBe('unset');
    expect(cuda(0, { SLURM_LOCALID: '1', CUDA_VISIBLE_DEVICES: '3' })).toBe('3');
  });
});
