/**
 * What `serve` (and `resume --port`) accept before listening for remote clients: a token
 * long enough not to be guessed (the coordinator slows guessing down, see auth-limiter.ts,
 * but a short token falls to a patient guesser all the same), a generated one when none is
 * given, and a warning when the token would cross the network in clear text.
 */
import { randomBytes } from 'node:crypto';

/** Shortest token `serve` accepts unless told otherwise. */
export const MIN_TOKEN_LENGTH = 16;

export interface ServeToken {
  token: string;
  /** True when none was given and this one was made here: the user must be shown it. */
  generated: boolean;
}

/** A token made of 32 random bytes (43 base64url characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token to use, or throws an Error saying why the given one is refused. */
export function serveToken(given: string | undefined, o: { allowShortToken?: boolean } = {}): ServeToken {
  if (given === undefined || given === '') return { token: generateToken(), generated: true };
  if (given.length < MIN_TOKEN_LENGTH && !o.allowShortToken) {
    throw new Error(`the token has ${given.length} characters; use at least ${MIN_TOKEN_LENGTH} (or leave it out to have one generated, or pass --allow-short-token)`);
  }
  return { token: given, generated: false };
}

/** True for a host that listens on every interface. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** A warning to print before listening, or null. */
export function listenWarning(host: string, tls: boolean): string | null {
  if (tls || !isWildcardHost(host)) return null;
  return (
    `listening on all interfaces (${host || '0.0.0.0'}) without TLS: the token and the model states cross the network in clear text. ` +
    'Use --cert/--key, an SSH tunnel or a private network, or --host 127.0.0.1 for clients on this machine only.'
  );
}
