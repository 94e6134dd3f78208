import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { memoryLogFields, processMemory } from '../../shared/process-memory.js';

describe('processMemory', () => {
  it.runIf(platform() === 'linux')('reads resident memory now and at its peak, the peak never below it', async () => {
    const m = await processMemory('self');
    expect(m!.rss).toBeGreaterThan(1);
    expect(m!.hwm).toBeGreaterThanOrEqual(m!.rss);
    const fields = await memoryLogFields();
    expect(Number.isInteger(fields.rssMb) && Number.isInteger(fields.peakRssMb)).toBe(true);
    expect(fields.peakRssMb!).toBeGreaterThanOrEqual(fields.rssMb!);
  });

  it('is null for a process that is not there', async () => {
    expect(await processMemory(2 ** 22 + 1)).toBeNull();
  });
});
