/**
 * Hand-off of a model state between two client processes through a real coordinator,
 * the path a relay stage's state takes: client A encodes its state and uploads it to the
 * coordinator; the coordinator uploads it to client B, which decodes it. The state travels
 * in the wire encoding asked for (`transfer`: float16, deflate; shared/wire/).
 *
 * Where the processes run is a parameter: the host the coordinator binds to, the URL the
 * clients dial, and how each client process is started (e.g. inside a network namespace,
 * `ip netns exec NAME node ...`), so that the same measurement runs across a real link.
 */
import { randomBytes } from 'node:crypto';
import { startCoordinator } from '../server/net/coordinator.js';
import { buildTrainTask } from '../server/schedule/build.js';
import type { TaskClient } from '../server/clients/pool.js';
import { STRUCTURE_ONLY_CHECK, type ResultCheck } from '../server/states/state-check.js';
import { encoderDecls, encoderOptions } from '../shared/model/encoder.js';
import { stateSizeBounds } from '../shared/state/state-size.js';
import { silentLogger } from '../shared/log.js';
import { DEFAULT_TRANSFER, transferLabel, type TransferSpec } from '../shared/wire/transfer-spec.js';
import { expectedWireBytes } from '../shared/wire/wire-encoding.js';
import { startChild, stopChild, RESULT_PREFIX, type Child } from './child.js';
import { benchScenario, IMAGE, type ModelConfig } from './configs.js';
import { READER_STATE_BYTES, returnsState } from './handoff-roles.js';
import type { HandoffResult, HandoffTimes } from './report-types.js';
import type { TrainTask } from '../shared/tasks.js';
import type { HandoffLine } from './handoff-client.js';
import { entryFile } from '../shared/code-location.js';

const CLIENT_ENTRY = entryFile('bench/handoff-client');

export interface HandoffOptions {
  config: string;
  model: ModelConfig;
  /** How long the clients may take to join (default 60 s). */
  joinTimeoutMs?: number;
  /** How the state travels (default float32, uncompressed). */
  transfer?: TransferSpec;
  /** Address the coordinator binds to (default 127.0.0.1). */
  host?: string;
  /** URL the clients dial, given the coordinator's own (default: that one). */
  clientUrl?: (coordinatorUrl: string) => string;
  /** Starts client process `index` (0: the sender, 1: the receiver); default `startChild`. */
  spawnClient?: (entry: string, args: string[], env: NodeJS.ProcessEnv, index: number) => Child;
}

function isHandoffLine(x: unknown, role: HandoffLine['role']): x is HandoffLine {
  const l = x as HandoffLine;
  return typeof l === 'object' && l !== null && l.role === role && [l.seconds, l.bytes, l.params].every((v) => typeof v === 'number');
}

async function expectLine(child: Child, role: HandoffLine['role']): Promise<HandoffLine> {
  const line = await child.line(RESULT_PREFIX);
  if (!isHandoffLine(line, role)) throw new Error(`hand-off client: expected a "${role}" line, got ${JSON.stringify(line)}`);
  return line;
}

interface Party {
  worker: TaskClient;
  child: Child;
}

/** The size of the state the hand-off carries: the online weights of `task`'s model. */
function onlineStateBytes(task: Pick<TrainTask, 'model' | 'ssl'>): number {
  const online = encoderDecls(encoderOptions(task.model, IMAGE.channels));
  return stateSizeBounds({ method: task.ssl.method, step: 0, methodState: { groups: { online }, variants: [['online']] }, optimizer: null, regularizer: null }).max;
}

/** What the coordinator tells joining clients of the states to come, as a run's does (server/schedule/state-bytes.ts). */
function readiedStateBytes(bytes: number, transfer: TransferSpec): { stateBytes?: number } {
  const expected = expectedWireBytes(bytes, transfer, 'state');
  return expected === undefined ? {} : { stateBytes: expected };
}

/**
 * The hand-off carries online weights only, a state of no whole model: checked for
 * structure, as sent, and bounded by what each task returns (./handoff-roles.ts), as a
 * run's states are by their model's: the coordinator readies the memory of a bounded
 * upload while the stage trains, and none for a task that answers with a state of no arrays.
 */
const ONLINE_WEIGHTS_CHECK: ResultCheck = {
  ...STRUCTURE_ONLY_CHECK,
  // A check sees no stage: the bench's tasks start at their stage's step (`task` below).
  maxStateBytes: (task) => (returnsState({ stage: task.optimizer.startStep }) ? onlineStateBytes(task) : READER_STATE_BYTES),
};

/** One hand-off's figures: what it moved, and its times. */
interface HandoffRound {
  /** The state handed on (as the coordinator received it). */
  state: Uint8Array;
  params: number;
  bytes: number;
  wireBytes: { up: number; down: number };
  times: HandoffTimes;
}

/**
 * One hand-off, sender -> coordinator -> receiver, as tasks `stage` and `stage + 1`. The
 * sender's task is handed `handed` first when given (a relay stage after the first, which
 * passes the state it was handed on: see handoff-client.ts); that arrival is not part of
 * the figure.
 */
