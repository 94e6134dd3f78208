/**
 * The terminal's progress display as text, a pure function of the run's snapshot: one line
 * per busy client (arm, stage, step of steps, loss to 3 digits, images per second, the
 * stage's ETA), one overall line with the run's ETA (and, in a run over several seeds, the
 * seeds done, running and waiting; each arm then shows as `arm · seed s`); and the one-line
 * form of the few events worth keeping above it (stages done with their accuracy, retries,
 * restarts, failures, each seed's end, the end).
 */
import type { RunEvent } from '../../shared/observe/run-events.js';
import { plannedStages, runEtaSeconds, stepsLeft, taskEtaSeconds } from '../../shared/observe/eta.js';
import { armKey, armOfTask, type ClientView, type RunSnapshot } from '../../shared/observe/snapshot.js';
import { seedCounts } from '../../shared/observe/seed-view.js';

/** `m:ss`, `h:mm:ss`, or `?` when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return hms[0] > 0 ? `${hms[0]}:${pad(hms[1])}:${pad(hms[2])}` : `${hms[1]}:${pad(hms[2])}`;
}

function pct(x: number | undefined): string {
  return x === undefined ? '–' : `${(x * 100).toFixed(1)}%`;
}

/** Cut to `width` columns (the display must not wrap, or log-update loses its lines). */
function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

function clientLine(c: ClientView, s: RunSnapshot, idWidth: number): string {
  const task = c.task!;
  const id = c.id.padEnd(idWidth);
  if (task.kind !== 'train' || task.arm === undefined) return `${id}  ${c.state} ${task.taskId}`;
  const arm = armKey(task.arm, task.seed);
  const arm0 = armOfTask(s, task);
  const planned = arm0 && plannedStages(s, arm0).length;
  const stage = `stage ${(task.stage ?? 0) + 1}/${planned || '?'}`;
  if (c.state === 'receiving') return `${id}  ${arm}  ${stage}  receiving the model`;
  const steps = task.steps ?? 0;
  const step = `step ${String(task.step).padStart(String(steps).length)}/${steps}`;
  const loss = task.loss === undefined ? 'loss ?' : `loss ${task.loss.toFixed(3)}`;
  const rate = task.imagesPerSecond === undefined ? '? img/s' : `${task.imagesPerSecond.toFixed(0)} img/s`;
  const eta = c.state === 'sending' ? 'sending the model' : `ETA ${formatDuration(taskEtaSeconds(task))}`;
  return `${id}  ${arm}  ${stage}  ${step}  ${loss}  ${rate}  ${eta}`;
}

/** The display: busy clients, then the overall line. */
export function renderProgress(s: RunSnapshot, width = 100): string {
  const clients = Object.values(s.clients);
  const busy = clients.filter((c) => c.task !== null && c.state !== 'gone' && c.state !== 'idle');
  const idWidth = Math.max(0, ...busy.map((c) => c.id.length));
  const arms = Object.values(s.arms);
  const planned = arms.reduce((n, a) => n + plannedStages(s, a).length, 0);
  const done = arms.reduce((n, a) => n + Math.max(a.stages.length, a.finishedBefore), 0);
  const failed = arms.filter((a) => a.failed).length;
  const { left, total } = stepsLeft(s);
  const connected = clients.filter((c) => c.state !== 'gone').length;
  const overall = [
    `${s.scenario ?? 'run'}: ${done}/${planned || '?'} stages`,
    seedsLine(s),
    total > 0 ? `${Math.round((100 * (total - left)) / total)}% of steps` : null,
    `${connected} client(s), ${busy.length} busy`,
    s.totals.retries > 0 ? `${s.totals.retries} retry(ies)` : null,
    failed > 0 ? `${failed} arm(s) failed` : null,
    s.done ? (s.done.ok ? 'done' : 'ended') : `ETA ${formatDuration(runEtaSeconds(s))}`,
  ].filter((x) => x !== null);
  return [...busy.map((c) => clientLine(c, s, idWidth)), overall.join(' · ')].map((l) => fit(l, width)).join('\n');
}

/** `seeds: 1 done, 1 running, 1 waiting` (and failed ones) in a run over several seeds, else null. */
function seedsLine(s: RunSnapshot): string | null {
  if (Object.keys(s.seeds).length === 0) return null;
  const n = seedCounts(s.seeds);
  return `seeds: ${n.done} done, ${n.running} running, ${n.waiting} waiting${n.failed > 0 ? `, ${n.failed} failed` : ''}`;
}

/** The line kept above the display for an event that matters, or null. */
export function notableLine(e: RunEvent): string | null {
  switch (e.type) {
    case 'stage-done': {
      const what = e.mode === 'fedavg' ? `round ${e.stage + 1}` : `stage ${e.stage + 1}`;
      const acc = e.knnTop1 === undefined ? '' : `: kNN ${pct(e.knnTop1)}, linear ${pct(e.linearTop1)}`;
      return `✓ ${armKey(e.arm, e.seed)} ${what} done${acc} (loss ${e.lossLast.toFixed(3)}, ${e.clients.join(',')})`;
    }
    case 'retry':
      return `↻ ${e.arm !== undefined ? armKey(e.arm, e.seed) : e.taskId}${e.stage !== undefined ? ` stage ${e.stage + 1}` : ''}: client ${e.client} lost, retrying (attempt ${e.attempt + 1}): ${e.reason}`;
    case 'client-restarted':
      return `↻ client ${e.client} died (${e.how}): restarted (${e.restart}/${e.maxRestarts})`;
    case 'arm-failed':
      return `✗ arm ${armKey(e.arm, e.seed)} failed${e.stage !== undefined ? ` at stage ${e.stage + 1}` : ''}: ${e.error}`;
    case 'random-init':
      return `· random init${e.seed !== undefined ? ` · seed ${e.seed}` : ''}: kNN ${pct(e.knnTop1)}, linear ${pct(e.linearTop1)}`;
    case 'seed-done':
      return e.ok ? `✓ seed ${e.seed} finished` : `✗ seed ${e.seed} ended: ${e.error ?? `${e.failures.length} arm(s) failed`}`;
    case 'run-done':
      return e.ok ? '✓ run finished' : `✗ run ended: ${e.error ?? `${e.failures.length} arm(s) failed`}`;
    default:
      return null;
  }
}
