/** The suite table's rows of a scenario run over several seeds: means ± interval half-widths. */
import type { Results } from '../results.js';
import { armCostCells } from '../arm-totals.js';
import { differenceInterval, meanInterval, NOT_SIGNIFICANT } from './seed-format.js';
import type { SeedFields } from './seed-results.js';

/** Whether `results` come from a run over several seeds. */
export function hasSeeds(results: Results): results is Results & SeedFields {
  return 'statistics' in results && (results as Partial<SeedFields>).statistics !== undefined;
}

/** What the rows of a multi-seed scenario show, said once below the table. */
export const SEED_ROWS_NOTE =
  `Scenarios run over several seeds (arm "(n seeds)"): mean ± half-width of the 95% Student-t interval; Δ kNN vs joint is the paired difference on the same seeds, ${NOT_SIGNIFICANT} when its interval contains 0.`;

/** One row per arm and one for the floor, in the suite table's columns; `cell` makes text inert. */
export function seedRows(r: Results & SeedFields, cell: (text: string) => string): string[] {
  const head = `| ${cell(r.scenario.name)} | ${r.scenario.stream.type}`;
  const st = r.statistics;
  const rows = st.arms.map((arm) => {
    const name = `${cell(arm.name)} (${arm.seeds.length} seeds)`;
    if (!arm.metrics) return `${head} | ${r.scenario.ssl.method} | ${name} | failed on every seed | | | | | | | | |`;
    const m = arm.metrics;
    const delta = (metric: 'knnTop1' | 'linearTop1') => (arm.name === st.reference ? '0.0' : differenceInterval(arm.vsReference?.[metric]));
    // Costs barely move between seeds: the first seed's (the top-level arms) stand for them.
    const first = r.arms.find((a) => a.name === arm.name);
    const cost = first ? armCostCells(first) : ['', ''];
    return `${head} | ${r.scenario.ssl.method} | ${name} | ${meanInterval(m.knnTop1)} | ${meanInterval(m.linearTop1)} | ${delta('knnTop1')} | ${delta('linearTop1')} | ${meanInterval(m.averageAccuracy)} | ${meanInterval(m.averageForgetting)} | ${meanInterval(m.backwardTransfer)} | ${cost.join(' | ')} |`;
  });
  return [...rows, `${head} | – | random init (${st.seeds.length} seeds) | ${meanInterval(st.randomInit.knnTop1)} | ${meanInterval(st.randomInit.linearTop1)} | | | | | | | |`];
}
