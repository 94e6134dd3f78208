/**
 * A client process with a fake engine, for tests of spawned clients:
 * `node --import tsx test/support/fake-client-main.ts --server URL --backend B --client-id ID`.
 * `FAKE_TRAIN_DELAY_MS` in the environment makes each train task take that long.
 */
import { parseArgs } from 'node:util';
import { runClientProcess } from '../../client/main.js';
import type { BackendName } from '../../shared/scenario.js';
import { FakeEngine } from './fake-engine.js';

const { values } = parseArgs({ options: { server: { type: 'string' }, backend: { type: 'string' }, 'client-id': { type: 'string' } } });
const code = await runClientProcess(
  { server: values.server!, backend: (values.backend ?? 'auto') as BackendName, clientId: values['client-id'] },
  async () => new FakeEngine({ stateBytes: 2_000_000, trainDelayMs: Number(process.env.FAKE_TRAIN_DELAY_MS ?? 0) }),
);
process.exit(code);
