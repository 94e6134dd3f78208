/** Resident memory of a process from /proc (Linux): what a run reports and a client logs per task. */
import { readFile } from 'node:fs/promises';

/** A process's resident memory now (VmRSS) and at its peak (VmHWM), in MiB, from /proc (Linux); null when gone or elsewhere. */
export async function processMemory(pid: number | 'self'): Promise<{ rss: number; hwm: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(text)?.[1];
    const hwm = /VmHWM:\s+(\d+) kB/.exec(text)?.[1];
    return rss === undefined || hwm === undefined ? null : { rss: Number(rss) / 1024, hwm: Number(hwm) / 1024 };
  } catch {
    return null; // gone, or no /proc
  }
}

/** This process's memory as log fields (whole MiB): `rssMb` now, `peakRssMb` so far; none off Linux. */
export async function memoryLogFields(): Promise<{ rssMb?: number; peakRssMb?: number }> {
  const m = await processMemory('self');
  return m ? { rssMb: Math.round(m.rss), peakRssMb: Math.round(m.hwm) } : {};
}
