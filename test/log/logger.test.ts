import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, RateLimitedLog, toLogfmt } from '../../src/log/logger.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}

describe('logger', () => {
  it('writes JSON lines with an ISO time and a level name', () => {
    const out = capture();
    createLogger('info', 'json', out.stream).info({ path: '/x' }, 'hello');
    const rec = JSON.parse(out.lines()[0] as string) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'info', path: '/x', msg: 'hello' });
    expect(rec.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('writes logfmt when asked, quoting values that need it', () => {
    expect(toLogfmt({ level: 'warn', msg: 'two words', n: 3, ok: true })).toBe('level=warn msg="two words" n=3 ok=true\n');
    const out = capture();
    createLogger('info', 'logfmt', out.stream).warn({ reason: 'json_syntax' }, 'bad line');
    expect(out.lines()[0]).toMatch(/^level=warn time=\S+ reason=json_syntax msg="bad line"$/);
  });

  it('never logs secrets', () => {
    const out = capture();
    createLogger('info', 'json', out.stream).info({ llm: { api_key: 'sk-123' }, headers: { authorization: 'Bearer x' } }, 'cfg');
    expect(out.lines()[0]).not.toContain('sk-123');
    expect(out.lines()[0]).not.toContain('Bearer x');
  });
});

describe('RateLimitedLog', () => {
  it('logs a recurring problem once per interval per key, then says how many it suppressed', () => {
    const out = capture();
    let now = 0;
    const rl = new RateLimitedLog(createLogger('info', 'json', out.stream), 10_000, () => now);
    for (let i = 0; i < 1000; i++) rl.warn('json_syntax', { problem: 'json_syntax' }, 'bad line');
    rl.warn('too_long', { problem: 'too_long' }, 'bad line');
    expect(out.lines()).toHaveLength(2);
    now = 10_000;
    rl.warn('json_syntax', { problem: 'json_syntax' }, 'bad line');
    const last = JSON.parse(out.lines()[2] as string) as Record<string, unknown>;
    expect(last).toMatchObject({ problem: 'json_syntax', suppressed: 999 });
  });
});
