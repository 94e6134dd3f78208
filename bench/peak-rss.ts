/** Peak resident memory of a process (VmHWM in /proc/<pid>/status), Linux only. */
import { processMemory } from '../shared/process-memory.js';

/** VmHWM of `pid` (default: this process) in MiB; null where /proc is not there or the process is gone. */
export async function peakRssMb(pid: number | 'self' | undefined = 'self'): Promise<number | null> {
  if (pid === undefined) return null;
  return (await processMemory(pid))?.hwm ?? null;
}
