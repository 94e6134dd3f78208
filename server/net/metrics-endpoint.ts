/**
 * `GET /metrics` on the coordinator's HTTP server, for Prometheus, behind the run's viewer
 * token (`Authorization: Bearer <viewer token>`, or `?token=` for a browser). The viewer
 * token is never the clients' token: a client token does not open it, and the viewer
 * token does not admit a client (coordinator.ts refuses them equal). Failed tokens count
 * against the address in the same `AuthLimiter` as clients' handshakes, so the two cannot
 * be guessed at twice the rate. Anything else on this server but socket.io answers 404.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../shared/log.js';
import type { RunMetrics } from '../observe/prometheus.js';
import type { AuthLimiter } from './auth-limiter.js';
import { tokenMatches } from './auth.js';

export interface MetricsEndpointOptions {
  viewerToken: string;
  metrics: RunMetrics;
  limiter: AuthLimiter;
  logger: Logger;
  /** Told of a connection that presented the viewer token (it is no longer an unauthenticated one). */
  onAdmitted: (socket: Socket) => void;
}

/**
 * Serves `/metrics` on `http`. Call before socket.io attaches to the server: socket.io then
 * hands this listener every request that is not its own.
 */
export function attachMetricsEndpoint(http: HttpServer, o: MetricsEndpointOptions): void {
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void answer(req, res, o).catch((err: unknown) => {
      o.logger.error({ err: (err as Error).message }, '/metrics failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

async function answer(req: IncomingMessage, res: ServerResponse, o: MetricsEndpointOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://coordinator');
  if (url.pathname !== '/metrics') return plain(res, 404, 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'only GET\n');
  const address = req.socket.remoteAddress ?? '?';
  const locked = o.limiter.check(address);
  if (locked.locked) return plain(res, 429, `too many failed tokens from ${address}: locked out for ${locked.secondsLeft} s more\n`);
  const given = bearer(req.headers.authorization) ?? url.searchParams.get('token');
  if (given === null || !tokenMatches(given, o.viewerToken)) {
    const { delayMs, first } = o.limiter.fail(address);
    if (first) o.logger.warn({ address }, '/metrics refused: missing or invalid viewer token');
    const refuse = () => plain(res, 401, 'a viewer token is required (Authorization: Bearer <viewer token>)\n', { 'www-authenticate': 'Bearer' });
    if (delayMs > 0) setTimeout(refuse, delayMs).unref();
    else refuse();
    return;
  }
  o.onAdmitted(req.socket);
  const body = await o.metrics.text();
  res.writeHead(200, { 'content-type': o.metrics.contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}
