import { describe, expect, it } from 'vitest';
import { parseScenario, SSL_METHOD_NAMES } from '../../shared/scenario.js';
import { scenarioProblems } from '../support/scenario.js';

const minimal = { name: 'tiny', dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks: 2 }, arms: [{ name: 'relay', mode: 'relay' }] };

const problems = (ssl: unknown) => scenarioProblems({ ...minimal, ssl });

describe('ssl options, one schema per method', () => {
  it('gives each method its own options and the common ones, with defaults', () => {
    const common = { bnGroups: 4, augment: { cropScale: [0.2, 1], flip: true, jitter: 0.4, jitterProbability: 0.8, blurProbability: 0.5 } };
    const spec = (method: string) => parseScenario({ ...minimal, ssl: { method } }).ssl;
    expect(spec('moco-v2')).toEqual({ method: 'moco-v2', temperature: 0.2, queueSize: 4096, momentum: 0.99, ...common });
    expect(spec('simclr')).toEqual({ method: 'simclr', temperature: 0.2, ...common });
    expect(spec('byol')).toEqual({ method: 'byol', momentum: 0.99, predictorHidden: 512, ...common });
    expect(spec('simsiam')).toEqual({ method: 'simsiam', predictorHidden: 512, ...common });
    expect(spec('barlow-twins')).toEqual({ method: 'barlow-twins', lambda: 0.0051, ...common });
    expect(spec('supervised')).toEqual({ method: 'supervised', ...common });
  });

  it('defaults to moco-v2, with or without other fields', () => {
    expect(parseScenario(minimal).ssl.method).toBe('moco-v2');
    expect(parseScenario({ ...minimal, ssl: { queueSize: 64 } }).ssl).toMatchObject({ method: 'moco-v2', queueSize: 64 });
  });

  it("drops another method's options, so a scenario switches method without editing the rest", () => {
    for (const method of SSL_METHOD_NAMES) {
      const ssl = parseScenario({ ...minimal, ssl: { method, temperature: 0.1, queueSize: 32, predictorHidden: 8, lambda: 0.1, bnGroups: 2 } }).ssl;
      expect(ssl.method).toBe(method);
      expect(ssl.bnGroups).toBe(2);
    }
    expect(parseScenario({ ...minimal, ssl: { method: 'simclr', queueSize: 32 } }).ssl).not.toHaveProperty('queueSize');
  });

  it('refuses a field no method declares, an unknown method and a bad value, with their paths', () => {
    expect(problems({ method: 'byol', queueSise: 3 })).toEqual(['ssl.queueSise: unknown field (a typo?)']);
    expect(problems({ method: 'swav' })[0]).toMatch(/^ssl\.method: /);
    expect(problems({ method: 'barlow-twins', lambda: 20 })[0]).toMatch(/^ssl\.lambda: /);
  });
});
