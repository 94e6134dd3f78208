/**
 * Bounds on the coordinator's TCP connections, so that no peer can take the descriptors
 * that checkpoints and the journal need: at most `maxConnections` open at once (a new one
 * over that is closed as soon as it is accepted), of which at most `maxUnauthenticated` have
 * not yet passed the token check (a new one over that closes the oldest of them), and each
 * of those must pass it within `handshakeTimeoutMs` or is closed. Refusals are counted and logged at most once per `logEveryMs`, never once
 * per connection (a flood would otherwise flood the log).
 */
import type { Server as NetServer, Socket } from 'node:net';
import type { Logger } from '../../shared/log.js';

export interface ConnectionLimits {
  /** Open TCP connections at once (default 1024). */
  maxConnections?: number;
  /** Of those, connections not yet authenticated (default 64). */
  maxUnauthenticated?: number;
  /** How long a connection may take to authenticate (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Shortest interval between two log lines about refused connections (default 10 s). */
  logEveryMs?: number;
}

export const DEFAULT_CONNECTION_LIMITS: Required<ConnectionLimits> = {
  maxConnections: 1024,
  maxUnauthenticated: 64,
  handshakeTimeoutMs: 10_000,
  logEveryMs: 10_000,
};

/** Counts of what the guard did, for tests and the log. */
export interface ConnectionCounts {
  open: number;
  unauthenticated: number;
  refusedOverLimit: number;
  closedForHandshakeTimeout: number;
}

/** The same connection seen as a TCP socket and, under TLS, as its TLS socket: both share the peer's address and port. */
export function connectionKey(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}

/** Watches `server`'s connections; `authenticated` is told of each one that passed the token check. */
export class ConnectionGuard {
  private readonly limits: Required<ConnectionLimits>;
  private readonly pending = new Map<string, { socket: Socket; timer: NodeJS.Timeout }>();
  private open = 0;
  private refusedOverLimit = 0;
  private closedForHandshakeTimeout = 0;
  private unloggedRefusals = 0;
  private lastLog = 0;

  constructor(
    server: NetServer,
    limits: ConnectionLimits,
    private readonly logger: Logger,
  ) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
    server.on('connection', (socket: Socket) => this.accepted(socket));
  }

  /** Marks the connection of `socket` (TCP or TLS) as authenticated: it is no longer timed. */
  authenticated(socket: { remoteAddress?: string; remotePort?: number }): void {
    const key = connectionKey(socket);
    const entry = this.pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(key);
  }

  counts(): ConnectionCounts {
    return { open: this.open, unauthenticated: this.pending.size, refusedOverLimit: this.refusedOverLimit, closedForHandshakeTimeout: this.closedForHandshakeTimeout };
  }

  /** Stops every handshake timer (the server is closing). */
  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private accepted(socket: Socket): void {
    if (this.open >= this.limits.maxConnections) {
      this.refuse(socket);
      return;
    }
    if (this.pending.size >= this.limits.maxUnauthenticated) {
      // The oldest unauthenticated connection makes room: a peer that holds its slots idle
      // must then open them faster than an honest client authenticates, not merely once.
      const [oldestKey, oldest] = this.pending.entries().next().value!;
      clearTimeout(oldest.timer);
      this.pending.delete(oldestKey);
      this.refuse(oldest.socket);
    }
    this.open += 1;
    const key = connectionKey(socket);
    const timer = setTimeout(() => {
      this.closedForHandshakeTimeout += 1;
      this.pending.delete(key);
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    this.pending.set(key, { socket, timer });
    socket.once('close', () => {
      this.open -= 1;
      const entry = this.pending.get(key);
      if (entry?.socket === socket) {
        clearTimeout(entry.timer);
        this.pending.delete(key);
      }
    });
  }

  private refuse(socket: Socket): void {
    this.refusedOverLimit += 1;
    this.unloggedRefusals += 1;
    socket.destroy();
    this.logRefusals();
  }

  private logRefusals(): void {
    const now = Date.now();
    if (now - this.lastLog < this.limits.logEveryMs) return;
    this.lastLog = now;
    this.logger.warn(
      { refused: this.unloggedRefusals, open: this.open, unauthenticated: this.pending.size, limits: { connections: this.limits.maxConnections, unauthenticated: this.limits.maxUnauthenticated } },
      'connections refused: over the connection limits',
    );
    this.unloggedRefusals = 0;
  }
}
