/**
 * The human-readable report: one table per arm (stage by stage, and why it stopped if it
 * failed), then the final comparison of relay arms against joint training and the
 * random-init floor, with differences in percentage points.
 */
import { join } from 'node:path';
import { writeFileRetrying } from '../run/file-writes.js';
import { fileStem, matrixRowLabels } from './figures.js';
import { markdownText, num, pct, points, row } from './markdown.js';
import { analysisSection, forgettingSection, type FigureLink } from './report-analysis.js';
import type { OverheadSummary } from '../run/overhead.js';
import type { ArmResult, FinalResult, Results } from './results.js';
import { modeOf, type ArmLabels } from '../schedule/index.js';
import { droppedLines, wireSection } from './wire-section.js';
import type { MemorySummary } from '../run/memory-sampler.js';

/** Renders results.json as Markdown; `link` embeds the figures that were rendered. */
export function renderReport(results: Results, link: FigureLink = () => []): string {
  const lines: string[] = [];
  const s = results.scenario;
  lines.push(`# ${markdownText(s.name)}`, '');
  lines.push(
    `Dataset ${s.dataset.name}, ${s.stream.type} stream in ${s.stream.chunks} chunks ` +
      `(${results.stream.chunks.map((c) => c.size).join(' / ')} samples), ${s.ssl.method}, ` +
      `${s.training.epochsPerChunk} epoch(s) per chunk, batch ${s.training.batchSize}, seed ${s.seed}. Backend: ${markdownText(results.backend)}${backendReasons(results)}.`,
    '',
  );
  for (const arm of results.arms) {
    lines.push(...armTable(arm, labelsOf(results, arm)), '', ...droppedLines(arm));
    // With an instance stream every chunk holds every class: the matrix would repeat itself.
    if (arm.accuracyMatrix && s.stream.type !== 'instance') lines.push(...matrixTable(arm), '', ...link(`accuracy-${fileStem(arm.name)}.svg`));
  }
  lines.push(...comparison(results), '', ...wireSection(results));
  lines.push(`Compute matching: ${results.computeMatching}.`, '');
  if (results.memory) lines.push(`${memoryText(results.memory)}`, '');
  if (results.coordinatorOverhead) lines.push(`Coordinator overhead per stage, all arms (a result arrived → the arm's next task sent): ${overheadText(results.coordinatorOverhead, results.clientWait)}.`, '');
  const forgetting = forgettingSection(results);
  if (forgetting.length > 0) lines.push(...forgetting, '');
  lines.push(...analysisSection(results, link));
  return lines.join('\n');
}

/** The distinct reasons the clients gave for their backend, in parentheses (their words: escaped). */
function backendReasons(results: Results): string {
  const reasons = [...new Set(results.clients.map((c) => c.backendReason).filter((r): r is string => Boolean(r)))];
  return reasons.length > 0 ? ` (${markdownText(reasons.join('; '))})` : '';
}

/** Writes `DIR/report.md` (atomically, retried when the failure may pass) and returns its path. */
export async function writeReport(outDir: string, report: string): Promise<string> {
  const path = join(outDir, 'report.md');
  await writeFileRetrying(path, new TextEncoder().encode(report));
  return path;
}

/** A stage's chunks; a long consecutive run (a fedavg round, joint on many chunks) as a range. */
function chunksCell(chunk: number | number[]): string {
  if (!Array.isArray(chunk)) return String(chunk);
  const consecutive = chunk.every((c, i) => i === 0 || c === chunk[i - 1] + 1);
  return chunk.length > 4 && consecutive ? `${chunk[0]}–${chunk[chunk.length - 1]} (${chunk.length})` : chunk.join(', ');
}

/** The client(s) of a stage; a fedavg round's many clients as a count (results.json lists them). */
function clientsCell(clients: string): string {
  const ids = clients.split(',');
  return ids.length > 3 ? `${ids.length} clients` : ids.join(', ');
}

/** The run's resident memory on this machine, in one sentence. */
function memoryText(m: MemorySummary): string {
  const mb = (v: number) => (v >= 1024 ? `${(v / 1024).toFixed(2)} GB` : `${v.toFixed(0)} MB`);
  return `Memory on this machine: ${mb(m.peakTotalMb)} resident at most for the coordinator and ${m.clients} client process${m.clients === 1 ? '' : 'es'} together (sampled every ${m.sampleSeconds} s); a client's peak ${mb(m.clientPeakMb.max)} (mean ${mb(m.clientPeakMb.mean)}), the coordinator's ${mb(m.coordinatorPeakMb)}.`;
}

