/**
 * `GET /metrics` on the coordinator's HTTP server, for Prometheus, behind the run's viewer
 * token (`Authorization: Bearer <viewer token>`, or `?token=` for a browser; see
 * viewer-gate.ts: a client token does not open it, failed tokens are slowed and locked
 * out per address).
 */
import type { Socket } from 'node:net';
import type { RunMetrics } from '../observe/prometheus.js';
import type { HttpRoute } from './http-routes.js';
import { admitViewerRequest, plainAnswer, type ViewerGate } from './viewer-gate.js';

export interface MetricsEndpointOptions {
  gate: ViewerGate;
  metrics: RunMetrics;
  /** Told of a connection that presented the viewer token (it is no longer an unauthenticated one). */
  onAdmitted: (socket: Socket) => void;
}

/** The `/metrics` route (http-routes.ts). */
export function metricsRoute(o: MetricsEndpointOptions): HttpRoute {
  return async (req, res, url) => {
    if (url.pathname !== '/metrics') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plainAnswer(res, 405, 'only GET\n');
      return true;
    }
    if (!admitViewerRequest(req, res, url, o.gate, '/metrics')) return true;
    o.onAdmitted(req.socket);
    const body = await o.metrics.text();
    res.writeHead(200, { 'content-type': o.metrics.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
