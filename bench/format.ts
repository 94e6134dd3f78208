/** The bench report as readable text. */
import type { OverheadSummary } from '../server/run/overhead.js';
import type { StartupResult } from './startup.js';
import { envLabel } from './interleave-plan.js';
import { ratioRange as range, ratioText as x } from './ratio-text.js';
import type { BenchReport, HandoffResult, HandoffTimes, InterleavedScaling, InterleavedVariant, MocoResult, ThreadScaling, WireCostResult } from './report-types.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const ms = (x: number) => x.toFixed(x < 10 ? 1 : 0);

function threadsCell(r: MocoResult): string {
  return r.threadsActual === r.threads ? String(r.threads) : `${r.threads} (uses ${r.threadsActual})`;
}

/** Each thread count over the first, round by round (neighbouring measurements). */
function scalingText(scaling: ThreadScaling[]): string[] {
  const ratios = (xs: number[]) => xs.map(x).join(', ');
  return [
    'threads over the first thread count, per round:',
    ...scaling.map((s) => {
      const beside = [
        ...(s.torchRatios ? [`PyTorch ${ratios(s.torchRatios)}`] : []),
        ...(s.copiesRatios ? [`${s.threads} one-thread copies at once ${ratios(s.copiesRatios)}`] : []),
      ];
      return `  ${s.config}: ${s.threads} over ${s.baseThreads}: ${ratios(s.ratios)}${beside.length ? ` (${beside.join('; ')})` : ''}`;
    }),
  ];
}

/** Interleaved scaling: medians over the cycles, each cycle's figures beside them. */
export function interleavedText(scaling: InterleavedScaling[]): string[] {
  const lines = [`thread scaling from interleaved slices (medians over the cycles; range):`];
  for (const s of scaling) {
    const m = s.median;
    lines.push(`  ${s.config}: ${s.threads} over ${s.baseThreads}: ${x(m.ratio)} (${range(s.ratios)}) over ${s.cycles} cycle${s.cycles === 1 ? '' : 's'} of ${s.sliceSeconds} s slices`);
    if (s.torchRatios && m.torch !== undefined) lines.push(`    PyTorch: ${x(m.torch)} (${range(s.torchRatios)})`);
    if (s.copiesRatios && m.copies !== undefined && m.ofCopies !== undefined) {
      lines.push(`    ${s.threads} one-thread copies at once: ${x(m.copies)} (${range(s.copiesRatios)}); the threads reach ${(100 * m.ofCopies).toFixed(0)}% of the copies' speed-up, lowest copies overlap ${(100 * Math.min(...s.copiesOverlap!)).toFixed(0)}%`);
    }
  }
  return lines;
}

/** A variant against the plain processes: medians over the cycles, per configuration and thread count. */
export function variantText(variants: InterleavedVariant[]): string[] {
  const lines: string[] = [];
  const named = new Set<string>();
  for (const v of variants) {
    const label = envLabel(v.env);
    if (!named.has(label)) lines.push(`variant ${label} over the plain processes, in the same cycles (medians; range):`);
    named.add(label);
    // The process's own word on what it computes on shows that the environment reached it.
    const on = v.backend === undefined ? '' : `; computes on ${v.backend}`;
    lines.push(`  ${v.config} on ${v.threads} thread${v.threads === 1 ? '' : 's'}: ${x(v.median)} (${range(v.ratios)})${on}`);
  }
  return lines;
}

