/**
 * The dashboard on an HTTP server: the page (behind the viewer token), its files, and the
 * socket.io namespace `/view` its viewers connect to (viewer token only; see
 * net/viewer-gate.ts). It is reached only through the local address it is given (by
 * default 127.0.0.1, even on a coordinator listening on every interface for its clients),
 * so that a coordinator open to remote clients does not show its run to the network unless
 * told to (`--dashboard-host`).
 */
import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';
import type { HttpRoute } from '../../net/http-routes.js';
import { admitViewerRequest, plainAnswer, viewerSocketMiddleware, type ViewerGate } from '../../net/viewer-gate.js';
import { PageFiles } from './page-files.js';
import { feedViewers, type ViewerFeedOptions, type ViewSource } from './viewer-feed.js';

/** The socket.io namespace of viewers. */
export const VIEW_NAMESPACE = '/view';

export interface DashboardOptions {
  gate: ViewerGate;
  source: ViewSource;
  /** The local address viewers must come through; `0.0.0.0` or `::` for any. */
  host: string;
  /** Told of a connection that presented the viewer token (it is no longer an unauthenticated one). */
  onAdmitted?: (socket: NetSocket) => void;
  feed?: ViewerFeedOptions;
}

export interface Dashboard {
  /** Its HTTP requests (add before socket.io attaches to the server). */
  route: HttpRoute;
  /** Opens `/view` on `io`. */
  attach(io: Server): void;
  /** Stops feeding viewers. */
  close(): void;
}

export function createDashboard(o: DashboardOptions): Dashboard {
  const files = new PageFiles();
  const reachable = (localAddress: string | undefined) => reachableThrough(localAddress, o.host);
  let stop: (() => void) | null = null;
  const route: HttpRoute = async (req, res, url) => {
    const page = url.pathname === '/' || url.pathname === '/index.html';
    const file = page ? null : files.get(url.pathname);
    if (!page && !file) return false;
    if (!reachable(req.socket.localAddress)) {
      plainAnswer(res, 403, `the dashboard is served through ${o.host} only (--dashboard-host)\n`);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plainAnswer(res, 405, 'only GET\n');
      return true;
    }
    // The page's code is no secret; the page itself (and the run it shows) needs the token.
    if (page && !admitViewerRequest(req, res, url, o.gate, 'the dashboard')) return true;
    const { body, type, scriptHashes = [] } = await (page ? files.html() : file!);
    res.writeHead(200, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Our files and socket.io's websocket only: nothing from elsewhere, no inline script but the import map.
      'content-security-policy': `default-src 'self'; script-src 'self' ${scriptHashes.join(' ')}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
  return {
    route,
    attach(io) {
      const nsp = io.of(VIEW_NAMESPACE);
      nsp.use((socket, next) => (reachable(socket.request.socket.localAddress) ? next() : next(new Error(`the dashboard is served through ${o.host} only`))));
      nsp.use(viewerSocketMiddleware(o.gate, (socket) => o.onAdmitted?.(socket.request.socket)));
      stop = feedViewers(nsp, o.source, o.feed);
    },
    close() {
      stop?.();
    },
  };
}

/** Whether a connection that arrived at `localAddress` may see a dashboard served through `host`. */
export function reachableThrough(localAddress: string | undefined, host: string): boolean {
  if (host === '0.0.0.0' || host === '::') return true;
  const plain = (a: string) => (a.startsWith('::ffff:') ? a.slice(7) : a);
  const local = plain(localAddress ?? '');
  if (host === 'localhost') return local === '127.0.0.1' || local === '::1';
  return local === plain(host);
}
