/**
 * The size limit on one socket.io message (`maxHttpBufferSize`). A peer that sends more is
 * cut off by engine.io before any handler runs, so nothing of it reaches the run; all
 * that is left to do is to say so in the log, since engine.io reports it only as a
 * "transport error".
 */

/** socket.io's default (1e6 bytes): blob chunks (512 KiB and a small envelope) fit under it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1e6;

/** True when a socket closed because its peer sent a message over the limit. */
export function closedForMessageSize(reason: string, description: unknown): boolean {
  if (reason !== 'transport error') return false;
  // Websocket: ws's RangeError "Max payload size exceeded"; long-polling: "payload too large".
  const text = description instanceof Error ? description.message : String((description as { description?: unknown } | undefined)?.description ?? description);
  return /max payload size exceeded|payload too large/i.test(text);
}
