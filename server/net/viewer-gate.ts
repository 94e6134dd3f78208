/**
 * The viewers' door: `/metrics`, the dashboard's page and its socket.io namespace all admit
 * the run's viewer token only (never the clients' token, which coordinator.ts refuses
 * equal to it). Failed tokens are slowed down and locked out per address by the viewers'
 * own `AuthLimiter` (one for `/metrics` and the dashboard, apart from the clients', so that
 * a stale scraper cannot lock clients out); the first failure of an address is logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExtendedError, Socket } from 'socket.io';
import type { Logger } from '../../shared/log.js';
import type { AuthLimiter } from './auth-limiter.js';
import { handshakeError, tokenMatches } from './auth.js';

export interface ViewerGate {
  viewerToken: string;
  limiter: AuthLimiter;
  logger: Logger;
}

/**
 * Checks the viewer token of an HTTP request (`Authorization: Bearer`, else `?token=`).
 * True when admitted; otherwise the request has been (or will be, after the limiter's
 * delay) answered with 401, or 429 for a locked-out address.
 */
export function admitViewerRequest(req: IncomingMessage, res: ServerResponse, url: URL, gate: ViewerGate, what: string): boolean {
  const address = req.socket.remoteAddress ?? '?';
  const locked = gate.limiter.check(address);
  if (locked.locked) {
    plainAnswer(res, 429, `too many failed tokens from ${address}: locked out for ${locked.secondsLeft} s more\n`);
    return false;
  }
  const given = bearer(req.headers.authorization) ?? url.searchParams.get('token');
  if (given !== null && tokenMatches(given, gate.viewerToken)) return true;
  const { delayMs, first } = gate.limiter.fail(address);
  if (first) gate.logger.warn({ address }, `${what} refused: missing or invalid viewer token`);
  const refuse = () => plainAnswer(res, 401, `${what} needs the run's viewer token (Authorization: Bearer <viewer token>, or ?token=<viewer token>)\n`, { 'www-authenticate': 'Bearer' });
  if (delayMs > 0) setTimeout(refuse, delayMs).unref();
  else refuse();
  return false;
}

/** A socket.io middleware admitting only sockets whose `auth.token` is the viewer token. */
export function viewerSocketMiddleware(gate: ViewerGate, onAdmitted: (socket: Socket) => void): (socket: Socket, next: (err?: ExtendedError) => void) => void {
  return (socket, next) => {
    const address = socket.handshake.address;
    const locked = gate.limiter.check(address);
    if (locked.locked) return next(handshakeError('locked_out', `too many failed tokens from ${address}: locked out for ${locked.secondsLeft} s more`));
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const given = typeof auth?.token === 'string' ? auth.token : null;
    if (given !== null && tokenMatches(given, gate.viewerToken)) {
      onAdmitted(socket);
      return next();
    }
    const { delayMs, first } = gate.limiter.fail(address);
    if (first) gate.logger.warn({ address }, 'viewer refused: missing or invalid viewer token');
    const refuse = () => next(handshakeError('unauthorized', 'invalid viewer token'));
    if (delayMs > 0) setTimeout(refuse, delayMs).unref();
    else refuse();
  };
}

/** Answers `res` with `text` as plain text. */
export function plainAnswer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}
