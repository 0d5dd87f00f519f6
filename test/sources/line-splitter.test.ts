import { describe, expect, it } from 'vitest';
import { INVALID_REASONS, LINE_WARNINGS, LineStats } from '../../src/pipeline/line-stats.js';
import { LineSplitter } from '../../src/sources/line-splitter.js';

function splitter(maxLineBytes = 1024) {
  const stats = new LineStats();
  const lines: string[] = [];
  const s = new LineSplitter(maxLineBytes, (t) => lines.push(t), stats);
  const tooLong = () => stats.invalid[INVALID_REASONS.indexOf('too_long')] as number;
  const invalidUtf8 = () => stats.warnings[LINE_WARNINGS.indexOf('invalid_utf8')] as number;
  return { s, lines, stats, tooLong, invalidUtf8 };
}

const b = (s: string) => Buffer.from(s, 'utf8');

/** Every byte as its own chunk. */
function pushBytes(s: LineSplitter, buf: Buffer): void {
  for (let i = 0; i < buf.length; i++) s.push(buf.subarray(i, i + 1));
}

describe('LineSplitter', () => {
  it('splits a chunk into lines and holds the unterminated rest', () => {
    const { s, lines } = splitter();
    s.push(b('one\ntwo\n\nthree'));
    expect(lines).toEqual(['one', 'two', '']);
    expect(s.pendingBytes).toBe(5);
    s.push(b(' and more\n'));
    expect(lines).toEqual(['one', 'two', '', 'three and more']);
    expect(s.pendingBytes).toBe(0);
  });

  it('reassembles a line split across chunks byte by byte', () => {
    const { s, lines } = splitter();
    const line = '{"request_id":"abc","total_time_ms":1876}';
    pushBytes(s, b(`${line}\n${line}\n`));
    expect(lines).toEqual([line, line]);
    expect(s.pendingBytes).toBe(0);
  });

  it('decodes multi-byte UTF-8 split at every possible boundary, with no invalid_utf8 warning', () => {
    const text = 'é 中 😀 — ü€𝄞';
    const full = b(`${text}\n`);
    for (let cut = 1; cut < full.length; cut++) {
      const { s, lines, invalidUtf8 } = splitter();
      s.push(full.subarray(0, cut));
      s.push(full.subarray(cut));
      expect(lines, `cut at ${cut}`).toEqual([text]);
      expect(invalidUtf8(), `cut at ${cut}`).toBe(0);
    }
    const { s, lines, invalidUtf8 } = splitter();
    pushBytes(s, full);
    expect(lines).toEqual([text]);
    expect(invalidUtf8()).toBe(0);
  });

  it('pendingBytes is exact, in bytes rather than characters', () => {
    const { s } = splitter();
    expect(s.pendingBytes).toBe(0);
    s.push(b('abc'));
    expect(s.pendingBytes).toBe(3);
    s.push(b('中'));
    expect(s.pendingBytes).toBe(6);
    s.push(Buffer.from([0xf0, 0x9f]));
    expect(s.pendingBytes).toBe(8);
    s.push(Buffer.from([0x98, 0x80, 0x0a, 0x78, 0x79]));
    expect(s.pendingBytes).toBe(2);
    s.push(b('\n'));
    expect(s.pendingBytes).toBe(0);
  });

  it('pendingBytes counts the bytes of an over-long line being discarded', () => {
    const { s, tooLong } = splitter(4);
    s.push(b('abcdef'));
    expect(s.pendingBytes).toBe(6);
    s.push(b('gh'));
    expect(s.pendingBytes).toBe(8);
    expect(tooLong()).toBe(0);
    s.push(b('i\nok'));
    expect(tooLong()).toBe(1);
    expect(s.pendingBytes).toBe(2);
  });

  it('flush() emits the held last line', () => {
    const { s, lines } = splitter();
    s.push(b('first\nlast line without newline'));
    expect(lines).toEqual(['first']);
    s.flush();
    expect(lines).toEqual(['first', 'last line without newline']);
    expect(s.pendingBytes).toBe(0);
    // Nothing held: flush emits nothing.
    s.flush();
    expect(lines).toHaveLength(2);
  });

  it('flush() during an over-long line counts it as too_long and emits nothing', () => {
    const { s, lines, tooLong } = splitter(4);
    s.push(b('0123456789'));
    s.flush();
    expect(lines).toEqual([]);
    expect(tooLong()).toBe(1);
    expect(s.pendingBytes).toBe(0);
  });

  it('reset() drops the held partial line and returns its size', () => {
    const { s, lines } = splitter();
    s.push(b('partial 中'));
    expect(s.reset()).toBe(11);
    expect(s.pendingBytes).toBe(0);
    s.push(b('fresh\n'));
    expect(lines).toEqual(['fresh']);
    s.flush();
    expect(lines).toEqual(['fresh']);
  });

  it('reset() during a discard forgets it without counting', () => {
    const { s, lines, tooLong } = splitter(4);
    s.push(b('0123456789'));
    expect(s.reset()).toBe(10);
    s.push(b('ok\n'));
    expect(lines).toEqual(['ok']);
    expect(tooLong()).toBe(0);
  });

  it('copies held bytes, so the caller may reuse its buffer', () => {
    const { s, lines } = splitter();
    const buf = Buffer.alloc(4);
    buf.write('abcd');
    s.push(buf);
    buf.write('WXYZ');
    s.push(b('\n'));
    expect(lines).toEqual(['abcd']);
  });

  it('flags invalid UTF-8 and repairs it with U+FFFD', () => {
    const { s, lines, invalidUtf8 } = splitter();
    s.push(Buffer.concat([b('a'), Buffer.from([0xff]), b('b\n')]));
    expect(lines).toEqual(['a\uFFFDb']);
    expect(invalidUtf8()).toBe(1);
    // A sequence truncated by the newline, delivered in pieces.
    s.push(Buffer.from([0xe4, 0xb8]));
    s.push(b('\nnext\n'));
    expect(lines).toEqual(['a\uFFFDb', '\uFFFD', 'next']);
    expect(invalidUtf8()).toBe(2);
  });

  it('a genuine U+FFFD character is not flagged', () => {
    const { s, lines, invalidUtf8 } = splitter();
    s.push(b('x\uFFFDy\n'));
    expect(lines).toEqual(['x\uFFFDy']);
    expect(invalidUtf8()).toBe(0);
  });

  it('passes CR through for the decoder to strip', () => {
    const { s, lines } = splitter();
    s.push(b('a\r\nb\r\n'));
    expect(lines).toEqual(['a\r', 'b\r']);
  });

  describe('max line length (bytes)', () => {
    it('accepts exactly max bytes and rejects max + 1, whatever the chunking', () => {
      const MAX = 10;
      const exact = 'é'.repeat(5); // 10 bytes, 5 characters
      const over = `${exact}x`;
      for (const chunk of [0, 1, 3, 10, 11]) {
        const { s, lines, tooLong } = splitter(MAX);
        const data = b(`${exact}\n${over}\n${exact}\n`);
        if (chunk === 0) s.push(data);
        else for (let i = 0; i < data.length; i += chunk) s.push(data.subarray(i, i + chunk));
        expect(lines, `chunk ${chunk}`).toEqual([exact, exact]);
        expect(tooLong(), `chunk ${chunk}`).toBe(1);
        expect(s.pendingBytes).toBe(0);
      }
    });

    it('an over-long line in one chunk is dropped and the line after it read', () => {
      const { s, lines, tooLong } = splitter(8);
      s.push(b(`${'x'.repeat(100)}\nshort\n`));
      expect(lines).toEqual(['short']);
      expect(tooLong()).toBe(1);
    });

    it('an over-long line across many small chunks is counted once and the line after it read', () => {
      const { s, lines, tooLong, stats } = splitter(8);
      pushBytes(s, b(`ok\n${'x'.repeat(100)}\nshort\n`));
      expect(lines).toEqual(['ok', 'short']);
      expect(tooLong()).toBe(1);
      expect(stats.total()).toBe(1);
    });

    it('an over-long line whose start was held and whose end arrives with its newline', () => {
      const { s, lines, tooLong } = splitter(8);
      s.push(b('abcde'));
      s.push(b('fghij\nafter\n'));
      expect(lines).toEqual(['after']);
      expect(tooLong()).toBe(1);
    });

    it('the newline of an over-long line arriving as its own chunk', () => {
      const { s, lines, tooLong } = splitter(8);
      s.push(b('0123456789'));
      s.push(b('\n'));
      s.push(b('next\n'));
      expect(lines).toEqual(['next']);
      expect(tooLong()).toBe(1);
    });
  });
});
