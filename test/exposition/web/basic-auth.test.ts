import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { BasicAuth } from '../../../src/exposition/web/basic-auth.js';
import { TokenBucket } from '../../../src/exposition/web/limits.js';
import { isLoopback } from '../../../src/exposition/web/web-config.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('BasicAuth', () => {
  const hash = bcrypt.hashSync('s3cret', 4);

  it('accepts the right password and refuses a wrong one, an unknown user and a malformed header', async () => {
    const auth = new BasicAuth(new Map([['alice', hash]]));
    expect(await auth.check(basic('alice', 's3cret'))).toBe(true);
    expect(await auth.check(basic('alice', 'wrong'))).toBe(false);
    expect(await auth.check(basic('bob', 's3cret'))).toBe(false);
    expect(await auth.check(undefined)).toBe(false);
    expect(await auth.check('Bearer abc')).toBe(false);
    expect(await auth.check('Basic !!!')).toBe(false);
  });

  it('pays bcrypt once per user per minute for a repeated success, never for a cached wrong password', async () => {
    let calls = 0;
    let now = 0;
    const auth = new BasicAuth(new Map([['alice', hash]]), {
      compare: (p, h) => {
        calls++;
        return bcrypt.compare(p, h);
      },
      now: () => now,
    });
    for (let i = 0; i < 5; i++) expect(await auth.check(basic('alice', 's3cret'))).toBe(true);
    expect(calls).toBe(1);
    // A wrong password is not served from the cache of the right one.
    expect(await auth.check(basic('alice', 's3cret2'))).toBe(false);
    expect(calls).toBe(2);
    now += 61_000;
    expect(await auth.check(basic('alice', 's3cret'))).toBe(true);
    expect(calls).toBe(3);
  });
});

describe('TokenBucket', () => {
  it('allows `rate` at once, then refills at `rate` per second', () => {
    let now = 0;
    const b = new TokenBucket(3, () => now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    now += 400;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });
});

describe('isLoopback', () => {
  it('counts only explicit loopback hosts', () => {
    for (const a of ['127.0.0.1:9838', 'localhost:1', '[::1]:9838', '127.1.2.3:0']) expect(isLoopback(a)).toBe(true);
    for (const a of [':9838', '0.0.0.0:9838', '[::]:9838', '10.0.0.1:9838', 'example.com:80']) expect(isLoopback(a)).toBe(false);
  });
});
