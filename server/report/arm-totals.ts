/**
 * Per-arm totals results.json adds up from an arm's stages: the bytes its hand-offs moved
 * on the wire, and the results a round deadline dropped.
 */
import type { WireBytes } from '../clients/pool.js';
import type { DroppedResults } from '../schedule/deadline.js';

/**
 * Wire bytes of an arm's hand-offs: `sent` from the coordinator to clients, `received` back
 * (every chunk and re-send included), and the same split into model `states` and `replay`
 * buffers. States sent only to score a model (fedavg's evaluation of an average) and the
 * results a round deadline dropped are not counted.
 */
export interface ArmWireBytes extends WireBytes {
  states: WireBytes;
  replay: WireBytes;
}

/** What these totals read of a stage. */
interface StageTotals {
  steps: number;
  handoffBytes?: WireBytes & { replay?: WireBytes };
  dropped?: DroppedResults;
}

/** The sum of the stages' `handoffBytes`; undefined when none crossed a wire (fakes without sockets). */
export function armWireBytes(stages: readonly StageTotals[]): ArmWireBytes | undefined {
  const moved = stages.flatMap((s) => (s.handoffBytes ? [s.handoffBytes] : []));
  if (moved.length === 0) return undefined;
  const sum = (pick: (b: StageTotals['handoffBytes'] & object) => WireBytes | undefined): WireBytes => ({
    sent: moved.reduce((n, b) => n + (pick(b)?.sent ?? 0), 0),
    received: moved.reduce((n, b) => n + (pick(b)?.received ?? 0), 0),
  });
  const total = sum((b) => b);
  const replay = sum((b) => b.replay);
  return { ...total, states: { sent: total.sent - replay.sent, received: total.received - replay.received }, replay };
}

/** Results dropped over an arm's rounds; undefined for an arm without a round deadline. */
export function armDropped(stages: readonly StageTotals[]): { results: number; steps: number; roundsKeptPrevious: number } | undefined {
  const dropped = stages.flatMap((s) => (s.dropped ? [s.dropped] : []));
  if (dropped.length === 0) return undefined;
  return {
    results: dropped.reduce((n, d) => n + d.taskIds.length, 0),
    steps: dropped.reduce((n, d) => n + d.steps, 0),
    roundsKeptPrevious: dropped.filter((d) => d.keptPrevious).length,
  };
}

/**
 * Sentences for results.json's `computeMatching` on the arms whose round deadline dropped
 * results: the steps their averages took against those planned. Empty when none did.
 */
export function droppedNote(arms: readonly { name: string; stages: readonly StageTotals[] }[]): string {
  return arms
    .map((arm) => {
      const dropped = armDropped(arm.stages);
      if (!dropped || dropped.results === 0) return '';
      const kept = arm.stages.reduce((n, s) => n + s.steps, 0);
      return (
        `; arm ${arm.name}'s round deadline dropped ${dropped.results} late result(s) of ${dropped.steps} planned step(s)` +
        `${dropped.roundsKeptPrevious > 0 ? ` (${dropped.roundsKeptPrevious} round(s) got none in time and kept the previous model)` : ''}, ` +
        `so its averages took ${kept} of its ${kept + dropped.steps} planned step(s)`
      );
    })
    .join('');
}

/** What an arm cost, as the suite table shows it: seconds training and handing off (summed over its tasks), and wire MB both ways. */
export function armCostCells(arm: { final: { trainSeconds: number; handoffSeconds: number } | null; wireBytes?: ArmWireBytes }): [string, string] {
  const seconds = arm.final ? (arm.final.trainSeconds + arm.final.handoffSeconds).toFixed(0) : '';
  const wire = arm.wireBytes ? ((arm.wireBytes.sent + arm.wireBytes.received) / 1e6).toFixed(1) : '–';
  return [seconds, wire];
}
