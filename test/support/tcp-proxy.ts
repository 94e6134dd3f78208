/**
 * A loopback TCP proxy between client processes and the coordinator, to break the network
 * under them: `cutAfter` drops every connection once so many bytes have passed one way (a
 * cable pulled mid-transfer), `damage` inverts a byte in WebSocket binary frames passing
 * one way (see websocket-tamper.ts), or in blob bodies on a connection of the blob
 * endpoints (http-body-tamper.ts). Clients reconnect through it after a cut.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpBodyTamper } from './http-body-tamper.js';
import { WebSocketTamper } from './websocket-tamper.js';

export type Direction = 'toServer' | 'toClient';

export interface ProxyFaults {
  /** Damage up to `frames` binary frames (or blob bodies) of at least `minBytes` going `direction`. */
  damage?: { direction: Direction; minBytes: number; frames: number };
  /** Cut every connection once `bytes` more bytes have gone `direction`. */
  cutAfter?: { direction: Direction; bytes: number };
}

export interface TcpProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** Faults to inject from now on; each is spent once it has acted. */
  faults: ProxyFaults;
  /** Frames damaged so far. */
  readonly damaged: number;
  /** Times every connection was cut. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** Starts a proxy to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let damaged = 0;
  let cuts = 0;
  const proxy = {
    faults: {} as ProxyFaults,
    get damaged() {
      return damaged;
    },
    get cuts() {
      return cuts;
    },
  };
  const cutAll = () => {
    cuts++;
    for (const socket of live) socket.destroy();
    live.clear();
  };
  /** `connection.blobs`: whether it is one of the blob endpoints' (known from its first request). */
  const forward = (from: Socket, to: Socket, direction: Direction, connection: { blobs?: boolean }) => {
    const policy = (bytes: number) => {
      const fault = proxy.faults.damage;
      if (!fault || fault.direction !== direction || bytes < fault.minBytes || fault.frames <= 0) return false;
      fault.frames--;
      damaged++;
      return true;
    };
    const frames = new WebSocketTamper(policy);
    const bodies = new HttpBodyTamper(policy);
    const tamper = { process: (chunk: Buffer) => ((connection.blobs ??= /^(GET|PUT|HEAD) \/blobs\//.test(chunk.toString('latin1', 0, 16))) ? bodies : frames).process(chunk) };
    from.on('data', (chunk: Buffer) => {
      const cut = proxy.faults.cutAfter;
      if (cut?.direction === direction) {
        cut.bytes -= chunk.length;
        if (cut.bytes <= 0) {
          proxy.faults.cutAfter = undefined;
          return cutAll();
        }
      }
      if (!to.write(tamper.process(chunk))) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  };
  const server = createServer((downstream) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [downstream, upstream]) {
      live.add(socket);
      socket.on('error', () => undefined); // a cut or a peer's reset: the close below handles it
      socket.on('close', () => {
        live.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    const connection = {};
    forward(downstream, upstream, 'toServer', connection);
    forward(upstream, downstream, 'toClient', connection);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    async close() {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
