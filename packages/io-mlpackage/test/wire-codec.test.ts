import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/_internal/codec.js';
import { WireError, WireReader, WireWriter } from '../src/_internal/wire.js';
import { decodeModel, encodeModel } from '../src/index.js';

/** Reference varint encoder over BigInt (independent of the package). */
function refVarint(v: bigint): number[] {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let b = Number(u & 0x7fn);
    u >>= 7n;
    if (u !== 0n) b |= 0x80;
    out.push(b);
  } while (u !== 0n);
  return out;
}

describe('varints', () => {
  test('encode like the reference and decode back (int64 range)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const w = new WireWriter(4);
        w.bigint64(v);
        const bytes = w.finish();
        expect(Array.from(bytes)).toEqual(refVarint(v));
        const r = new WireReader(bytes);
        r.readVarint64();
        expect(BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo))).toBe(v);
        expect(r.pos).toBe(bytes.length);
      }),
    );
  });

  test('safe integers through the number path', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const w = new WireWriter(2);
        w.varint(v);
        expect(Array.from(w.finish())).toEqual(refVarint(BigInt(v)));
      }),
    );
  });

  test('negative int32 takes ten bytes', () => {
    const w = new WireWriter();
    w.int32(-1);
    expect(Array.from(w.finish())).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  test('truncated and overlong varints are errors with offsets', () => {
    expect(() => new WireReader(new Uint8Array([0x80, 0x80])).readVarint64()).toThrow(WireError);
    const long = new Uint8Array(11).fill(0x80);
    expect(() => new WireReader(long).readVarint64()).toThrow(/longer than 10 bytes/);
    expect(() =>
      new WireReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).readVarint64(),
    ).toThrow(/overflows/);
  });
});

describe('message codec', () => {
  test('hand-encoded Model: fields, packed shape, unknown fields kept in place', () => {
    // Model { specificationVersion: 7, 999: varint 5 (unknown), description { input [{ name "x", type { multiArrayType { shape [3000, 2], dataType 65568 } } }] } }
    const feature = [0x0a, 0x01, 0x78, 0x1a, 0x0b, 0x2a, 0x09, 0x0a, 0x03, 0xb8, 0x17, 0x02, 0x10, 0xa0, 0x80, 0x04];
    const bytes = new Uint8Array([
      0x08,
      0x07,
      0x12,
      2 + feature.length,
      0x0a,
      feature.length,
      ...feature,
      0xb8,
      0x3e,
      0x05,
    ]);
    const m = decodeModel(bytes);
    expect(m.specificationVersion).toBe(7);
    expect(m.description!.input[0]!.name).toBe('x');
    expect(m.description!.input[0]!.type!.multiArrayType).toEqual({ shape: [3000, 2], dataType: 65568 });
    expect(m.unknownFields).toEqual([{ field: 999, wireType: 0, raw: new Uint8Array([0xb8, 0x3e, 0x05]) }]);
    expect(encodeModel(m)).toEqual(bytes);
  });

  test('unpacked repeated scalars are accepted and re-emitted packed', () => {
    const unpacked = new Uint8Array([0x08, 0x03, 0x08, 0x04]); // ArrayFeatureType.shape 3, 4 unpacked
    const m = decodeMessage(unpacked, 'ArrayFeatureType');
    expect(m.shape).toEqual([3, 4]);
    expect(Array.from(encodeMessage(m, 'ArrayFeatureType'))).toEqual([0x0a, 0x02, 0x03, 0x04]);
  });

  test('length past the end, wrong wire type, field 0, deep nesting are errors naming the offset', () => {
    expect(() => decodeModel(new Uint8Array([0x12, 0x05, 0x00]))).toThrow(
      expect.objectContaining({ code: 'MLPACKAGE_MALFORMED_PROTOBUF', message: expect.stringMatching(/at byte 1/) }),
    );
    expect(() => decodeModel(new Uint8Array([0x10, 0x01]))).toThrow(/wire type 0, expected 2/);
    expect(() => decodeModel(new Uint8Array([0x00, 0x01]))).toThrow(/field number 0/);
    expect(() => decodeModel(new Uint8Array([0x0b]))).toThrow(/wire type 3/);
    // pipeline.models[0].pipeline.models[0]... nested 200 levels
    let inner = new Uint8Array(0);
    for (let i = 0; i < 200; i++) {
      const pipe = new Uint8Array([0x0a, ...lenBytes(inner.length), ...inner]);
      inner = new Uint8Array([0xd2, 0x0c, ...lenBytes(pipe.length), ...pipe]);
    }
    expect(() => decodeModel(inner)).toThrow(/nested deeper/);
  });

  test('empty bytes follow proto3: omitted on the wire', () => {
    expect(Array.from(encodeMessage({ bytes: { values: new Uint8Array(0) } }, 'TensorValue'))).toEqual([0x3a, 0x00]);
  });

  test('property: random TensorValue floats/ints/bytes round-trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true }), { maxLength: 20 }),
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 20 }),
        fc.uint8Array({ minLength: 1, maxLength: 30 }),
        (floats, ints, bytes) => {
          for (const tv of [
            { floats: { values: Float32Array.from(floats) } },
            { ints: { values: Int32Array.from(ints) } },
            { bytes: { values: bytes } },
          ]) {
            const enc = encodeMessage(tv, 'TensorValue');
            const dec = decodeMessage(enc, 'TensorValue');
            expect(encodeMessage(dec, 'TensorValue')).toEqual(enc);
            expect(dec).toEqual(tv);
          }
        },
      ),
    );
  });
});

function lenBytes(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
