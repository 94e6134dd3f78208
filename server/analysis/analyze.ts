/**
 * `streamssl analyze <runDir>`: runs the analyses of a finished run on its saved
 * checkpoints (no retraining) and writes them into its results.json (`analysis`) and
 * report.md (tables and plots). `--set analysis.x=...` changes the analyses' settings
 * for this call only; the spec used is recorded beside the numbers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisResults } from '../../shared/analysis.js';
import type { Logger } from '../../shared/log.js';
import type { AnalysisArm, AnalysisOptions } from '../../shared/tasks.js';
import { applyOverrides, parseScenario, type BackendName, type Scenario } from '../../shared/scenario.js';
import { runAnalysisProcess } from './analysis-process.js';
import { CheckpointStore } from '../run/checkpoints.js';
import { modeOf } from '../schedule/index.js';
import { writeReportFiles } from '../report/report-files.js';
import { writeResults, type Results } from '../report/results.js';

export interface AnalyzeOptions {
  runDir: string;
  /** `analysis.key=value` overrides of the scenario's analysis section. */
  overrides?: readonly string[];
  backend?: BackendName;
  threads?: number;
  logger: Logger;
  /** Aborting it stops the analyses (their process is killed); the call then rejects. */
  signal?: AbortSignal;
}

export interface AnalyzeSummary {
  analysis: AnalysisResults;
  /** results.json as written, with `analysis`. */
  results: Results;
  report: string;
  resultsPath: string;
  reportPath: string;
}

/** Reads a run's results.json, checking it is one. */
export async function readRunResults(runDir: string): Promise<Results> {
  const path = join(runDir, 'results.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${runDir} is not a finished run: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const r = raw as Partial<Results>;
  if (typeof r !== 'object' || r === null || !r.scenario || !Array.isArray(r.arms)) throw new Error(`${path} is not a streamssl results file (no scenario or arms)`);
  return r as Results;
}

/** The run's scenario with `overrides` applied, validated (defaults fill an older file's missing `analysis`). */
export function analysisScenario(results: Results, overrides: readonly string[] = []): Scenario {
  for (const o of overrides) {
    if (!o.startsWith('analysis.')) throw new Error(`--set ${o}: analyze only changes analysis.* fields (the run itself is done)`);
  }
  return parseScenario(applyOverrides(results.scenario, overrides), 'results.json scenario');
}

/** The part of a scenario the analyses see (the client side is handed narrow options, never a scenario). */
export function analysisOptions(s: Scenario): AnalysisOptions {
  return { seed: s.seed, ...(s.splitSeed !== undefined ? { splitSeed: s.splitSeed } : {}), dataset: s.dataset, stream: s.stream, model: s.model, ssl: s.ssl, evaluation: s.evaluation, batchSize: s.training.batchSize, analysis: s.analysis };
}

/**
 * Analyzes a finished run in a separate analysis process (TensorFlow.js is loaded there,
 * never here), then writes the results into its results.json and report.md.
 */
export async function analyzeRunDir(o: AnalyzeOptions): Promise<AnalyzeSummary> {
  const results = await readRunResults(o.runDir);
  const scenario = analysisScenario(results, o.overrides);
  const checkpoints = new CheckpointStore(o.runDir);
  const { analysis } = await runAnalysisProcess({
    runDir: o.runDir,
    start: {
      options: analysisOptions(scenario),
      arms: analysisArms(results.arms),
      backend: o.backend ?? scenario.clients.backend,
      ...(o.threads === undefined ? {} : { threads: o.threads }),
    },
    readState: async (arm, stage) => (await checkpoints.read(arm, stage)).state,
    logger: o.logger,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const updated: Results = { ...results, analysis };
  const resultsPath = await writeResults(o.runDir, updated);
  const { report, reportPath } = await writeReportFiles(o.runDir, updated);
  o.logger.info({ seconds: Number(analysis.seconds.toFixed(1)), results: resultsPath, report: reportPath }, 'analysis finished');
  return { analysis, results: updated, report, resultsPath, reportPath };
}

/** The arms the analyses see: those with a final model (an arm that failed before its last stage has none), narrowed. */
export function analysisArms(arms: Results['arms']): AnalysisArm[] {
  return arms
    .filter((arm) => arm.final !== null && arm.stages.length > 0)
    .map((arm) => {
      const mode = modeOf(arm);
      return { name: arm.name, sequential: mode.sequential, reference: mode.reference, stages: arm.stages.map(({ stage }) => ({ stage })) };
    });
}
