/**
 * A client process with a fake engine, for tests of spawned clients:
 * `node --import tsx test/support/fake-client-main.ts --server URL --backend B --client-id ID [--reconnect-seconds S]`
 * (the token from STREAMSSL_TOKEN, as `streamssl client` takes it).
 * From the environment: `STREAMSSL_FAKE_TRAIN_DELAY_MS` makes each train task last that
 * long; `STREAMSSL_FAKE_DIE_ON=<taskId>` makes the process kill itself (SIGKILL) whenever
 * it starts that task, as a crash mid-stage would; `STREAMSSL_FAKE_FITTING=1` returns
 * states that fit the task's model, for a coordinator that checks them (the CLI's).
 */
import { parseArgs } from 'node:util';
import { runClientProcess } from '../../client/main.js';
import type { BackendName } from '../../shared/scenario.js';
import { FakeEngine } from './fake-engine.js';

const { values } = parseArgs({ options: { server: { type: 'string' }, backend: { type: 'string' }, 'client-id': { type: 'string' }, 'reconnect-seconds': { type: 'string' } } });
const dieOn = process.env.STREAMSSL_FAKE_DIE_ON;
const code = await runClientProcess({ server: values.server!, backend: (values.backend ?? 'auto') as BackendName, clientId: values['client-id'], ...(values['reconnect-seconds'] ? { reconnectSeconds: Number(values['reconnect-seconds']) } : {}) }, async () => {
  return new FakeEngine({
    stateBytes: 2_000_000,
    trainDelayMs: Number(process.env.STREAMSSL_FAKE_TRAIN_DELAY_MS ?? 0),
    fittingStates: process.env.STREAMSSL_FAKE_FITTING === '1',
    onTrain: (task) => {
      if (task.taskId === dieOn) process.kill(process.pid, 'SIGKILL');
    },
  });
});
process.exit(code);
