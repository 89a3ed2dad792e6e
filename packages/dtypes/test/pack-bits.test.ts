import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { packBits, packedByteLength, unpackBits } from '../src/index.js';
import { quantErrorCode as codeOf } from '../../../tools/lib/quant-error-code.js';

/** Reference packer written bit by bit: value i, bit b goes to stream bit i*n + b (LSB-first). */
function refPack(values: readonly number[], n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((values.length * n) / 8));
  values.forEach((v, i) => {
    const field = ((v % 2 ** n) + 2 ** n) % 2 ** n; // two's complement for negatives
    for (let b = 0; b < n; b++) {
      if (Math.floor(field / 2 ** b) % 2 === 1) {
        const pos = i * n + b;
        out[pos >> 3]! |= 1 << (pos & 7);
      }
    }
  });
  return out;
}

describe('packBits / unpackBits', () => {
  test('ONNX / Core ML layout: element 0 in the low bits', () => {
    expect(Array.from(packBits([1, 2, 3], 4))).toEqual([0x21, 0x03]);
    expect(Array.from(packBits([-1, 1], 4, { signed: true }))).toEqual([0x1f]);
    expect(Array.from(packBits([-8, 7, -3], 4, { signed: true }))).toEqual([0x78, 0x0d]);
    expect(Array.from(packBits([1, 2, 3, 0, 3], 2))).toEqual([0b00111001, 0b11]);
    expect(Array.from(packBits([5, 6, 7], 3))).toEqual([0b11110101, 0b1]);
    expect(Array.from(packBits([63, 1, 32], 6))).toEqual([0b01111111, 0b00000000, 0b00000010]);
    expect(Array.from(packBits([1, 0, 1, 1, 0, 0, 0, 0, 1], 1))).toEqual([0b00001101, 0b1]);
    expect(Array.from(packBits([200, 3], 8))).toEqual([200, 3]);
    expect(Array.from(unpackBits(new Uint8Array([0x1f]), 4, 2, { signed: true }))).toEqual([-1, 1]);
    expect(unpackBits(new Uint8Array([0x1f]), 4, 2, { signed: true })).toBeInstanceOf(Int8Array);
    expect(unpackBits(new Uint8Array([0x1f]), 4, 2)).toBeInstanceOf(Uint8Array);
    expect(packBits([], 4).length).toBe(0);
  });

  test('packedByteLength', () => {
    expect([packedByteLength(0, 4), packedByteLength(3, 4), packedByteLength(5, 3), packedByteLength(4, 6)]).toEqual([
      0, 2, 2, 3,
    ]);
    expect(codeOf(() => packedByteLength(3, 9))).toBe('PACK_INVALID_WIDTH');
    expect(codeOf(() => packedByteLength(-1, 4))).toBe('DTYPE_INVALID_ARGUMENT');
  });

  test('fast-check: matches the bit-by-bit reference and unpack inverts pack, every width 1..8, signed and unsigned', () => {
    const cases = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean()).chain(([n, signed]) =>
      fc.record({
        n: fc.constant(n),
        signed: fc.constant(signed),
        values: fc.array(
          signed
            ? fc.integer({ min: -(2 ** (n - 1)), max: 2 ** (n - 1) - 1 })
            : fc.integer({ min: 0, max: 2 ** n - 1 }),
          { maxLength: 67 },
        ),
      }),
    );
    fc.assert(
      fc.property(cases, ({ n, signed, values }) => {
        const packed = packBits(values, n, { signed });
        expect(Array.from(packed)).toEqual(Array.from(refPack(values, n)));
        expect(packed.length).toBe(packedByteLength(values.length, n));
        const back = unpackBits(packed, n, values.length, { signed });
        expect(back).toBeInstanceOf(signed ? Int8Array : Uint8Array);
        expect(Array.from(back)).toEqual(values);
        // Typed-array input and a preallocated, dirty output give the same bytes.
        const out = new Uint8Array(packed.length + 3).fill(0xff);
        const src = signed ? Int8Array.from(values) : Uint8Array.from(values);
        packBits(src, n, { signed, out });
        expect(Array.from(out.subarray(0, packed.length))).toEqual(Array.from(packed));
      }),
      { numRuns: 1500 },
    );
  });

  test('trailing bits of the last byte are zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 40 }), (n, count) => {
        const packed = packBits(
          Array.from({ length: count }, () => 2 ** n - 1),
          n,
        );
        const used = (count * n) % 8;
        if (used !== 0) expect(packed[packed.length - 1]! >> used).toBe(0);
      }),
    );
  });

  test('errors: width, range (naming the index), buffer sizes', () => {
    for (const bits of [0, 9, 2.5, NaN]) expect(codeOf(() => packBits([0], bits))).toBe('PACK_INVALID_WIDTH');
    expect(codeOf(() => unpackBits(new Uint8Array(1), 0, 1))).toBe('PACK_INVALID_WIDTH');
    expect(codeOf(() => packBits([0, 16], 4))).toBe('PACK_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => packBits([0, -1], 4))).toBe('PACK_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => packBits([0, 8], 4, { signed: true }))).toBe('PACK_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => packBits([0.5], 4))).toBe('PACK_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => packBits([NaN], 4))).toBe('PACK_VALUE_OUT_OF_RANGE');
    expect(() => packBits([1, 2, 3, 20], 4)).toThrow(/values\[3\] = 20 is not an integer in \[0, 15\]/);
    expect(() => packBits([-1], 4)).toThrow(/signed: true/);
    expect(codeOf(() => packBits([1, 2, 3], 4, { out: new Uint8Array(1) }))).toBe('PACK_BUFFER_TOO_SMALL');
    expect(codeOf(() => unpackBits(new Uint8Array(1), 4, 3))).toBe('PACK_BUFFER_TOO_SMALL');
    expect(codeOf(() => unpackBits(new Uint8Array(2), 4, 3, { out: new Uint8Array(2) }))).toBe('PACK_BUFFER_TOO_SMALL');
    expect(codeOf(() => unpackBits(new Uint8Array(2), 4, 3, { signed: true, out: new Uint8Array(3) }))).toBe(
      'DTYPE_INVALID_ARGUMENT',
    );
  });

  test('a failed pack leaves a caller-provided buffer untouched', () => {
    const out = new Uint8Array([9, 9]);
    expect(codeOf(() => packBits([1, 2, 99], 4, { out }))).toBe('PACK_VALUE_OUT_OF_RANGE');
    expect(Array.from(out)).toEqual([9, 9]);
  });
});
