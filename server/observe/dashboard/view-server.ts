/**
 * `streamssl view DIR`: the dashboard of a finished, failed or resumed run, offline, from
 * its `DIR/metrics.jsonl` (read into the same snapshot the live run kept), on a small
 * server of its own behind a viewer token of its own.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server } from 'socket.io';
import type { Logger } from '../../../shared/log.js';
import type { RunSnapshot } from '../../../shared/observe/snapshot.js';
import { AuthLimiter } from '../../net/auth-limiter.js';
import { attachRoutes } from '../../net/http-routes.js';
import { METRICS_FILE } from '../metrics-file.js';
import { readMetricsFile } from '../read-metrics.js';
import { createDashboard } from './dashboard.js';

export interface ViewServerOptions {
  runDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free one. */
  port?: number;
  /** Default: generated. */
  viewerToken?: string;
  logger: Logger;
}

export interface ViewServer {
  /** The page's URL, token included. */
  url: string;
  snapshot: RunSnapshot;
  /** Lines of metrics.jsonl that were skipped (damaged), with the first few reasons. */
  skipped: number;
  problems: string[];
  close(): Promise<void>;
}

export async function serveRunView(o: ViewServerOptions): Promise<ViewServer> {
  const path = join(o.runDir, METRICS_FILE);
  const read = await readMetricsFile(path);
  if (read.events === 0) throw new Error(`${path} holds no run event: nothing to show`);
  const host = o.host ?? '127.0.0.1';
  const viewerToken = o.viewerToken ?? randomBytes(24).toString('base64url');
  const http = createServer();
  const dashboard = createDashboard({ gate: { viewerToken, limiter: new AuthLimiter(), logger: o.logger }, source: { snapshotCopy: () => structuredClone(read.snapshot) }, host: '0.0.0.0' });
  attachRoutes(http, [dashboard.route], o.logger);
  const io = new Server(http, { serveClient: false, transports: ['websocket'] });
  dashboard.attach(io);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/?token=${encodeURIComponent(viewerToken)}`;
  return {
    url,
    snapshot: read.snapshot,
    skipped: read.skipped,
    problems: read.problems,
    async close() {
      dashboard.close();
      io.disconnectSockets(true);
      await io.close();
    },
  };
}
