/**
 * What the CLI checks before a coordinator listens: the clients' token (refused when too
 * short, printed when generated, a warning for clear text), the TLS files of `serve`; a
 * bad choice is a `UsageError` (exit code 2).
 */
import { listenWarning, serveToken } from '../server/net/listen-policy.js';
import { readTlsCredentials, TlsSetupError, type TlsCredentials } from '../server/net/tls.js';

/** A bad combination of options: printed without a stack, exit code 2. */
export class UsageError extends Error {}

/** The token remote clients must present: refused when too short, printed when generated; warns about clear text. */
export function listenToken(given: string | undefined, allowShortToken: boolean | undefined, host: string, tls: boolean): string {
  let chosen;
  try {
    chosen = serveToken(given, { allowShortToken });
  } catch (err) {
    fail((err as Error).message);
  }
  if (chosen.generated) process.stdout.write(`no --token given; clients must present this generated token:\n  ${chosen.token}\n`);
  const warning = listenWarning(host, tls);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  return chosen.token;
}

export function fail(message: string): never {
  throw new UsageError(`streamssl: ${message}`);
}

/** The certificate and key of `serve --cert --key`, read and checked; none without them. */
export function serveTls(opts: { cert?: string; key?: string }): TlsCredentials | undefined {
  if (opts.cert === undefined && opts.key === undefined) return undefined;
  if (opts.cert === undefined || opts.key === undefined) fail('serve: --cert and --key go together');
  try {
    return readTlsCredentials({ cert: opts.cert, key: opts.key });
  } catch (err) {
    if (err instanceof TlsSetupError) fail(`serve: ${err.message}`);
    throw err;
  }
}

