/**
 * MoCo-v2 step throughput on wasm with and without the oneDNN kernels, measured
 * as `streamssl bench` does (bench/moco-measure.ts), until client/backend.ts
 * registers them itself. The variants alternate in one process, round after
 * round, so a busy shared CPU slows them alike; medians are reported.
 *
 *   npx tsx bench/native-moco.ts [--variants wasm,conv,all,fused-bn,winograd] [--rounds 2] [--seconds 8] [--threads 1] [--config small]
 *
 * wasm: XNNPack + client/kernels/wasm-conv-grads.ts; conv: + oneDNN convolutions;
 * all: + the addon's BatchMatMul / Sum / Mean / broadcast and element-wise ops;
 * fused-bn: all + the fused training batch norm (`model.batchNorm: "fused"`);
 * winograd: fused-bn + winograd convolutions where faster (`model.convolutions: "winograd"`).
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../client/backend.js';
import { registerNativeConvKernels, registerNativeKernels, unregisterNativeKernels } from '../client/kernels/native/register.js';
import { useConvolutions } from '../client/engine/convolutions.js';
import { MODEL_CONFIGS, type ConfigName } from './configs.js';
import { lowerMedian } from './lower-median.js';
import { measureMoco } from './moco-measure.js';

type Variant = 'wasm' | 'conv' | 'all' | 'fused-bn' | 'winograd';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      variants: { type: 'string', default: 'wasm,conv,all' },
      rounds: { type: 'string', default: '2' },
      threads: { type: 'string', default: '1' },
      config: { type: 'string', default: 'small' },
      seconds: { type: 'string', default: '8' },
    },
  });
  const threads = Number(values.threads);
  const { widths, batch } = MODEL_CONFIGS[values.config as ConfigName];
  const choice = await selectBackend('wasm', { threads });
  const variants = values.variants!.split(',') as Variant[];
  const imgPerSec: Record<string, number[]> = {};
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const v of variants) {
      unregisterNativeKernels();
      const fusedBn = v === 'fused-bn' || v === 'winograd';
      useConvolutions(v === 'winograd' ? 'winograd' : 'direct');
      const reg = v === 'all' || fusedBn ? registerNativeKernels({ threads: choice.threads })
        : v === 'conv' ? registerNativeConvKernels({ threads: choice.threads }) : { ok: true as const };
      if (!reg.ok) throw new Error(reg.reason);
      const m = await measureMoco({ widths: [...widths], batch, warmupSteps: 2, steps: null, seconds: Number(values.seconds), breakdownSteps: 0, batchNorm: fusedBn ? 'fused' : 'composed' });
      if (m.leakedTensors !== 0) throw new Error(`${v}: ${m.leakedTensors} tensors leaked`);
      (imgPerSec[v] ??= []).push(m.imgPerSec);
      console.error(`round ${round} ${v}: ${m.imgPerSec.toFixed(1)} img/s (${m.steps} steps, loss ${m.loss.first.toFixed(3)} -> ${m.loss.last.toFixed(3)})`);
    }
  }
  console.log(JSON.stringify({ config: values.config, threads, wasmThreads: choice.threads,
    imgPerSec: Object.fromEntries(Object.entries(imgPerSec).map(([k, xs]) => [k, { median: lowerMedian(xs), runs: xs }])) }));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
