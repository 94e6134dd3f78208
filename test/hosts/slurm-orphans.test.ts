/**
 * A test process killed outright (SIGKILL, as a CI timeout does) cannot stop its one-node
 * Slurm cluster: the next cluster start (test/support/slurm-cluster.ts, `reapOrphans`)
 * kills the daemons of clusters whose test process is gone and removes their folders.
 * Skipped, saying why, where the daemons cannot start.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning, watchProcess } from '../support/cli-process.js';
import { reapOrphans } from '../support/slurm-cluster.js';
import { waitUntil } from '../support/wait.js';

const HOLD = join(import.meta.dirname, '..', 'support', 'slurm-hold.ts');

/** Pids of the running processes whose environment names `folder`'s slurm.conf. */
function clusterProcesses(folder: string): number[] {
  const marker = `SLURM_CONF=${join(folder, 'slurm.conf')}\0`;
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      try {
        return Number.isInteger(pid) && isRunning(pid) && readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker);
      } catch {
        return false;
      }
    });
}

describe('a Slurm cluster whose test process was killed', () => {
  it('is killed and removed by the next start', async (ctx) => {
    const holder = watchProcess(spawn(process.execPath, ['--import', 'tsx', HOLD], { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const [, outcome, detail] = await holder.waitFor(/(STARTED|SKIP) (.+)\n/, 90_000);
      if (outcome === 'SKIP') ctx.skip(detail);
      const folder = detail;
      expect(clusterProcesses(folder).length).toBeGreaterThanOrEqual(3); // munged, slurmctld, slurmd
      holder.child.kill('SIGKILL');
      await holder.exited;
      // No exit handler ran: the daemons outlive their test process.
      expect(clusterProcesses(folder).length).toBeGreaterThanOrEqual(3);
      reapOrphans();
      await waitUntil(() => clusterProcesses(folder).length === 0, 'the orphaned cluster gone', 10_000);
      expect(existsSync(folder)).toBe(false);
    } finally {
      holder.kill();
    }
  }, 120_000);
});
