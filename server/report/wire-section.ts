/** The report's parts on communication: bytes on the wire per arm, and results a round deadline dropped. */
import { markdownText, row } from './markdown.js';
import type { ArmResult, Results } from './results.js';

/** A byte count in B, kB, MB or GB (decimal units). */
export function bytesText(bytes: number): string {
  const units: [number, string][] = [
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'kB'],
  ];
  const [scale, unit] = units.find(([scale]) => bytes >= scale) ?? [1, 'B'];
  return scale === 1 ? `${bytes} B` : `${(bytes / scale).toFixed(scale === 1e9 ? 2 : 1)} ${unit}`;
}

/** A table of each arm's wire bytes, both ways, states and replay apart; nothing when no arm crossed a wire. */
export function wireSection(results: Results): string[] {
  const arms = results.arms.filter((a) => a.wireBytes);
  if (arms.length === 0) return [];
  const header = ['arm', 'sent to clients', 'received', 'states sent', 'states received', 'replay sent', 'replay received'];
  return [
    '## Bytes on the wire',
    '',
    row(header),
    row(header.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...arms.map(({ name, wireBytes: w }) => row([name, ...[w!, w!.states, w!.replay].flatMap((b) => [bytesText(b.sent), bytesText(b.received)])])),
    '',
    'Hand-offs of model states and replay buffers between the coordinator and the clients, every chunk and re-send included; states sent only to score a model, and results dropped at a round deadline, are not counted.',
    '',
  ];
}

/** A line on the results an arm's round deadline dropped, round by round; nothing without a deadline. */
export function droppedLines(arm: ArmResult): string[] {
  if (!arm.dropped) return [];
  if (arm.dropped.results === 0) return ['Round deadline: no result dropped.', ''];
  const rounds = arm.stages.filter((s) => s.dropped && s.dropped.taskIds.length > 0);
  const each = rounds.map((s) => `round ${s.stage}: ${s.dropped!.taskIds.length}${s.dropped!.keptPrevious ? ' (none in time: previous model kept)' : ''}`);
  const detail = each.length > 0 ? ` (${each.join('; ')})` : '';
  return [`Round deadline: ${arm.dropped.results} late result(s) dropped, ${arm.dropped.steps} planned step(s)${markdownText(detail)}.`, ''];
}
