/** Peak resident memory of a process (VmHWM in /proc/<pid>/status), Linux only. */
import { readFile } from 'node:fs/promises';

/** VmHWM of `pid` (default: this process) in MiB; null where /proc is not there or the process is gone. */
export async function peakRssMb(pid: number | 'self' | undefined = 'self'): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}