/** Mean, median and max of overhead samples, in milliseconds. */
function overheadText(o: OverheadSummary, clientWait?: OverheadSummary): string {
  const ms = (seconds: number) => `${num(seconds * 1000, 1)} ms`;
  const text = `mean ${ms(o.meanSeconds)}, median ${ms(o.medianSeconds)}, max ${ms(o.maxSeconds)} over ${o.samples} hand-over(s)`;
  // The wait for a free client is scheduling (more tasks in flight than clients), not the coordinator's work.
  return clientWait ? `${text}, of which waiting for a free client mean ${ms(clientWait.meanSeconds)}, max ${ms(clientWait.maxSeconds)}` : text;
}

/** How an arm reads in its heading and the comparison, as its mode says from its spec in the scenario. */
function labelsOf(results: Results, arm: ArmResult): ArmLabels {
  const spec = results.scenario.arms.find((a) => a.name === arm.name);
  if (!spec) throw new Error(`results.json: arm ${arm.name} is not in its scenario`);
  return modeOf(spec).labels(spec);
}

function armTable(arm: ArmResult, labels: ArmLabels): string[] {
  const rows = arm.stages.map((st) =>
    row([
      String(st.stage),
      chunksCell(st.chunk),
      clientsCell(st.client),
      `${num(st.loss.first)} → ${num(st.loss.last)}`,
      st.eval ? pct(st.eval.knnTop1) : '–',
      st.eval ? pct(st.eval.linearTop1) : '–',
      `${num(st.trainSeconds, 1)} s`,
      `${num(st.handoffSeconds, 2)} s`,
    ]),
  );
  return [
    `## ${markdownText(arm.name)} (${labels.heading})`,
    '',
    row(['stage', 'chunk', 'client', 'loss first → last', 'kNN top-1', 'linear top-1', 'train', 'hand-off']),
    row(['---:', '---', '---', '---', '---:', '---:', '---:', '---:']),
    ...rows,
    ...(arm.coordinatorOverhead ? ['', `Coordinator overhead: ${overheadText(arm.coordinatorOverhead, arm.clientWait)}.`] : []),
    ...(arm.error !== undefined ? ['', `**Failed** after ${arm.stages.length} finished stage(s): ${markdownText(arm.error)}`] : []),
  ];
}

/** Linear-probe accuracy on each chunk's test share after each stage (rows: stages, a cyclic relay's labelled by visit). */
function matrixTable(arm: ArmResult): string[] {
  const m = arm.accuracyMatrix!;
  const chunks = m.linearTop1[0]?.length ?? 0;
  const labels = matrixRowLabels(m);
  const header = ['after stage', ...Array.from({ length: chunks }, (_, c) => `chunk ${c}`)];
  return [
    `Linear-probe top-1 on each chunk's test samples (${markdownText(arm.name)}):`,
    '',
    row(header),
    row(header.map(() => '---:')),
    ...labels.map((label, i) => row([label, ...m.linearTop1[i].map(pct)])),
  ];
}

function comparison(results: Results): string[] {
  const joint = finished(results.arms).find((a) => modeOf(a).reference);
  const floor = results.randomInit;
  const header = ['arm', 'mode', 'kNN top-1', 'linear top-1', 'Δ kNN vs random init', 'Δ linear vs random init'];
  if (joint) header.push(`Δ kNN vs ${joint.name}`, `Δ linear vs ${joint.name}`);
  const lines = ['## Final comparison', '', row(header), row(header.map((_, i) => (i < 2 ? '---' : '---:')))];
  for (const arm of finished(results.arms)) {
    const cells = [
      arm.name,
      labelsOf(results, arm).comparison,
      pct(arm.final.knnTop1),
      pct(arm.final.linearTop1),
      points(arm.final.knnTop1 - floor.knnTop1),
      points(arm.final.linearTop1 - floor.linearTop1),
    ];
    if (joint) cells.push(points(arm.final.knnTop1 - joint.final.knnTop1), points(arm.final.linearTop1 - joint.final.linearTop1));
    lines.push(row(cells));
  }
  const floorCells = ['random init', 'floor', pct(floor.knnTop1), pct(floor.linearTop1), '', ''];
  if (joint) floorCells.push(points(floor.knnTop1 - joint.final.knnTop1), points(floor.linearTop1 - joint.final.linearTop1));
  lines.push(row(floorCells));
  lines.push('', 'Accuracies in percent; Δ in percentage points.');
  const failed = results.arms.filter((a) => a.final === null).map((a) => a.name);
  if (failed.length > 0) lines.push(`Not compared (failed before their last stage): ${markdownText(failed.join(', '))}.`);
  return lines;
}

type FinishedArm = ArmResult & { final: FinalResult };

/** The arms that ran to their last stage. */
function finished(arms: readonly ArmResult[]): FinishedArm[] {
  return arms.filter((a): a is FinishedArm => a.final !== null);
}
