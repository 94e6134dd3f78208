/**
 * Child process of `streamssl bench` for the hand-off figure: a real client
 * (client/connection.ts) whose engine trains nothing. Given no state, it makes one, the
 * online-encoder weights of the task's model as a named Float32Array map, waits as a
 * stage would train (`STAGE_PAUSE_MS`), and encodes it with encodeState; given a state,
 * it decodes it with decodeState, and in a task that passes the state on
 * (`passesOn`) it copies the arrays out (as training loads them into the model), waits,
 * and encodes the next state into the memory of the one it was handed (a state made from
 * nothing: into the memory lent for it), as the training engine does. Each prints its
 * timing as a result line (`RESULT_PREFIX` + JSON) on stdout.
 *
 *   STREAMSSL_TOKEN=T node --import tsx bench/handoff-client.ts --server URL --client-id ID
 */
import { parseArgs } from 'node:util';
import { startClient } from '../client/connection.js';
import { resultMemory, type Engine, type StreamSummary, type TrainInputs, type TrainOutcome } from '../client/engine/types.js';
import { encoderDecls, encoderOptions } from '../client/models/encoder.js';
import { silentLogger } from '../shared/log.js';
import type { ParamArrays } from '../shared/state/arrays.js';
import { decodeState, encodeState, type ModelState } from '../shared/state/model-state.js';
import type { EvalMetrics, TrainTask } from '../shared/tasks.js';
import { RESULT_PREFIX } from './child.js';
import { passesOn } from './handoff-roles.js';
import { IMAGE } from './configs.js';

/**
 * How long the sender "trains" before its state leaves. A real stage trains for seconds;
 * the coordinator readies the memory of the state to come meanwhile
 * (server/net/remote-client.ts), which an instant hand-off would not let it do.
 */
const STAGE_PAUSE_MS = 500;

/** What a hand-off client reports for each task. */
export interface HandoffLine {
  role: 'encode' | 'decode';
  seconds: number;
  bytes: number;
  params: number;
  /** The sender's stage before it encoded, its pause and what it did (not part of the hand-off). */
  pausedSeconds?: number;
}

function report(line: HandoffLine): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(line)}\n`);
}

/** Weights with the model's names and shapes; the values are arbitrary but not constant. */
function onlineWeights(task: TrainTask): { arrays: ParamArrays; params: number } {
  const arrays: ParamArrays = {};
  let params = 0;
  let x = 0x9e3779b9;
  for (const decl of encoderDecls(encoderOptions(task.model, IMAGE.channels))) {
    const values = new Float32Array(decl.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      values[i] = (x | 0) / 2 ** 33;
    }
    arrays[decl.name] = { shape: decl.shape, values };
    params += values.length;
  }
  return { arrays, params };
}

/**
 * Encodes `model` after a stage's pause, into `into` when given, and reports the encoding;
 * `stageStarted`: when the stage's own work began (what is neither the hand-off before nor this one).
 */
async function encodeAfterStage(model: ModelState, params: number, stageStarted: number, into?: Uint8Array): Promise<Uint8Array> {
  await new Promise((resolve) => setTimeout(resolve, STAGE_PAUSE_MS));
  const start = performance.now();
  const bytes = encodeState(model, into ? { into } : {});
  report({ role: 'encode', seconds: (performance.now() - start) / 1000, bytes: bytes.byteLength, params, pausedSeconds: (start - stageStarted) / 1000 });
  return bytes;
}

class HandoffEngine implements Engine {
  async train(task: TrainTask, state: Uint8Array | null, _replay: Uint8Array | null, _onProgress: unknown, inputs: TrainInputs = {}): Promise<TrainOutcome> {
    let bytes: Uint8Array;
    if (state === null) {
      const stageStarted = performance.now();
      const { arrays, params } = onlineWeights(task);
      // Into the memory the task runner lends for it (readied for the next state), as the training engine does.
      bytes = await encodeAfterStage({ method: task.ssl.method, step: 0, methodState: { online: arrays }, optimizer: null }, params, stageStarted, resultMemory(null, inputs).into);
    } else {
      const start = performance.now();
      // In place, as the training engine decodes a state it is handed (client/engine/index.ts).
      const decoded = decodeState(state, { inPlace: true });
      const seconds = (performance.now() - start) / 1000;
      const params = Object.values(decoded.methodState.online ?? {}).reduce((n, a) => n + a.values.length, 0);
      report({ role: 'decode', seconds, bytes: state.byteLength, params });
      if (passesOn(task)) {
        // The copy out of the handed state, as training loads it into the model, is the stage's work.
        const stageStarted = performance.now();
        const online: ParamArrays = {};
        for (const [name, a] of Object.entries(decoded.methodState.online ?? {})) online[name] = { shape: a.shape, values: a.values.slice() };
        bytes = await encodeAfterStage({ method: decoded.method, step: decoded.step + 1, methodState: { online }, optimizer: null }, params, stageStarted, resultMemory(state, inputs).into);
      } else {
        // A train task must answer with a state; a tiny one keeps the return trip out of the figure.
        bytes = encodeState({ method: decoded.method, step: decoded.step + 1, methodState: {}, optimizer: null });
      }
    }
    return {
      state: bytes,
      replay: null,
      metrics: { steps: task.steps, lossFirst: 0, lossLast: 0, trainSeconds: 0, imagesPerSecond: 0, samples: 0, replaySamplesUsed: 0, dataWaitSeconds: 0 },
    };
  }

  async describeStream(): Promise<StreamSummary> {
    throw new Error('the hand-off bench client only runs train tasks');
  }

  async evaluate(): Promise<EvalMetrics> {
    throw new Error('the hand-off bench client only runs train tasks');
  }
}

const { values } = parseArgs({ options: { server: { type: 'string' }, 'client-id': { type: 'string' } } });
const token = process.env.STREAMSSL_TOKEN;
if (!values.server || !token) {
  process.stderr.write('handoff client: --server and STREAMSSL_TOKEN are required\n');
  process.exit(2);
}
const handle = await startClient({ url: values.server, token, engine: new HandoffEngine(), clientId: values['client-id'], backend: 'none', logger: silentLogger() });
process.once('SIGTERM', () => void handle.close());
await handle.done;
process.exit(0);
