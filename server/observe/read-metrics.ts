/**
 * Reads `DIR/metrics.jsonl` back into the snapshot the live run kept (the same reducer),
 * for a finished, failed or resumed run. The file may be cut short (a crash mid-write) or
 * damaged: a line that is not a valid event is skipped and counted, a line longer than
 * `maxLineBytes` is skipped without being held, and the snapshot is bounded as always.
 */
import { createReadStream } from 'node:fs';
import { runEventSchema } from '../../shared/observe/run-events.js';
import { applyEvent, emptySnapshot, type RunSnapshot } from '../../shared/observe/snapshot.js';

export interface MetricsRead {
  snapshot: RunSnapshot;
  /** Events applied. */
  events: number;
  /** Lines skipped, and the first few reasons with their line numbers. */
  skipped: number;
  problems: string[];
}

const MAX_PROBLEMS = 10;

export async function readMetricsFile(path: string, o: { maxLineBytes?: number } = {}): Promise<MetricsRead> {
  const maxLineBytes = o.maxLineBytes ?? 1 << 20;
  const result: MetricsRead = { snapshot: emptySnapshot(), events: 0, skipped: 0, problems: [] };
  const skip = (lineNo: number, why: string) => {
    result.skipped++;
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(`${path}:${lineNo}: ${why}`);
  };
  let lineNo = 0;
  const take = (line: string) => {
    lineNo++;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return skip(lineNo, 'not JSON');
    }
    const event = runEventSchema.safeParse(value);
    if (!event.success) return skip(lineNo, `not a run event (${event.error.issues[0]?.path.join('.') || 'type'}: ${event.error.issues[0]?.message})`);
    applyEvent(result.snapshot, event.data);
    result.events++;
  };
  let pending = '';
  let overlong = false;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
    const parts = (chunk as string).split('\n');
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      if (overlong) {
        if (!last) {
          overlong = false;
          lineNo++;
          skip(lineNo, `longer than ${maxLineBytes} bytes`);
        }
        continue;
      }
      pending += parts[i];
      if (last) {
        if (pending.length > maxLineBytes) {
          pending = '';
          overlong = true;
        }
        continue;
      }
      take(pending);
      pending = '';
    }
  }
  if (overlong) skip(lineNo + 1, `longer than ${maxLineBytes} bytes`);
  else if (pending !== '') take(pending);
  return result;
}
