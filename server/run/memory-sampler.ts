/**
 * Resident memory of a run on this machine: the coordinator and every client process
 * on this host, sampled from /proc (Linux; elsewhere nothing is reported). The total is
 * the largest sum seen at one sample, so a short peak between samples can be missed; each
 * process's own peak is its VmHWM, exact.
 */
import { processMemory } from '../../shared/process-memory.js';

/** What results.json reports (MiB). */
export interface MemorySummary {
  /** Largest sum of the resident memory of the coordinator and this host's clients at one sample. */
  peakTotalMb: number;
  /** The coordinator's own peak (VmHWM). */
  coordinatorPeakMb: number;
  /** Client processes on this host that were measured (a restarted client counts again). */
  clients: number;
  /** Their peaks (VmHWM): the largest and the mean. */
  clientPeakMb: { max: number; mean: number };
  sampleSeconds: number;
}

export interface MemorySampler {
  /** Stops sampling (after one last sample) and summarizes; null when nothing could be read. */
  stop(): Promise<MemorySummary | null>;
}

/** Samples every `sampleSeconds` the coordinator and the pids `clientPids()` names (this host's clients). */
export function sampleRunMemory(clientPids: () => readonly number[], sampleSeconds = 1): MemorySampler {
  const peaks = new Map<number, number>();
  let coordinator = 0;
  let peakTotal = 0;
  let busy: Promise<void> = Promise.resolve();
  const sample = async () => {
    const self = await processMemory('self');
    if (!self) return;
    coordinator = Math.max(coordinator, self.hwm);
    let total = self.rss;
    for (const pid of new Set(clientPids())) {
      const s = await processMemory(pid);
      if (!s) continue;
      total += s.rss;
      peaks.set(pid, Math.max(peaks.get(pid) ?? 0, s.hwm));
    }
    peakTotal = Math.max(peakTotal, total);
  };
  const timer = setInterval(() => {
    busy = busy.then(sample);
  }, sampleSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      await sample();
      if (coordinator === 0) return null;
      const clientPeaks = [...peaks.values()];
      const max = clientPeaks.length > 0 ? Math.max(...clientPeaks) : 0;
      const mean = clientPeaks.length > 0 ? clientPeaks.reduce((a, b) => a + b, 0) / clientPeaks.length : 0;
      return { peakTotalMb: peakTotal, coordinatorPeakMb: coordinator, clients: clientPeaks.length, clientPeakMb: { max, mean }, sampleSeconds };
    },
  };
}
