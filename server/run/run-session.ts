/**
 * The session of a run: its coordinator and clients, launched (or awaited) as the run's
 * setup says, with every client that joins written to the run's journal.
 */
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import type { Scenario } from '../../shared/scenario.js';
import { openSession, spawnLauncher, type Session } from '../clients/session.js';
import type { RunEvents } from '../observe/bus.js';
import type { RunJournal } from './journal.js';
import type { ContinueRunOptions } from './run-options.js';

/** Opens the session of a run in `runDir` (of one seed, or of several sharing it); every client that joins goes to each of `journals`. */
export function openRunSession(
  scenario: Scenario,
  runDir: string,
  journals: readonly RunJournal[],
  o: Pick<ContinueRunOptions, 'setup' | 'launch' | 'listen' | 'connectTimeoutMs' | 'onProgress' | 'resultCheck'> & { events: RunEvents; logger: Logger },
): Promise<Session> {
  const { logger } = o;
  return openSession({
    scenario,
    setup: o.setup,
    launcher: o.launch === undefined ? (o.setup.remote ? null : spawnLauncher) : o.launch,
    logDir: join(runDir, 'logs'),
    listen: o.listen,
    events: o.events,
    logger,
    connectTimeoutMs: o.connectTimeoutMs,
    onProgress: o.onProgress,
    ...(o.resultCheck ? { resultCheck: o.resultCheck } : {}),
    onJoin: (c) => {
      const client = { id: c.id, hostname: c.hostname, pid: c.pid, ...(c.backend ? { backend: c.backend } : {}), ...(c.backendReason ? { backendReason: c.backendReason } : {}), ...(c.device ? { device: c.device } : {}), address: c.address };
      for (const journal of journals) void journal.recordClient(client).catch((err: unknown) => logger.error({ err }, 'could not journal a client'));
    },
  });
}