export function formatReport(report: BenchReport): string {
  const out: string[] = [];
  if (report.moco.length > 0) {
    const first = report.moco[0];
    out.push(`backend: ${report.backend} (${first.backendReason})`, '');
    out.push('MoCo-v2 training step, 32x32x3 inputs, ResNet-18-style blocks, head 512-128, queue 4096, SGD momentum 0.9');
    const withTorch = report.moco.some((r) => r.torch);
    const rows = [['config', 'widths', 'batch', 'threads', 'img/s', ...(withTorch ? ['PyTorch', 'ratio'] : []), 'GFLOP/s', 'step ms', 'wait', '| data', 'fwd', 'bwd', 'opt', 'steps', 'peak MB']];
    for (const r of report.moco) {
      rows.push([
        r.config,
        r.widths.join('-'),
        String(r.batch),
        threadsCell(r),
        r.imgPerSec.toFixed(1),
        ...(withTorch ? (r.torch ? [r.torch.imgPerSec.toFixed(1), (r.imgPerSec / r.torch.imgPerSec).toFixed(2)] : ['–', '–']) : []),
        r.gflops.toFixed(1),
        ms(r.stepMs.total),
        ms(r.stepMs.dataWait),
        `| ${ms(r.stepMs.data)}`,
        ms(r.stepMs.forward),
        ms(r.stepMs.backward),
        ms(r.stepMs.optimizer),
        `${r.steps}+${r.breakdownSteps}`,
        r.peakRssMb == null ? '–' : r.peakRssMb.toFixed(0),
      ]);
    }
    out.push(table(rows), '');
    const workers = [...new Set(report.moco.map((r) => r.dataWorkers))].join('/');
    const batchNorm = [...new Set(report.moco.map((r) => r.batchNorm))].join('/');
    const convolutions = [...new Set(report.moco.map((r) => r.convolutions ?? 'direct'))].join('/');
    out.push(
      `img/s, step ms: the training loop (MocoV2.step, input pipeline with ${workers} data worker thread(s), ${batchNorm} batch norm, ${convolutions} convolutions), timed after warm-up;`,
      '  wait = time per step spent waiting for the input pipeline.',
      'data | fwd | bwd | opt: a separate instrumented pass, synced at each boundary (ms per step):',
      '  data = two augmented, normalized views built in-thread and uploaded;',
      '  fwd  = key-encoder forward + online forward and loss without gradient;',
      '  bwd  = leanVariableGrads(online forward and loss) minus that online forward (as the step);',
      '  opt  = key momentum update + Sgd.apply + batch-norm running stats + enqueue.',
      'GFLOP/s: analytic conv + dense FLOPs of a step (4x one view\'s forward + queue logits, client/models/flops.ts) x img/s.',
      'steps: timed + instrumented.',
      ...(withTorch
        ? [`PyTorch: img/s of the same step on PyTorch ${report.moco.find((r) => r.torch)!.torch!.version} (bench/reference/moco_torch.py), measured right after the row; ratio = img/s / PyTorch.`]
        : report.torchMissing ? [`No PyTorch reference: ${report.torchMissing}.`] : []),
      'peak MB: peak resident memory (VmHWM) of the process that measured the row: a client training that configuration, without a dataset.',
    );
    const rounds = report.moco[0].rounds?.length ?? 1;
    if (rounds > 1) out.push(`Each row is the median of ${rounds} rounds by img/s: ${report.moco.map((r) => `${r.config}/${r.threads} ${r.rounds!.map((x) => x.imgPerSec.toFixed(1)).join(', ')}`).join('; ')}.`);
    if (report.threadScaling?.length) out.push('', ...scalingText(report.threadScaling));
    const evaluated = report.moco.filter((r) => r.eval);
    if (evaluated.length > 0) out.push('', ...evalText(evaluated));
    const leaks = report.moco.filter((r) => r.leakedTensors !== 0 || (r.eval && r.eval.leakedTensors !== 0));
    if (leaks.length > 0) out.push(`warning: tensors leaked in ${leaks.map((r) => `${r.config}/${r.threads}`).join(', ')}`);
  }
  if (report.interleaved?.length) out.push(...(out.length > 0 ? [''] : []), ...interleavedText(report.interleaved));
  if (report.interleavedVariants?.length) out.push('', ...variantText(report.interleavedVariants));
  const h = report.handoff;
  if (h) {
    if (out.length > 0) out.push('');
    out.push(
      `Hand-off of the ${h.config} online encoder (${(h.params / 1e6).toFixed(2)}M params, ${(h.bytes / 1e6).toFixed(1)} MB), client -> coordinator -> client:`,
      `  fresh processes: ${handoffTimesText(h.bytes, h)}`,
      ...(h.warm ? [`  next, passed on between the same processes: ${handoffTimesText(h.bytes, h.warm)}`] : []),
    );
  }
  if (report.wireCosts?.length) out.push(...(out.length > 0 ? [''] : []), ...wireCostsText(report.wireCosts));
  if (report.handoffEncodings?.length) out.push(...(out.length > 0 ? [''] : []), ...handoffEncodingsText(report.handoffEncodings));
  if (report.handoffLinks?.length) out.push(...(out.length > 0 ? [''] : []), ...handoffLinksText(report.handoffLinks));
  if (report.handoffSizes.length > 0) out.push(...(out.length > 0 ? [''] : []), ...handoffSizesText(report));
  if (report.overhead.length > 0) out.push(...(out.length > 0 ? [''] : []), ...overheadText(report));
  if (report.startup?.length) out.push(...(out.length > 0 ? [''] : []), ...startupText(report.startup));
  return `${out.join('\n')}\n`;
}

