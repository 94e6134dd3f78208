/**
 * The layout's import rules (.dependency-cruiser.cjs): no circles, shared/ neutral, a
 * coordinator without TensorFlow.js, benches and tests outside the product.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type IReporterOutput } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_FOLDERS = ['server', 'client', 'shared', 'cli', 'bench'];

describe('architecture', () => {
  it('every source folder keeps the import rules', async () => {
    const ruleSet = createRequire(import.meta.url)('../.dependency-cruiser.cjs');
    const cwd = process.cwd();
    process.chdir(root);
    let output: IReporterOutput;
    try {
      output = await cruise(SOURCE_FOLDERS, { ruleSet, validate: true, tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } }, undefined, {
        tsConfig: { fileName: 'tsconfig.json' },
      } as never);
    } finally {
      process.chdir(cwd);
    }
    const result = output.output as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string; cycle?: Array<{ name: string }> }>; totalCruised: number } };
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.cycle ? v.cycle.map((c) => c.name).join(' -> ') : v.to}`);
    expect(result.summary.totalCruised).toBeGreaterThan(150);
    expect(violations).toEqual([]);
  });
});
