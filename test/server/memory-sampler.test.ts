import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sampleRunMemory } from '../../server/run/memory-sampler.js';

describe.skipIf(process.platform !== 'linux')('sampleRunMemory', () => {
  it("sums the coordinator and this host's clients, and keeps each client's peak", async () => {
    // A "client" that touches 80 MB, frees it, and waits.
    const script = 'let a = Buffer.alloc(80 * 2 ** 20, 1); a = null; console.log("ready"); setInterval(() => {}, 1000);';
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(child.stdout!, 'data');
      const sampler = sampleRunMemory(() => [child.pid!, child.pid!, 999_999_999], 0.05);
      await new Promise((r) => setTimeout(r, 300));
      const m = (await sampler.stop())!;
      expect(m.clients).toBe(1); // the same pid twice counts once; a gone pid not at all
      expect(m.clientPeakMb.max).toBeGreaterThan(80); // VmHWM: the peak, though the buffer is freed
      expect(m.clientPeakMb.mean).toBe(m.clientPeakMb.max);
      expect(m.coordinatorPeakMb).toBeGreaterThan(20);
      // At one sample: this process's resident memory plus the child's, at least the child's own floor.
      expect(m.peakTotalMb).toBeGreaterThan(m.coordinatorPeakMb / 4 + 20);
      expect(m.sampleSeconds).toBe(0.05);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
