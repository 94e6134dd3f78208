/**
 * A network cut (the client's socket stays open but goes silent) is detected within the
 * heartbeat bound, and the stage that client was running goes to another client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { silentLogger } from '../../shared/log.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { runWithRetries } from '../../server/run/retry.js';
import { planArm } from '../../server/schedule/index.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.js';
import { FakeEngine } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { waitUntil } from '../support/wait.js';

const scenario = tinyScenario();
const [stage0] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
const HEARTBEAT_MS = 2000;

describe('heartbeat', () => {
  let coordinator: Coordinator | undefined;
  let proxy: CuttableProxy | undefined;
  const clients: ClientHandle[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await proxy?.close();
    await coordinator?.close();
  });

  it(`notices a silent client within heartbeatSeconds and retries its stage elsewhere`, async () => {
    let cutAt = 0;
    coordinator = await startTestCoordinator({
      heartbeatTimeoutMs: HEARTBEAT_MS,
      onProgress: (clientId) => {
        if (clientId !== 'behind-cut' || cutAt) return;
        cutAt = Date.now();
        proxy!.cut();
      },
    });
    proxy = await startCuttableProxy(coordinator.port);
    const engine = (trainDelayMs: number) => new FakeEngine({ stateBytes: 1000, trainDelayMs });
    // Joins first, so it is the longest idle client and gets the stage.
    clients.push(await startClient({ url: proxy.url, token: TEST_TOKEN, engine: engine(10_000), clientId: 'behind-cut', logger: silentLogger(), reconnectionAttempts: 1 }));
    clients.push(await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: engine(0), clientId: 'direct', logger: silentLogger() }));
    await waitUntil(() => coordinator!.registry.size === 2, 'both clients joined');

    const outcome = await runWithRetries(coordinator.registry, stage0, null, null, { retries: 1 });
    const detectedAfterMs = Date.now() - cutAt;
    expect(cutAt).toBeGreaterThan(0);
    expect(outcome.clientId).toBe('direct');
    expect(outcome.metrics.steps).toBe(stage0.steps);
    // Silence, not a closed socket: it takes the heartbeat's ping timeout (3/4 of it here) to notice.
    expect(detectedAfterMs).toBeGreaterThan(HEARTBEAT_MS * 0.7);
    expect(detectedAfterMs).toBeLessThan(HEARTBEAT_MS + 1500);
    expect(coordinator.registry.list().map((c) => c.id)).toEqual(['direct']);
  });
});
