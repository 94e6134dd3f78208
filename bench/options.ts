/**
 * The `streamssl bench` command's options as commander parses them (cli/main.ts), and
 * their value parsers. Light on purpose: the CLI imports it at start-up.
 */
import { InvalidArgumentError } from 'commander';
import { intAtLeast } from '../cli/options.js';
import type { BackendName, BatchNormKernel, ConvAlgorithm } from '../shared/scenario.js';
import { parseTransferLabel, WIRE_COMPRESSIONS, WIRE_ENCODINGS, type TransferSpec } from '../shared/wire/transfer-spec.js';

export const BENCH_CONFIG_CHOICES = ['tiny', 'small', 'resnet18', 'all'] as const;
export const HANDOFF_CHOICES = ['tiny', 'small', 'resnet18', 'none'] as const;
/** Models of the hand-off-against-size figure, smallest first (bench/handoff-sizes.ts). */
export const HANDOFF_SIZE_NAMES = ['tiny', 'small', 'resnet18', 'resnet50-size'] as const;
export type HandoffSizeName = (typeof HANDOFF_SIZE_NAMES)[number];

export interface BenchCliOptions {
  json?: boolean;
  quick?: boolean;
  config: (typeof BENCH_CONFIG_CHOICES)[number];
  threads: number[];
  backend: BackendName;
  steps?: number;
  seconds: number;
  evalSeconds: number;
  dataWorkers?: number;
  batchNorm: BatchNormKernel;
  convolutions: ConvAlgorithm;
  rounds: number;
  interleave: number;
  sliceSeconds: number;
  interleaveEnv: Record<string, string>;
  torch: 'auto' | 'none';
  copies: 'auto' | 'none';
  handoff: (typeof HANDOFF_CHOICES)[number];
  handoffSizes: string[];
  handoffEncodings: TransferSpec[];
  handoffLink: string[];
  overheadClients: number[];
  startup: number[];
}

/** `parse(value)` for scripts parsed with node:util's parseArgs: a refusal names `flag` (commander does that for the CLI). */
export function flagValue<T>(flag: string, parse: (value: string) => T, value: string | undefined): T {
  try {
    return parse(value ?? '');
  } catch (err) {
    throw new Error(`${flag}: ${(err as Error).message}`, { cause: err });
  }
}

export const parseCount = intAtLeast(1);
export const parseNonNegative = intAtLeast(0);

/** Like {@link parseSeconds}, 0 allowed (0: skip what it budgets). */
export function parseSecondsOrZero(value: string): number {
  return value.trim() === '0' ? 0 : parseSeconds(value);
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of seconds, got "${value}"`);
  return n;
}

/** `tiny,resnet50-size` -> the names, each one of `choices`; `none` -> []. */
export function nameList(choices: readonly string[]): (value: string) => string[] {
  return (value) => {
    if (value.trim() === 'none') return [];
    const names = [...new Set(value.split(',').map((v) => v.trim()))];
    const bad = names.find((n) => !choices.includes(n));
    if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not one of ${choices.join(', ')} (or none)`);
    return names;
  };
}

/** `float32,float16+deflate` -> the transfer specs they name (duplicates dropped, order kept). */
export function parseTransferList(value: string): TransferSpec[] {
  const labels = [...new Set(value.split(',').map((v) => v.trim()))];
  return labels.map((label) => {
    const spec = parseTransferLabel(label);
    if (!spec) throw new InvalidArgumentError(`"${label}" is not an encoding: expected ${WIRE_ENCODINGS.join(' or ')}, optionally +${WIRE_COMPRESSIONS.filter((c) => c !== 'none').join(' or +')}`);
    return spec;
  });
}

/**
 * Commander's collector of repeated `NAME=VALUE` options into one environment: a later
 * NAME replaces an earlier one. The value may hold anything, `=` and `,` included.
 */
export function collectEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  const name = at < 0 ? value : value.slice(0, at);
  if (at < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidArgumentError(`expected NAME=VALUE with NAME a variable name, got "${value}"`);
  return { ...previous, [name]: value.slice(at + 1) };
}

/** `1gbit,20mbit` -> the rates, each as tc writes it (see bench/hosts/link-rate.ts). */
export function parseLinkRates(value: string): string[] {
  const rates = [...new Set(value.split(',').map((v) => v.trim().toLowerCase()))];
  for (const rate of rates) {
    if (!/^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/.test(rate) || Number.parseFloat(rate) <= 0) throw new InvalidArgumentError(`"${rate}" is not a link rate: expected e.g. 1gbit, 100mbit, 20mbit`);
  }
  return rates;
}

/** `4,16,64` -> [4, 16, 64]; `none` -> []. */
export function countListOrNone(value: string): number[] {
  return value.trim() === 'none' ? [] : parseThreadList(value);
}

/** `1,2` -> [1, 2] (duplicates dropped, order kept). */
export function parseThreadList(value: string): number[] {
  return [...new Set(value.split(',').map((v) => parseCount(v)))];
}
