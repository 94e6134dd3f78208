/**
 * The analysis process seen from the coordinator: what the coordinator loads to analyze
 * (no TensorFlow.js), and how a process that crashes, hangs, lies or fails is reported
 * and cleaned up. Fake processes (test/support/fake-analysis-main.ts) stand in for the
 * real one except where the real one's own behaviour is tested.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analysisOptions } from '../../server/analysis/analyze.js';
import { AnalysisProcessError, runAnalysisProcess, type AnalysisProcessOptions } from '../../server/analysis/analysis-process.js';
import { spawnEntry } from '../../server/clients/node-process.js';
import { silentLogger } from '../../shared/log.js';
import { tinyRelayScenario } from '../support/scenario.js';
import { logBuffer } from '../support/log-buffer.js';
import { waitUntil } from '../support/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fakeEntry = fileURLToPath(new URL('../support/fake-analysis-main.ts', import.meta.url));
const realEntry = join(root, 'client/analysis/main.ts');
const RUN_DIR = '/runs/some-run';

function options(patch: Partial<AnalysisProcessOptions> = {}): AnalysisProcessOptions {
  return {
    runDir: RUN_DIR,
    start: { options: analysisOptions(tinyRelayScenario()), arms: [{ name: 'relay', sequential: true, reference: false, stages: [{ stage: 0 }, { stage: 1 }] }], backend: 'cpu' },
    readState: async () => new Uint8Array([1, 2, 3, 4, 5]),
    logger: silentLogger(),
    entry: fakeEntry,
    ...patch,
  };
}

function fake(mode: string, patch: Partial<AnalysisProcessOptions> = {}): AnalysisProcessOptions {
  return options({ env: { STREAMSSL_FAKE_ANALYSIS: mode }, ...patch });
}

/** The error the call rejects with (and fails the test if it resolves). */
async function failure(call: Promise<unknown>): Promise<AnalysisProcessError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AnalysisProcessError);
  return err as AnalysisProcessError;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

describe('analysis process', () => {
  it('reports a process that dies before answering, with its exit code, its last output and the run folder', async () => {
    const err = await failure(runAnalysisProcess(fake('crash')));
    expect(err.message).toMatch(/^analysis of \/runs\/some-run: the analysis process \(pid \d+\) exited with code 3 before it answered\nits last output:\n {2}fake analysis: out of luck$/);
    expect(err.exitCode).toBe(3);
    expect(alive(err.pid!)).toBe(false);
  });

  it('kills the process when the call is abandoned', async () => {
    const controller = new AbortController();
    const logs = logBuffer();
    const call = runAnalysisProcess(fake('hang', { signal: controller.signal, logger: logs.logger }));
    await waitUntil(() => logs.messages(/analysis: hanging/).length > 0, 'the fake took its task');
    controller.abort();
    const err = await failure(call);
    expect(err.message).toMatch(/^analysis of \/runs\/some-run: the analysis process \(pid \d+\) was abandoned/);
    expect(err.signal).toBe('SIGKILL');
    expect(alive(err.pid!)).toBe(false);
  });

  it('refuses results that are not results, and kills the process that sent them', async () => {
    const err = await failure(runAnalysisProcess(fake('garbage')));
    expect(err.message).toMatch(/sent an invalid message \(analysis\./);
    expect(err.signal).toBe('SIGKILL');
    expect(alive(err.pid!)).toBe(false);
  });

  it('hands the process only the states of the arms it was given, as bytes', async () => {
    const err = await failure(runAnalysisProcess(fake('probe')));
    expect(err.message).toContain('failed: refused: arm elsewhere stage 0 is not among the stages handed to the analyses; given: Uint8Array of 5 bytes');
    expect(err.exitCode).toBe(1);
  });

  it('the real process says why a backend cannot load, and exits', async () => {
    const err = await failure(runAnalysisProcess(options({ entry: realEntry, start: { ...options().start, backend: 'tensorflow' } })));
    expect(err.message).toMatch(/^analysis of \/runs\/some-run: the analysis process \(pid \d+\) failed: backend "tensorflow" was requested but cannot load/);
    expect(err.exitCode).toBe(1);
    expect(alive(err.pid!)).toBe(false);
  }, 60_000);

  it('the real process leaves when its channel to the coordinator closes', async () => {
    const child = spawnEntry(realEntry, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise<void>((r) => child.once('message', () => r()));
    child.disconnect();
    expect(await exited).toBe(1);
  }, 60_000);
});
