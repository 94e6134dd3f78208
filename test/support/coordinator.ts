/** A coordinator on a free loopback port with a known token, for tests. */
import { silentLogger } from '../../shared/log.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions } from '../../server/net/coordinator.js';

export const TEST_TOKEN = 'test-token-0123456789';

/** Starts a coordinator on 127.0.0.1, port 0, token `TEST_TOKEN` (options override). */
export function startTestCoordinator(options: Partial<CoordinatorOptions> = {}): Promise<Coordinator> {
  return startCoordinator({ host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: silentLogger(), ...options });
}
