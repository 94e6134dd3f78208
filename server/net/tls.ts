/**
 * TLS for the coordinator (`streamssl serve --cert FILE --key FILE`): reads the PEM files
 * and checks that they make a usable pair before anything listens, so a typo or a key of
 * another certificate is a clear error at start rather than failed handshakes later.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** A certificate (chain) and its private key, PEM. */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/** A certificate or key that cannot be read or used; the message says which and why. */
export class TlsSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsSetupError';
  }
}

/** Reads and checks `--cert` and `--key`. */
export function readTlsCredentials(paths: { cert: string; key: string }): TlsCredentials {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new TlsSetupError(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const credentials = { cert: read(paths.cert, 'certificate'), key: read(paths.key, 'private key') };
  checkTlsCredentials(credentials, `${paths.cert} and ${paths.key}`);
  return credentials;
}

/** Throws `TlsSetupError` unless `credentials` are a PEM certificate and its own private key. */
export function checkTlsCredentials(credentials: TlsCredentials, what = 'the TLS certificate and key'): void {
  try {
    createSecureContext(credentials);
  } catch (err) {
    throw new TlsSetupError(`${what} are not a usable TLS certificate and private key (PEM, the key of that certificate): ${(err as Error).message}`);
  }
}
