/** A `ClientLauncher` that starts clients in this process, each with its own fake engine. */
import { startClient, type ClientHandle } from '../../client/connection.js';
import { silentLogger } from '../../shared/log.js';
import type { ClientLauncher } from '../../server/run/run.js';
import { FakeEngine, type FakeEngineOptions } from './fake-engine.js';

export interface InProcessClients {
  launcher: ClientLauncher;
  engines: FakeEngine[];
  handles: ClientHandle[];
}

/** Clients named `fake-<i>`, each driving a `FakeEngine` (or what `makeEngine` builds) with `options`. */
export function inProcessClients(options: FakeEngineOptions = {}, makeEngine: (o: FakeEngineOptions) => FakeEngine = (o) => new FakeEngine(o)): InProcessClients {
  const engines: FakeEngine[] = [];
  const handles: ClientHandle[] = [];
  const launcher: ClientLauncher = async ({ url, token, count, holdings }) => {
    for (let i = 0; i < count; i++) {
      const engine = makeEngine(options);
      engines.push(engine);
      const chunks = holdings?.[i];
      handles.push(await startClient({ url, token, engine, clientId: `fake-${i}`, backend: 'cpu', ...(chunks ? { chunks } : {}), logger: silentLogger() }));
    }
    return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
  };
  return { launcher, engines, handles };
}
