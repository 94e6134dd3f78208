/**
 * What went wrong under a socket.io `connect_error`. socket.io reports a failed transport
 * as "xhr poll error" or "websocket error" and keeps the cause elsewhere: the websocket
 * transport in `description` (an Error, or in Node a ws ErrorEvent holding it as
 * `error`), the long-polling one (xmlhttprequest-ssl) in `context.statusText`. A certificate the client does not trust is the cause worth
 * finding: no retry fixes it, and the user must be told to pass `--ca`.
 */

/** The underlying error of a connect_error, when there is one. */
export interface ConnectCause {
  message: string;
  code?: string;
}

/** Node's codes for a server certificate that this client does not trust (or that does not name the host). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The cause of `err` (a socket.io connect_error), or null when socket.io gave none. */
export function connectErrorCause(err: unknown): ConnectCause | null {
  const { description, context } = (err ?? {}) as { description?: unknown; context?: { statusText?: unknown } };
  // Node's websocket transport (ws) wraps its error in an ErrorEvent: the Error is its `error`.
  const wrapped = (description as { error?: unknown } | undefined)?.error;
  for (const candidate of [description, wrapped, context?.statusText]) {
    if (candidate instanceof Error) {
      const code = (candidate as NodeJS.ErrnoException).code;
      return { message: candidate.message, ...(typeof code === 'string' ? { code } : {}) };
    }
  }
  return null;
}

/** True when the cause is a server certificate this client does not trust. */
export function isCertificateProblem(cause: ConnectCause | null): boolean {
  return cause?.code !== undefined && CERTIFICATE_CODES.has(cause.code);
}
