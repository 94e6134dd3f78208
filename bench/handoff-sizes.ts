/**
 * Hand-off time against model size: the hand-off of bench/handoff.ts (client ->
 * coordinator -> client, real processes) for online encoders from tiny to the size of a
 * ResNet-50 (about 25.6M parameters; ResNet-18-style blocks at widths 96-192-384-768).
 */
import type { ModelConfig } from './configs.js';
import type { HandoffResult } from './report-types.js';
import { MODEL_CONFIGS } from './configs.js';
import { measureHandoff } from './handoff.js';
import type { HandoffSizeName } from './options.js';

/** Models whose state is handed off, smallest first; the batch size plays no part here. */
export const HANDOFF_SIZES: Record<HandoffSizeName, ModelConfig> = {
  tiny: MODEL_CONFIGS.tiny,
  small: MODEL_CONFIGS.small,
  resnet18: MODEL_CONFIGS.resnet18,
  'resnet50-size': { widths: [96, 192, 384, 768], batch: 32 },
};

/** One hand-off per model, one after the other (they must not share the CPU). */
export async function measureHandoffSizes(names: readonly HandoffSizeName[], log: (line: string) => void = () => undefined): Promise<HandoffResult[]> {
  const results: HandoffResult[] = [];
  for (const name of names) {
    log(`bench: hand-off of the ${name} online encoder ...`);
    const r = await measureHandoff({ config: name, model: HANDOFF_SIZES[name] });
    log(`bench:   ${(r.params / 1e6).toFixed(2)}M params, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(3)} s`);
    results.push(r);
  }
  return results;
}
