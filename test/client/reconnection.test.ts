import { describe, expect, it } from 'vitest';
import { clientCommand, reconnection } from '../../client/main.js';

describe('client reconnection budget', () => {
  it('turns --reconnect-seconds into enough socket.io attempts (at most one per 5 s)', () => {
    expect(reconnection(600)).toEqual({ reconnectionAttempts: 122 });
    expect(reconnection(1)).toEqual({ reconnectionAttempts: 3 });
    expect(reconnection(undefined)).toEqual({});
  });

  it('keeps a remote client trying for 10 minutes by default, longer than the coordinator waits for it', () => {
    const option = clientCommand().options.find((o) => o.long === '--reconnect-seconds');
    expect(option?.defaultValue).toBe(600);
  });
});
