/**
 * The coordinator under attack, in a process of its own so that its memory and
 * descriptors are measured apart from the attacker's: it listens on 127.0.0.1 with the
 * default limits and answers `stats <n>` on stdin with `STATS<n> {json}` on stdout.
 */
import { createInterface } from 'node:readline';
import { silentLogger } from '../../shared/log.js';
import { startCoordinator } from '../../server/net/coordinator.js';

const token = process.argv[2];
const coordinator = await startCoordinator({ host: '127.0.0.1', port: 0, token, logger: silentLogger() });
process.stdout.write(`URL ${coordinator.url}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, n] = line.split(' ');
  if (command === 'stats') {
    const stats = { rssMB: process.memoryUsage().rss / 2 ** 20, clients: coordinator.registry.size, ...coordinator.connectionCounts() };
    process.stdout.write(`STATS${n} ${JSON.stringify(stats)}\n`);
  }
  if (command === 'exit') void coordinator.close().then(() => process.exit(0));
});
