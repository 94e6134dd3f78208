/** A scenario's training step on random views (bench/scenario-steps.ts), as `kernel-profile --scenario` runs it. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { scenarioSteps } from '../../bench/scenario-steps.js';
import { useWasm } from '../support/backend.js';
import { tinyRelayScenario } from '../support/scenario.js';

beforeAll(useWasm);

describe('scenario steps', () => {
  it.each([
    ['moco-v2', { name: 'synthetic', imageSize: 8 }, [8, 8, 8, 1]],
    ['simclr', { name: 'synthetic', imageSize: 12 }, [8, 12, 12, 1]],
    // The supervised baseline needs the class count: fashion-mnist's is known unloaded.
    ['supervised', { name: 'fashion-mnist' }, [8, 28, 28, 1]],
  ])('trains the %s step on views of the dataset\'s geometry and leaves no tensor behind', (method, dataset, shape) => {
    const before = tf.memory().numTensors;
    const steps = scenarioSteps(tinyRelayScenario({ dataset, ssl: { method }, training: { batchSize: 8 } }));
    expect(steps.shape).toEqual(shape);
    const ms = steps.run(2);
    expect(ms).toBeGreaterThan(0);
    expect(Number.isFinite(ms)).toBe(true);
    steps.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a dataset whose image size is known only once loaded, naming it', () => {
    const idx = tinyRelayScenario({ dataset: { name: 'idx', path: 'data/digits' } });
    expect(() => scenarioSteps(idx)).toThrow(/dataset idx: its image size is only known once loaded/);
  });
});
