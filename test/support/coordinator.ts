/** A coordinator on a free loopback port with a known token, for tests. */
import { silentLogger } from '../../shared/log.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions } from '../../server/net/coordinator.js';
import { FAKE_RESULT_CHECK } from './fake-engine.js';

export const TEST_TOKEN = 'test-token-0123456789';

/**
 * Starts a coordinator on 127.0.0.1, port 0, token `TEST_TOKEN` (options override). Results
 * are checked as fake engines' are (FAKE_RESULT_CHECK): a test with real engines passes
 * `resultCheck: MANIFEST_CHECK`.
 */
export function startTestCoordinator(options: Partial<CoordinatorOptions> = {}): Promise<Coordinator> {
  return startCoordinator({ host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK, ...options });
}
