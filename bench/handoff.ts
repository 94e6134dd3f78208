/**
 * Hand-off of a model state between two client processes through a real coordinator,
 * the path a relay stage's state takes: client A encodes its state and uploads it to the
 * coordinator; the coordinator uploads it to client B, which decodes it.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startCoordinator } from '../server/net/coordinator.js';
import { buildTrainTask } from '../server/schedule/build.js';
import type { TaskClient } from '../server/clients/pool.js';
import { STRUCTURE_ONLY_CHECK } from '../server/states/state-check.js';
import { silentLogger } from '../shared/log.js';
import { startChild, stopChild, RESULT_PREFIX, type Child } from './child.js';
import { benchScenario, type ModelConfig } from './configs.js';
import type { HandoffResult } from './report-types.js';
import type { HandoffLine } from './handoff-client.js';

const CLIENT_ENTRY = fileURLToPath(new URL('./handoff-client.ts', import.meta.url));

export interface HandoffOptions {
  config: string;
  model: ModelConfig;
  /** How long the clients may take to join (default 60 s). */
  joinTimeoutMs?: number;
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

/** Measures one hand-off (A -> coordinator -> B) of the online-encoder weights of `model`. */
export async function measureHandoff(o: HandoffOptions): Promise<HandoffResult> {
  const token = randomBytes(16).toString('hex');
  // The hand-off carries online weights only, a state of no whole model: checked for structure, as sent.
  const coordinator = await startCoordinator({ host: '127.0.0.1', port: 0, token, logger: silentLogger(), resultCheck: STRUCTURE_ONLY_CHECK });
  const children: Child[] = [];
  try {
    for (const id of ['bench-a', 'bench-b']) children.push(startChild(CLIENT_ENTRY, ['--server', coordinator.url, '--client-id', id], { STREAMSSL_TOKEN: token }));
    const joined = coordinator.registry.waitForClients(2, o.joinTimeoutMs ?? 60_000);
    await Promise.race([joined, ...children.map((c) => c.exited.then(() => Promise.reject(new Error('a hand-off client exited before joining'))))]);
    const byId = new Map<string, Child>([
      ['bench-a', children[0]],
      ['bench-b', children[1]],
    ]);
    const workers: TaskClient[] = [await coordinator.registry.acquire(), await coordinator.registry.acquire()];
    const [sender, receiver] = workers.map((w) => ({ worker: w, child: byId.get(w.id)! }));
    if (!sender.child || !receiver.child) throw new Error(`unexpected hand-off client ids: ${workers.map((w) => w.id).join(', ')}`);

    const scenario = benchScenario(o.model);
    const arm = scenario.arms[0];
    const task = (stage: number) =>
      buildTrainTask({ scenario, arm, chunkSizes: [1] }, { stage, chunks: [0], steps: 1, startStep: stage, totalSteps: 2, replay: { mode: 'none' }, evaluate: false });

    const encoded = expectLine(sender.child, 'encode');
    const first = await sender.worker.runTask(task(0), null, null);
    const decoded = expectLine(receiver.child, 'decode');
    const second = await receiver.worker.runTask(task(1), first.state, null);
    const enc = await encoded;
    const dec = await decoded;
    if (enc.bytes !== first.state?.byteLength || dec.bytes !== enc.bytes) {
      throw new Error(`hand-off: ${enc.bytes} bytes encoded, ${first.state?.byteLength} received by the coordinator, ${dec.bytes} decoded`);
    }
    // Upload from A (first task's result) plus upload to B (second task's input); the
    // second task's own tiny result is part of its figure too, a few milliseconds at most.
    const sendSeconds = first.handoffSeconds + second.handoffSeconds;
    for (const w of workers) coordinator.registry.release(w);
    return {
      config: o.config,
      params: enc.params,
      bytes: enc.bytes,
      seconds: enc.seconds + sendSeconds + dec.seconds,
      encodeSeconds: enc.seconds,
      sendSeconds,
      decodeSeconds: dec.seconds,
    };
  } finally {
    await coordinator.close();
    await Promise.all(children.map((c) => stopChild(c)));
  }
}