function evalText(results: readonly MocoResult[]): string[] {
  const e0 = results[0].eval!;
  const rows = [['config', 'widths', 'batch', 'threads', 'train img/s', 'features img/s', 'x train', 'kNN s', 'linear s', 'stage eval s']];
  for (const r of results) {
    const e = r.eval!;
    rows.push([r.config, r.widths.join('-'), String(r.batch), threadsCell(r), r.imgPerSec.toFixed(1), e.imgPerSec.toFixed(0), (e.imgPerSec / r.imgPerSec).toFixed(1), e.knnSeconds.toFixed(2), e.linearSeconds.toFixed(2), e.stageSeconds.toFixed(1)]);
  }
  return [
    `Evaluation of the same model (client/eval/): kNN bank and probe over ${e0.trainSamples} images, ${e0.testSamples} scored, k ${e0.knnK}, ${e0.linearEpochs} probe epochs`,
    table(rows),
    '  features img/s: frozen backbone in inference mode over random images, after one warm-up batch; x train: over training img/s;',
    '  kNN s, linear s: on features of those sizes; stage eval s = (bank + scored) / features img/s + kNN s + linear s.',
  ];
}

function handoffSizesText(report: BenchReport): string[] {
  const rows = [['model', 'params', 'MB', 'encode s', 'send s', 'MB/s', 'decode s', 'total s']];
  for (const h of report.handoffSizes) {
    rows.push([h.config, `${(h.params / 1e6).toFixed(2)}M`, (h.bytes / 1e6).toFixed(1), h.encodeSeconds.toFixed(3), h.sendSeconds.toFixed(3), (h.bytes / 1e6 / h.sendSeconds).toFixed(0), h.decodeSeconds.toFixed(3), h.seconds.toFixed(3)]);
  }
  return ['Hand-off time against model size (online encoder, client -> coordinator -> client):', table(rows)];
}

function wireCostsText(results: readonly WireCostResult[]): string[] {
  const rows = [['encoding', 'state MB', 'wire MB', 'wire/state', 'encode s', 'decode s']];
  for (const c of results) rows.push([c.transfer, (c.stateBytes / 1e6).toFixed(1), (c.wireBytes / 1e6).toFixed(2), (c.wireBytes / c.stateBytes).toFixed(3), c.encodeSeconds.toFixed(3), c.decodeSeconds.toFixed(3)]);
  return [`Wire encodings of the ${results[0].config} online encoder's state (${(results[0].params / 1e6).toFixed(2)}M params, He-initialised), in-process, best of 3:`, table(rows)];
}