async function handOff(sender: Party, receiver: Party, task: (stage: number) => TrainTask, stage: number, handed: Uint8Array | null): Promise<HandoffRound> {
  const received = handed ? expectLine(sender.child, 'decode') : null;
  const started = performance.now();
  const first = await sender.worker.runTask(task(stage), handed, null);
  // Its encode line follows its decode line, if any: asked for once that one is taken.
  const arrival = received ? (await received).seconds : 0;
  const encoded = expectLine(sender.child, 'encode');
  const decoded = expectLine(receiver.child, 'decode');
  const second = await receiver.worker.runTask(task(stage + 1), first.state, null);
  const enc = await encoded;
  // The sender's stage pause is a stage's training, and its state's arrival the hand-off before: neither is this one.
  const wallSeconds = (performance.now() - started) / 1000 - (enc.pausedSeconds ?? 0) - (first.handoffTimes?.sent ?? 0) - arrival;
  const dec = await decoded;
  if (enc.bytes !== first.state?.byteLength || dec.bytes !== enc.bytes) {
    throw new Error(`hand-off: ${enc.bytes} bytes encoded, ${first.state?.byteLength} received by the coordinator, ${dec.bytes} decoded`);
  }
  // Upload from A (first task's result) plus upload to B (second task's input); the
  // second task's own tiny result is part of its figure too, a few milliseconds at most.
  const sendSeconds = (first.handoffTimes?.received ?? first.handoffSeconds) + second.handoffSeconds;
  return {
    state: first.state!,
    params: enc.params,
    bytes: enc.bytes,
    wireBytes: { up: first.handoffBytes?.received ?? 0, down: second.handoffBytes?.sent ?? 0 },
    times: {
      seconds: enc.seconds + sendSeconds + dec.seconds,
      encodeSeconds: enc.seconds,
      sendSeconds,
      decodeSeconds: dec.seconds,
      wallSeconds,
      upSeconds: first.handoffTimes?.received ?? first.handoffSeconds,
      downSeconds: second.handoffSeconds,
    },
  };
}

/**
 * Measures a hand-off (A -> coordinator -> B) of the online-encoder weights of `model`
 * between fresh processes, then the next one between the same processes (`warm`).
 */
export async function measureHandoff(o: HandoffOptions): Promise<HandoffResult> {
  const token = randomBytes(16).toString('hex');
  const transfer = o.transfer ?? DEFAULT_TRANSFER;
  const scenario = { ...benchScenario(o.model), transfer };
  const arm = scenario.arms[0];
  const task = (stage: number) =>
    buildTrainTask({ scenario, arm, chunkSizes: [1] }, { stage, chunks: [0], steps: 1, startStep: stage, totalSteps: 4, replay: { mode: 'none' }, evaluate: false });
  const coordinator = await startCoordinator({ host: o.host ?? '127.0.0.1', port: 0, token, logger: silentLogger(), resultCheck: ONLINE_WEIGHTS_CHECK, ...readiedStateBytes(onlineStateBytes(task(0)), transfer) });
  const children: Child[] = [];
  const spawn = o.spawnClient ?? ((entry, args, env) => startChild(entry, args, env));
  const url = o.clientUrl?.(coordinator.url) ?? coordinator.url;
  try {
    ['bench-a', 'bench-b'].forEach((id, i) => children.push(spawn(CLIENT_ENTRY, ['--server', url, '--client-id', id], { STREAMSSL_TOKEN: token }, i)));
    const joined = coordinator.registry.waitForClients(2, o.joinTimeoutMs ?? 60_000);
    await Promise.race([joined, ...children.map((c) => c.exited.then(() => Promise.reject(new Error('a hand-off client exited before joining'))))]);
    const byId = new Map<string, Child>([
      ['bench-a', children[0]],
      ['bench-b', children[1]],
    ]);
    const workers: TaskClient[] = [await coordinator.registry.acquire(), await coordinator.registry.acquire()];
    const [sender, receiver] = workers.map((w) => ({ worker: w, child: byId.get(w.id)! }));
    if (!sender.child || !receiver.child) throw new Error(`unexpected hand-off client ids: ${workers.map((w) => w.id).join(', ')}`);

    // Two hand-offs between the same processes, as a relay's first two: A makes a state and
    // hands it to B (processes that never held a state: their memory for one readied when
    // they joined, as a run's clients' is, the rest of the receive path still fresh); then
    // B, handed that state again, passes it on to A, writing it into the memory of the one
    // it was handed, as a stage after the first does.
    const cold = await handOff(sender, receiver, task, 0, null);
    const warm = await handOff(receiver, sender, task, 2, cold.state);
    for (const w of workers) coordinator.registry.release(w);
    const { params, bytes, wireBytes, times } = cold;
    return { config: o.config, params, bytes, ...times, transfer: transferLabel(transfer), wireBytes, warm: warm.times };
  } finally {
    await coordinator.close();
    await Promise.all(children.map((c) => stopChild(c)));
  }
}
