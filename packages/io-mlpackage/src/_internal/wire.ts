/**
 * Protobuf wire format primitives: a bounds-checked reader and a growable writer.
 *
 * Every read is checked against the end of the enclosing record, so a hostile buffer can never make the reader
 * look past its bounds or allocate more than the bytes it was given. Problems are thrown as {@link WireError}
 * carrying the absolute byte offset; callers turn them into `QuantError`s naming the file.
 */

/** A decoding problem at a byte offset of the buffer being read. */
export class WireError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'WireError';
    this.offset = offset;
  }
}

/** Wire types used by proto3. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Reads protobuf primitives from `buf[pos, end)`. */
export class WireReader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  /** Low and high 32 bits of the last varint read by {@link readVarint64}. */
  lo = 0;
  hi = 0;
  private view: DataView | undefined;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  private dv(): DataView {
    if (this.view === undefined) this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.view;
  }

  /** Reads a varint of up to 10 bytes into `lo`/`hi`. */
  readVarint64(): void {
    const start = this.pos;
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let i = 0;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint', start);
      const b = buf[this.pos++] as number;
      if (i < 4) {
        lo |= (b & 0x7f) << shift;
      } else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else {
        if (i === 9 && (b & 0x7f) > 1) throw new WireError('varint overflows 64 bits', start);
        hi |= (b & 0x7f) << (shift - 32);
      }
      shift += 7;
      i++;
      if ((b & 0x80) === 0) break;
      if (i === 10) throw new WireError('varint longer than 10 bytes', start);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** Reads a varint that must fit an unsigned 32-bit number (tags, lengths). */
  readUint32(): number {
    const start = this.pos;
    this.readVarint64();
    if (this.hi !== 0) throw new WireError('varint does not fit 32 bits', start);
    return this.lo;
  }

  /** Reads a length prefix and checks that the record fits in the enclosing bounds; returns the record end. */
  readLengthEnd(): number {
    const start = this.pos;
    const len = this.readUint32();
    if (len > this.end - this.pos) {
      throw new WireError(
        `length ${len} runs past the end of the enclosing record (${this.end - this.pos} bytes left)`,
        start,
      );
    }
    return this.pos + len;
  }

  readFixed32(): number {
    if (this.end - this.pos < 4) throw new WireError('truncated fixed32', this.pos);
    const v = this.dv().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  readFloat(): number {
    if (this.end - this.pos < 4) throw new WireError('truncated float', this.pos);
    const v = this.dv().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  readDouble(): number {
    if (this.end - this.pos < 8) throw new WireError('truncated double', this.pos);
    const v = this.dv().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  readString(end: number): string {
    const s = utf8Decoder.decode(this.buf.subarray(this.pos, end));
    this.pos = end;
    return s;
  }

  readBytes(end: number): Uint8Array {
    const b = this.buf.slice(this.pos, end);
    this.pos = end;
    return b;
  }

  /** Skips one field's payload of the given wire type (the tag is already read). */
  skip(wireType: number, tagOffset: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.readVarint64();
        return;
      case WIRE_FIXED64:
        if (this.end - this.pos < 8) throw new WireError('truncated fixed64', this.pos);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.readLengthEnd();
        return;
      case WIRE_FIXED32:
        if (this.end - this.pos < 4) throw new WireError('truncated fixed32', this.pos);
        this.pos += 4;
        return;
      default:
        throw new WireError(
          `unsupported wire type ${wireType} (groups and reserved types are not valid here)`,
          tagOffset,
        );
    }
  }
}

/** The signed 64-bit value of `hi:lo` as a number; throws when it is not a safe integer. */
export function int64ToNumber(lo: number, hi: number, offset: number): number {
  const v = (hi | 0) * TWO_32 + lo;
  if (!Number.isSafeInteger(v)) throw new WireError('int64 value outside the safe integer range', offset);
  return v;
}

/** The unsigned 64-bit value of `hi:lo` as a number; throws when it is not a safe integer. */
export function uint64ToNumber(lo: number, hi: number, offset: number): number {
  const v = hi * TWO_32 + lo;
  if (!Number.isSafeInteger(v)) throw new WireError('uint64 value outside the safe integer range', offset);
  return v;
}

/** A growable byte buffer with protobuf encoders. */
export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Writes an unsigned varint of a non-negative safe integer. */
  varint(v: number): void {
    this.ensure(10);
    if (v < 0x80000000 && v >= 0) {
      let x = v >>> 0;
      while (x > 0x7f) {
        this.buf[this.pos++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      this.buf[this.pos++] = x;
      return;
    }
    let lo: number;
    let hi: number;
    if (v >= 0) {
      lo = (v % TWO_32) >>> 0;
      hi = Math.floor(v / TWO_32) >>> 0;
    } else {
      // two's complement over 64 bits
      const a = -v;
      let l = (a % TWO_32) >>> 0;
      let h = Math.floor(a / TWO_32) >>> 0;
      l = ~l >>> 0;
      h = ~h >>> 0;
      l = (l + 1) >>> 0;
      if (l === 0) h = (h + 1) >>> 0;
      lo = l;
      hi = h;
    }
    this.varint64(lo, hi);
  }

  /** Writes the 64-bit varint `hi:lo`. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  /** Writes an int32 (negative values take 10 bytes, as proto3 requires). */
  int32(v: number): void {
    if (v >= 0) this.varint(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  bigint64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  float(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  bytesField(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.raw(bytes);
  }

  string(s: string): void {
    this.bytesField(utf8Encoder.encode(s));
  }
}
