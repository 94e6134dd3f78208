/**
 * The coordinator's plain HTTP requests (everything socket.io does not take): each route
 * answers the requests it knows and declines the others; what no route takes gets 404.
 * A route that throws gets a 500, logged, and never reaches the server.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.js';
import { plainAnswer } from './viewer-gate.js';

/** Answers `req` and resolves true, or resolves false (without touching `res`) when it is not its request. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/**
 * Serves `routes` on `http`, in order. Call before socket.io attaches to the server:
 * socket.io then hands this listener every request that is not its own.
 */
export function attachRoutes(http: HttpServer, routes: readonly HttpRoute[], logger: Logger): void {
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void answer(req, res, routes).catch((err: unknown) => {
      logger.error({ err: (err as Error).message, path: (req.url ?? '').slice(0, 200) }, 'an HTTP request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

async function answer(req: IncomingMessage, res: ServerResponse, routes: readonly HttpRoute[]): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://coordinator');
  } catch {
    return plainAnswer(res, 400, 'bad request\n');
  }
  for (const route of routes) if (await route(req, res, url)) return;
  plainAnswer(res, 404, 'not found\n');
}
