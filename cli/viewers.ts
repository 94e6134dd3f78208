/**
 * What `run`, `serve` and `resume` offer viewers: the dashboard (on unless `--no-dashboard`,
 * reached through 127.0.0.1 unless `--dashboard-host`) and Prometheus `/metrics` (with
 * `--metrics`), both behind one viewer token generated for the session, printed in their
 * URLs once the coordinator listens.
 */
import { randomBytes } from 'node:crypto';
import type { RunScenarioOptions } from '../server/run/run.js';

export interface ViewerCliOptions {
  metrics?: boolean;
  /** false with --no-dashboard. */
  dashboard?: boolean;
  dashboardHost?: string;
}

type Listen = NonNullable<RunScenarioOptions['listen']>;

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The listen options for viewers of a coordinator listening on `coordinatorHost`
 * (undefined: run's own default, 127.0.0.1, which follows `--dashboard-host` then).
 * Throws a usage message when the dashboard is asked for on an address the coordinator
 * does not listen on. Prints where the dashboard and /metrics are.
 */
export function viewerListen(o: ViewerCliOptions, coordinatorHost: string | undefined, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Partial<Listen> {
  const dashboard = o.dashboard !== false;
  if (!dashboard && !o.metrics) return {};
  const viewerToken = randomBytes(24).toString('base64url');
  let host: string | undefined = coordinatorHost;
  let dashboardHost: string | null = null;
  if (dashboard) {
    dashboardHost = o.dashboardHost ?? '127.0.0.1';
    // run's coordinator listens where its dashboard is asked to be; its clients come through any of them.
    if (host === undefined) host = dashboardHost;
    else if (!WILDCARDS.has(host) && host !== dashboardHost) {
      if (o.dashboardHost !== undefined) throw new Error(`--dashboard-host ${o.dashboardHost}: the coordinator listens on ${host} only (--host); give one of its addresses`);
      print(`dashboard: off (the coordinator listens on ${host} only; add --dashboard-host ${host} to serve it there)`);
      dashboardHost = null;
    }
  }
  const token = encodeURIComponent(viewerToken);
  return {
    ...(host !== undefined ? { host } : {}),
    viewerToken,
    ...(o.metrics ? { metrics: true } : {}),
    ...(dashboardHost !== null ? { dashboard: { host: dashboardHost } } : {}),
    onListening: (urls, port) => {
      if (dashboardHost !== null) {
        const scheme = urls[0]?.startsWith('https:') ? 'https' : 'http';
        const where = WILDCARDS.has(dashboardHost) ? urls : [`${scheme}://${dashboardHost.includes(':') ? `[${dashboardHost}]` : dashboardHost}:${port}`];
        print(`dashboard: ${where.map((u) => `${u}/?token=${token}`).join(' or ')}`);
      }
      if (o.metrics) print(`metrics: ${urls.map((u) => `${u}/metrics`).join(' or ')}  (Authorization: Bearer ${viewerToken})`);
    },
  };
}
