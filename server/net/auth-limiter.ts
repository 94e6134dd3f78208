/**
 * Token guessing made slow: the handshakes that fail authentication are counted per
 * address. After a few, each further rejection from that address waits longer (doubling),
 * and past a limit the address is locked out for a while: every handshake from it is then
 * refused at once, the right token included, so that a guess that happens to be right
 * during a lockout tells the guesser nothing. Failures are forgotten only with time, not by
 * a success, so that a guesser behind the same address as an honest client cannot reset
 * its count by the honest client's logins. The table of addresses is bounded.
 */

export interface AuthLimiterOptions {
  /** Failures an address may have before its rejections are delayed (default 3). */
  freeFailures?: number;
  /** Delay of the first delayed rejection, doubled by each further failure (default 250 ms). */
  firstDelayMs?: number;
  /** Longest delay of one rejection (default 5 s). */
  maxDelayMs?: number;
  /** Failures after which the address is locked out (default 20). */
  lockoutAfter?: number;
  /** How long a lockout lasts (default 5 min). */
  lockoutMs?: number;
  /** An address whose last failure is older than this starts again from zero (default 10 min). */
  forgetAfterMs?: number;
  /** Addresses remembered at once; the longest quiet one is dropped first (default 10,000). */
  maxAddresses?: number;
  now?: () => number;
}

interface AddressRecord {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

/** What to do with a handshake from an address before its token is even looked at. */
export type AdmissionVerdict = { locked: false } | { locked: true; secondsLeft: number };

/** Per-address record of failed handshakes; see the file comment. */
export class AuthLimiter {
  private readonly records = new Map<string, AddressRecord>();
  private readonly o: Required<Omit<AuthLimiterOptions, 'now'>>;
  private readonly now: () => number;

  constructor(options: AuthLimiterOptions = {}) {
    this.o = {
      freeFailures: options.freeFailures ?? 3,
      firstDelayMs: options.firstDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 5000,
      lockoutAfter: options.lockoutAfter ?? 20,
      lockoutMs: options.lockoutMs ?? 300_000,
      forgetAfterMs: options.forgetAfterMs ?? 600_000,
      maxAddresses: options.maxAddresses ?? 10_000,
    };
    this.now = options.now ?? Date.now;
  }

  /** Whether `address` is locked out right now. */
  check(address: string): AdmissionVerdict {
    const record = this.current(address);
    if (!record || record.lockedUntil <= this.now()) return { locked: false };
    return { locked: true, secondsLeft: Math.ceil((record.lockedUntil - this.now()) / 1000) };
  }

  /**
   * Counts a failed handshake from `address`. Returns how long to wait before answering
   * it, whether this failure started a lockout, and whether it is the address's first
   * failure (the ones worth a log line).
   */
  fail(address: string): { delayMs: number; lockedOut: boolean; first: boolean } {
    const now = this.now();
    const record = this.current(address) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    record.failures += 1;
    record.lastFailure = now;
    // Past the limit, every failure outside a lockout starts a new one.
    const lockedOut = record.failures >= this.o.lockoutAfter && record.lockedUntil <= now;
    if (lockedOut) record.lockedUntil = now + this.o.lockoutMs;
    // Re-inserted so that the Map's order is the order of last failures (oldest first).
    this.records.delete(address);
    this.records.set(address, record);
    if (this.records.size > this.o.maxAddresses) this.records.delete(this.records.keys().next().value!);
    const over = record.failures - this.o.freeFailures;
    const delayMs = over <= 0 ? 0 : Math.min(this.o.maxDelayMs, this.o.firstDelayMs * 2 ** (over - 1));
    return { delayMs, lockedOut, first: record.failures === 1 };
  }

  /** Failures remembered for `address` (0 when forgotten). */
  failures(address: string): number {
    return this.current(address)?.failures ?? 0;
  }

  /** Addresses remembered. */
  get size(): number {
    return this.records.size;
  }

  private current(address: string): AddressRecord | undefined {
    const record = this.records.get(address);
    if (record && record.lockedUntil <= this.now() && this.now() - record.lastFailure > this.o.forgetAfterMs) {
      this.records.delete(address);
      return undefined;
    }
    return record;
  }
}
