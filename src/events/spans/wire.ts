import { OtlpDecodeError } from './span-record.js';

/** Interned attribute keys by FNV-1a hash of their bytes; bounded, refilled when full. */
const KEYS = new Map<number, { bytes: Uint8Array; key: string }>();
const MAX_INTERNED_KEYS = 4096;
const MAX_INTERNED_KEY = 128;

/**
 * A protobuf wire-format reader over one buffer: just what OTLP needs (varint, fixed32/64,
 * length-delimited). Every read is bounds-checked and throws OtlpDecodeError on truncation, so a
 * malformed body is one 400, never a crash or an out-of-range read.
 */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint as a number (exact up to 2^53; int64 counters never get near that). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new OtlpDecodeError('varint longer than 10 bytes');
  }

  /** int64 as a varint: negative values arrive as 10-byte two's complement. */
  int64(): number {
    const v = this.varint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v;
  }

  /** A fixed64 as its [low, high] 32-bit halves (exact; the caller decides how to combine). */
  fixed64Halves(): [number, number] {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated fixed64');
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return [lo, hi];
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new OtlpDecodeError('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's [start, end) within the buffer. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new OtlpDecodeError('length-delimited field runs past its message');
    this.pos = start + len;
    return [start, start + len];
  }

  string(): string {
    const [s, e] = this.bytes();
    return this.buf.toString('utf8', s, e);
  }

  hex(): [string, number] {
    const [s, e] = this.bytes();
    return [this.buf.toString('hex', s, e), e - s];
  }

  /** Tag of the next field: field number × 8 + wire type (split with >>> 3 and & 7). */
  tag(): number {
    const t = this.varint();
    if (t < 8) throw new OtlpDecodeError('field number 0');
    return t;
  }

  /**
   * An attribute key: the same few keys arrive on every span, so each distinct key is decoded to
   * a string once and found again by its bytes (hash, then a byte-for-byte check).
   */
  key(): string {
    const [s, e] = this.bytes();
    if (e - s > MAX_INTERNED_KEY) return this.buf.toString('utf8', s, e);
    let h = 2166136261;
    for (let i = s; i < e; i++) h = Math.imul(h ^ (this.buf[i] as number), 16777619);
    const hit = KEYS.get(h);
    if (hit !== undefined && hit.bytes.length === e - s) {
      let same = true;
      for (let i = 0; i < hit.bytes.length; i++) {
        if (hit.bytes[i] !== this.buf[s + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit.key;
    }
    const key = this.buf.toString('utf8', s, e);
    if (KEYS.size >= MAX_INTERNED_KEYS) KEYS.clear();
    KEYS.set(h, { bytes: Uint8Array.prototype.slice.call(this.buf, s, e), key });
    return key;
  }

  /** Skip a field this decoder does not read (unknown fields must be ignored, not rejected). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new OtlpDecodeError(`unsupported wire type ${wireType}`);
    }
  }

  /** A sub-reader over a length-delimited field. */
  sub(): WireReader {
    const [s, e] = this.bytes();
    return new WireReader(this.buf, s, e);
  }

  expect(wireType: number, actual: number, what: string): void {
    if (wireType !== actual) throw new OtlpDecodeError(`${what}: wire type ${actual}, expected ${wireType}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new OtlpDecodeError('truncated field');
    this.pos += n;
  }
}
