/**
 * The handshake check every connection passes before any event handler sees it: a shared
 * token (compared in constant time, never logged) and the protocol version. Failed token
 * checks are counted per address (auth-limiter.ts): repeated ones are answered ever more
 * slowly, then the address is locked out; each address's first failure and each lockout
 * is logged, not every attempt.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ExtendedError, Socket } from 'socket.io';
import type { Logger } from '../../shared/log.js';
import { AuthLimiter } from './auth-limiter.js';
import { describeIssues, handshakeAuthSchema, PROTOCOL_VERSION, type ErrorCode } from '../../shared/protocol.js';

/** True when `given` equals `expected`; time does not depend on where they differ, nor on their lengths. */
export function tokenMatches(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The error a rejected client receives as `connect_error` (`err.message`, `err.data.code`). */
export function handshakeError(code: ErrorCode, message: string): ExtendedError {
  const err = new Error(message) as ExtendedError;
  err.data = { code };
  return err;
}

export interface AuthOptions {
  token: string;
  logger: Logger;
  /** Failed-handshake accounting per address (default: a fresh `AuthLimiter`). */
  limiter?: AuthLimiter;
  /** Told of every socket that passed (its connection is no longer an unauthenticated one). */
  onAdmitted?: (socket: Socket) => void;
}

/** A socket.io middleware admitting only clients with `token` and this protocol version. */
export function authMiddleware(o: AuthOptions): (socket: Socket, next: (err?: ExtendedError) => void) => void {
  if (o.token.length === 0) throw new Error('the coordinator token must not be empty');
  const limiter = o.limiter ?? new AuthLimiter();
  return (socket, next) => {
    const address = socket.handshake.address;
    const reject = (code: ErrorCode, message: string) => {
      o.logger.warn({ address, code }, `connection rejected: ${message}`);
      next(handshakeError(code, message));
    };
    const locked = limiter.check(address);
    if (locked.locked) {
      o.logger.debug({ address }, 'connection rejected: address locked out');
      return next(handshakeError('locked_out', `too many failed handshakes from ${address}: locked out for ${locked.secondsLeft} s more`));
    }
    const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success) return reject('bad_request', `handshake auth must be {token, protocolVersion, clientId?}: ${describeIssues(auth.error)}`);
    if (!tokenMatches(auth.data.token, o.token)) {
      const { delayMs, lockedOut, first } = limiter.fail(address);
      if (first) o.logger.warn({ address, code: 'unauthorized', note: 'later failures from this address are counted, not logged' }, 'connection rejected: invalid token');
      if (lockedOut) o.logger.warn({ address, failures: limiter.failures(address) }, 'address locked out after repeated invalid tokens');
      const refuse = () => next(handshakeError('unauthorized', 'invalid token'));
      if (delayMs > 0) setTimeout(refuse, delayMs).unref();
      else refuse();
      return;
    }
    if (auth.data.protocolVersion !== PROTOCOL_VERSION) {
      return reject('version_mismatch', `protocol version mismatch: coordinator speaks ${PROTOCOL_VERSION}, client ${auth.data.protocolVersion}; update the older side`);
    }
    o.onAdmitted?.(socket);
    next();
  };
}
