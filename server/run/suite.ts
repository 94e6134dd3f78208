/**
 * A suite: every scenario file of a folder run one after the other, then one table that
 * sets their arms side by side (the paper's comparison). Every file is validated before
 * anything trains.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import { loadScenario, ScenarioError, type BackendName, type Scenario } from '../../shared/scenario.js';
import { writeFileAtomic } from './file-writes.js';
import { writeSuiteReportHtml } from '../report/html/report-html.js';
import type { Results } from '../report/results.js';
import type { ClientLauncher } from './run.js';
import { runSeededScenario } from './seeds.js';
import { withSeedCount } from '../../shared/scenario-seeds.js';
import type { RunEvents } from '../observe/bus.js';
import { markdownText } from '../report/markdown.js';
import { modeOf } from '../schedule/index.js';
import { meanInterval } from '../report/seeds/seed-format.js';
import { hasSeeds, SEED_ROWS_NOTE, seedRows } from '../report/seeds/seed-suite.js';
import { armCostCells } from '../report/arm-totals.js';

export interface SuiteOptions {
  folder: string;
  outDir: string;
  overrides?: readonly string[];
  /** `--seeds N`: every scenario runs with seeds seed .. seed+N-1. */
  seeds?: number;
  backend?: BackendName;
  clients?: number;
  logger: Logger;
  /** A bus for each scenario's run (e.g. shown by the terminal display). */
  events?: () => RunEvents;
  /** How each scenario's clients start (default: spawned processes). */
  launch?: ClientLauncher;
}

export interface SuiteSummary {
  table: string;
  path: string;
  /** report.html of the whole suite. */
  htmlPath: string;
  /** What failed, one line each: a scenario that could not run, or an arm of one that did. */
  failures: string[];
}

/**
 * The scenarios of a folder, in file-name order, all validated. Each scenario's run goes to
 * `<out>/<scenario name>` (a safe file name, checked by the scenario's schema), so two
 * files with the same scenario name are refused: the second would find the first's run.
 */
export function loadSuite(folder: string, overrides: readonly string[] = [], seeds?: number): { file: string; scenario: Scenario }[] {
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`suite ${folder}: no scenario files (*.json)`);
  const suite = files.map((f) => {
    const scenario = loadScenario(join(folder, f), overrides);
    return { file: f, scenario: seeds === undefined ? scenario : withSeedCount(scenario, seeds) };
  });
  const fileOf = new Map<string, string>();
  const clashes: string[] = [];
  for (const { file, scenario } of suite) {
    const first = fileOf.get(scenario.name);
    if (first !== undefined) clashes.push(`${file}: name: "${scenario.name}" is also the name of ${first} (each scenario's run folder is <out>/<name>)`);
    else fileOf.set(scenario.name, file);
  }
  if (clashes.length > 0) throw new ScenarioError(`suite ${folder}`, clashes);
  return suite;
}

export async function runSuite(o: SuiteOptions): Promise<SuiteSummary> {
  const suite = loadSuite(o.folder, o.overrides, o.seeds);
  const all: SuiteEntry[] = [];
  const failures: string[] = [];
  for (const { file, scenario } of suite) {
    o.logger.info({ scenario: scenario.name, file }, 'suite: scenario starting');
    try {
      const summary = await runSeededScenario({ scenario, outDir: join(o.outDir, scenario.name), backend: o.backend, clients: o.clients, logger: o.logger, ...(o.events ? { events: o.events() } : {}), ...(o.launch ? { launch: o.launch } : {}) });
      all.push({ name: scenario.name, results: summary.results });
      failures.push(...summary.failures.map((f) => `${scenario.name}: ${f.error}`));
    } catch (err) {
      // One failed scenario must not cost the others: it is reported in the table.
      const message = (err as Error).message ?? String(err);
      o.logger.error({ scenario: scenario.name, err: message }, 'suite: scenario failed');
      all.push({ name: scenario.name, error: message });
      failures.push(`${scenario.name}: ${message.split('\n')[0]}`);
    }
  }
  const table = renderSuite(all);
  const path = join(o.outDir, 'suite.md');
  await writeFileAtomic(path, new TextEncoder().encode(table));
  const htmlPath = await writeSuiteReportHtml(o.outDir, table, all.filter((e) => 'results' in e).map((e) => e.name));
  return { table, path, htmlPath, failures };
}

/** The first line of `text`, inert inside a Markdown table cell. */
function tableCell(text: string): string {
  return markdownText(text.split('\n')[0]);
}

function pct(x: number | undefined): string {
  return x === undefined ? '–' : `${(x * 100).toFixed(1)}`;
}

