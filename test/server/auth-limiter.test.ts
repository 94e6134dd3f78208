import { describe, expect, it } from 'vitest';
import { AuthLimiter } from '../../server/net/auth-limiter.js';
import { serveToken, listenWarning, MIN_TOKEN_LENGTH } from '../../server/net/listen-policy.js';

describe('AuthLimiter', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('answers the first failures at once, then ever more slowly, up to a cap', () => {
    const limiter = new AuthLimiter({ freeFailures: 2, firstDelayMs: 100, maxDelayMs: 1000, lockoutAfter: 100 });
    const delays = Array.from({ length: 8 }, () => limiter.fail('10.0.0.1').delayMs);
    expect(delays).toEqual([0, 0, 100, 200, 400, 800, 1000, 1000]);
  });

  it('locks an address out after the limit, refuses it while locked, and locks it again at the next failure after', () => {
    const c = clock();
    const limiter = new AuthLimiter({ lockoutAfter: 3, lockoutMs: 60_000, now: c.now });
    expect(limiter.fail('a').lockedOut).toBe(false);
    expect(limiter.fail('a').lockedOut).toBe(false);
    expect(limiter.fail('a').lockedOut).toBe(true);
    expect(limiter.check('a')).toEqual({ locked: true, secondsLeft: 60 });
    expect(limiter.check('b')).toEqual({ locked: false });
    c.advance(60_001);
    expect(limiter.check('a')).toEqual({ locked: false });
    expect(limiter.fail('a').lockedOut).toBe(true);
  });

  it('reports only the first failure of an address as first', () => {
    const limiter = new AuthLimiter();
    expect([limiter.fail('a').first, limiter.fail('a').first, limiter.fail('b').first]).toEqual([true, false, true]);
  });

  it('forgets an address only after a quiet while, and keeps a bounded table', () => {
    const c = clock();
    const limiter = new AuthLimiter({ forgetAfterMs: 1000, maxAddresses: 3, now: c.now });
    limiter.fail('a');
    limiter.fail('a');
    c.advance(999);
    expect(limiter.failures('a')).toBe(2);
    c.advance(2);
    expect(limiter.failures('a')).toBe(0);
    for (const address of ['w', 'x', 'y', 'z']) limiter.fail(address);
    expect(limiter.size).toBe(3);
    expect(limiter.failures('w')).toBe(0);
    expect(limiter.failures('z')).toBe(1);
  });
});

describe('serve tokens', () => {
  it('generates a long token when none is given, refuses a short one unless allowed', () => {
    const made = serveToken(undefined);
    expect(made.generated).toBe(true);
    expect(made.token.length).toBeGreaterThanOrEqual(MIN_TOKEN_LENGTH);
    expect(serveToken(undefined).token).not.toBe(made.token);
    expect(() => serveToken('secret')).toThrow(/6 characters; use at least 16/);
    expect(serveToken('secret', { allowShortToken: true })).toEqual({ token: 'secret', generated: false });
    expect(serveToken('0123456789abcdef')).toEqual({ token: '0123456789abcdef', generated: false });
  });

  it('warns about clear text on all interfaces only', () => {
    expect(listenWarning('0.0.0.0', false)).toMatch(/all interfaces .* without TLS/);
    expect(listenWarning('::', false)).toMatch(/clear text/);
    expect(listenWarning('0.0.0.0', true)).toBeNull();
    expect(listenWarning('127.0.0.1', false)).toBeNull();
  });
});