function handoffEncodingsText(results: readonly HandoffResult[]): string[] {
  const rows = [['encoding', 'state MB', 'wire MB up', 'wire MB down', 'send s', 'wall s', 's at 20 Mbit/s']];
  for (const h of results) {
    const { up, down } = h.wireBytes!;
    rows.push([h.transfer!, (h.bytes / 1e6).toFixed(1), (up / 1e6).toFixed(2), (down / 1e6).toFixed(2), h.sendSeconds.toFixed(3), h.wallSeconds!.toFixed(3), (((up + down) / 2) * 8 / 20e6).toFixed(1)]);
  }
  return [
    `Hand-off of the ${results[0].config} online encoder by wire encoding (client -> coordinator -> client):`,
    table(rows),
    '  send: both transfers with the coordinator\'s encoding and decoding; wall: first task sent -> second task done;',
    '  s at 20 Mbit/s: one transfer of the wire bytes at the link\'s own limit (bytes / rate).',
  ];
}

function handoffTimesText(bytes: number, t: Pick<HandoffTimes, 'encodeSeconds' | 'sendSeconds' | 'decodeSeconds' | 'seconds'>): string {
  return `encode ${t.encodeSeconds.toFixed(3)} s, send ${t.sendSeconds.toFixed(3)} s (${(bytes / 1e6 / t.sendSeconds).toFixed(0)} MB/s), decode ${t.decodeSeconds.toFixed(3)} s, total ${t.seconds.toFixed(3)} s`;
}

function handoffLinksText(results: readonly HandoffResult[]): string[] {
  const rows = [['link', 'encoding', 'wire MB', 'limit s', 'up s', 'up / limit', 'down s', 'down / limit', 'next up / limit', 'next down / limit']];
  for (const h of results) {
    const limit = h.linkSeconds!;
    const ratio = (s: number | undefined) => (s === undefined ? '-' : (s / limit).toFixed(2));
    rows.push([h.link!, h.transfer!, ((h.wireBytes?.up ?? h.bytes) / 1e6).toFixed(2), limit.toFixed(2), h.upSeconds!.toFixed(2), ratio(h.upSeconds), h.downSeconds!.toFixed(2), ratio(h.downSeconds), ratio(h.warm?.upSeconds), ratio(h.warm?.downSeconds)]);
  }
  return [
    `Hand-off of the ${results[0].config} online encoder across test hosts (network namespaces), every link held to the rate by tbf:`,
    table(rows),
    '  up: sender -> coordinator, down: coordinator -> receiver, each with the coordinator\'s wire decoding or encoding;',
    '  limit: the wire bytes at the link\'s rate, the fastest the link allows; next: the following hand-off between the same processes, the receiver passing the state on.',
  ];
}

function startupText(results: readonly StartupResult[]): string[] {
  const rows = [['clients at once', 'code', 'first joined s', 'last joined s', 'client peak RSS MB']];
  for (const r of results) rows.push([String(r.clients), r.variant, r.joinSeconds[0].toFixed(2), r.joinSeconds[r.joinSeconds.length - 1].toFixed(2), r.rssMb === null ? '–' : r.rssMb.toFixed(0)]);
  return [
    'Client start-up: `streamssl client` process start -> the coordinator has its hello (engine loaded, ready for a task):',
    table(rows),
    '  compiled: the build bin/streamssl.mjs runs; sources: the TypeScript compiled on load by tsx (STREAMSSL_RUN_SOURCES=1).',
  ];
}

function overheadText(report: BenchReport): string[] {
  const cell = (o: OverheadSummary | null) => (o ? `${ms(o.medianSeconds * 1000)} / ${ms(o.meanSeconds * 1000)} / ${ms(o.maxSeconds * 1000)}` : '–');
  const rows = [['clients', 'chunks', 'dashboard', 'relay ms', 'fedavg ms', 'all ms', 'hand-overs', 'run s']];
  for (const r of report.overhead) rows.push([String(r.clients), String(r.chunks), r.viewer ? `watched (${r.viewerEvents} events)` : 'none', cell(r.relay), cell(r.fedavg), cell(r.all), String(r.all?.samples ?? 0), r.seconds.toFixed(1)]);
  return [
    'Coordinator overhead per stage against the number of clients (result arrived -> next task sent; median / mean / max):',
    table(rows),
    '  relay and fedavg (2 rounds, one chunk per client) arms with in-process clients that train nothing; each count without, then with, a dashboard viewer connected.',
  ];
}
