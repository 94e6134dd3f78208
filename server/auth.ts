/**
 * The handshake check every connection passes before any event handler sees it: a shared
 * token (compared in constant time, never logged) and the protocol version.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ExtendedError, Socket } from 'socket.io';
import type { Logger } from '../shared/log.js';
import { describeIssues, handshakeAuthSchema, PROTOCOL_VERSION, type ErrorCode } from '../shared/protocol.js';

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

/** A socket.io middleware admitting only clients with `token` and this protocol version. */
export function authMiddleware(token: string, logger: Logger): (socket: Socket, next: (err?: ExtendedError) => void) => void {
  if (token.length === 0) throw new Error('the coordinator token must not be empty');
  return (socket, next) => {
    const reject = (code: ErrorCode, message: string) => {
      logger.warn({ address: socket.handshake.address, code }, `connection rejected: ${message}`);
      next(handshakeError(code, message));
    };
    const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success) return reject('bad_request', `handshake auth must be {token, protocolVersion, clientId?}: ${describeIssues(auth.error)}`);
    if (!tokenMatches(auth.data.token, token)) return reject('unauthorized', 'invalid token');
    if (auth.data.protocolVersion !== PROTOCOL_VERSION) {
      return reject('version_mismatch', `protocol version mismatch: coordinator speaks ${PROTOCOL_VERSION}, client ${auth.data.protocolVersion}; update the older side`);
    }
    next();
  };
}