/** A scenario of the suite: its results, or why it failed. */
export type SuiteEntry = { name: string; results: Results } | { name: string; error: string };

/** One row per arm of every scenario: final accuracies, and forgetting where measured. */
export function renderSuite(all: readonly SuiteEntry[]): string {
  const lines = [
    '| scenario | stream | method | arm | kNN top-1 | linear top-1 | Δ kNN vs joint | Δ linear vs joint | avg acc (chunks) | forgetting | BWT | train + hand-off s | wire MB |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const entry of all) {
    if ('error' in entry) {
      lines.push(`| ${tableCell(entry.name)} | failed: ${tableCell(entry.error)} | | | | | | | | | | | |`);
      continue;
    }
    const r = entry.results;
    if (hasSeeds(r)) {
      lines.push(...seedRows(r, tableCell));
      continue;
    }
    const joint = r.arms.find((a) => modeOf(a).reference && a.final !== null);
    for (const arm of r.arms) {
      if (arm.final === null) {
        lines.push(`| ${tableCell(r.scenario.name)} | ${r.scenario.stream.type} | ${r.scenario.ssl.method} | ${tableCell(arm.name)} | failed: ${tableCell(arm.error ?? '')} | | | | | | | | |`);
        continue;
      }
      const f = arm.forgetting?.linear;
      const delta = (metric: 'knnTop1' | 'linearTop1') => (joint?.final ? `${((arm.final![metric] - joint.final[metric]) * 100).toFixed(1)}` : '–');
      lines.push(
        `| ${tableCell(r.scenario.name)} | ${r.scenario.stream.type} | ${r.scenario.ssl.method} | ${tableCell(arm.name)} | ${pct(arm.final.knnTop1)} | ${pct(arm.final.linearTop1)} | ${delta('knnTop1')} | ${delta('linearTop1')} | ${pct(f?.averageAccuracy)} | ${pct(f?.averageForgetting)} | ${pct(f?.backwardTransfer)} | ${armCostCells(arm).join(' | ')} |`,
      );
    }
    lines.push(`| ${tableCell(r.scenario.name)} | ${r.scenario.stream.type} | – | random init | ${pct(r.randomInit.knnTop1)} | ${pct(r.randomInit.linearTop1)} | | | | | | | |`);
  }
  if (all.some((e) => 'results' in e && hasSeeds(e.results))) lines.push('', SEED_ROWS_NOTE);
  lines.push(
    '',
    'Accuracies in percent on the test split. Forgetting (mean over earlier chunks of the best earlier minus the final',
    "linear-probe accuracy on that chunk's test samples) and BWT (final minus just-learned accuracy) come from the",
    'stage x chunk accuracy matrix of relay arms; for the instance stream every chunk holds every class, so they measure',
    'the whole test split. train + hand-off s: seconds the arm\'s tasks trained and moved states, summed over its tasks',
    '(fedavg\'s parallel tasks add up); wire MB: states and replay both ways between coordinator and clients.',
  );
  const side = forgettingSideBySide(all);
  if (side.length > 0) lines.push('', ...side);
  return `${lines.join('\n')}\n`;
}

/**
 * Average forgetting of every relay arm, one row per stream and one column per method and
 * arm, so that self-supervised and supervised forgetting on the same stream sit side by side.
 */
export function forgettingSideBySide(all: readonly SuiteEntry[]): string[] {
  const cells = new Map<string, Map<string, string>>();
  const columns: string[] = [];
  for (const entry of all) {
    if ('error' in entry) continue;
    const { scenario, arms } = entry.results;
    const over = hasSeeds(entry.results) ? entry.results.statistics.arms : null;
    for (const arm of arms) {
      const f = arm.forgetting?.linear;
      if (!modeOf(arm).sequential || !f) continue;
      const column = `${scenario.ssl.method} ${arm.name}`;
      if (!columns.includes(column)) columns.push(column);
      const row = cells.get(scenario.stream.type) ?? new Map<string, string>();
      // Over seeds: mean ± half-width of the interval.
      const seeded = over?.find((a) => a.name === arm.name)?.metrics?.averageForgetting;
      row.set(column, seeded ? meanInterval(seeded) : pct(f.averageForgetting));
      cells.set(scenario.stream.type, row);
    }
  }
  if (columns.length === 0) return [];
  return [
    'Average forgetting (linear probe, percentage points) of each relay arm, by stream:',
    '',
    `| stream | ${columns.map(tableCell).join(' | ')} |`,
    `| --- |${columns.map(() => ' ---: |').join('')}`,
    ...[...cells].map(([stream, row]) => `| ${stream} | ${columns.map((c) => row.get(c) ?? '–').join(' | ')} |`),
  ];
}
