import { describe, expect, test } from 'vitest';
import { BUILTIN_DTYPES, getDType } from '../src/index.js';

const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

describe('decode then encode is the identity on every code', () => {
  for (const dtype of BUILTIN_DTYPES) {
    if (dtype.bits > 16) continue;
    test(dtype.name, () => {
      // Formats without Inf or NaN throw on nothing here: every code is finite.
      const first = dtype.kind === 'int' ? dtype.qmin : 0;
      const last = dtype.kind === 'int' ? dtype.qmax : 2 ** dtype.bits - 1;
      const codes: number[] = [];
      for (let c = first; c <= last; c++) codes.push(c);
      for (const saturate of [true, false]) {
        for (const c of codes) {
          const v = dtype.decode(c);
          const back = dtype.encode(v, { saturate });
          if (Number.isNaN(v)) {
            // NaN codes come back as a NaN code (the canonical one), never a number.
            expect(Number.isNaN(dtype.decode(back)), `${dtype.name} NaN code ${c}`).toBe(true);
          } else if (!Number.isFinite(v) && saturate) {
            // Saturation maps ±Inf to ±max.
            expect(dtype.decode(back), `${dtype.name} Inf code ${c}`).toBe(v > 0 ? dtype.qmax : -dtype.qmax);
          } else {
            expect(back, `${dtype.name} code ${c} (${v}) saturate=${saturate}`).toBe(c);
          }
        }
      }
      // The array paths agree: decodeArray into float32, then the Float32Array encoder.
      const Ctor =
        dtype.codeArray === 'Int8Array' ? Int8Array : dtype.codeArray === 'Uint16Array' ? Uint16Array : Uint8Array;
      const decoded = dtype.decodeArray(Ctor.from(codes));
      const encoded = dtype.encodeArray(decoded, { saturate: false });
      for (let i = 0; i < codes.length; i++) {
        if (Number.isNaN(decoded[i]!)) expect(Number.isNaN(dtype.decode(encoded[i]!))).toBe(true);
        else expect(encoded[i]).toBe(codes[i]);
      }
    });
  }
});

test('-0 is kept by every signed float dtype', () => {
  for (const dtype of BUILTIN_DTYPES) {
    if (dtype.kind !== 'float' || !dtype.signed) continue;
    const signBit = 2 ** (dtype.bits - 1);
    expect(dtype.encode(-0), dtype.name).toBe(signBit);
    expect(Object.is(dtype.decode(signBit), -0), dtype.name).toBe(true);
    expect(dtype.encodeArray(new Float32Array([-0]))[0], dtype.name).toBe(signBit);
  }
});

test('integer dtypes return +0 for -0 and tiny negatives', () => {
  expect(Object.is(getDType('int8').encode(-0.2), 0)).toBe(true);
  expect(Object.is(getDType('int4').decode(-0), 0)).toBe(true);
});

test('float32 round-trips bit patterns of finite values, including subnormals', () => {
  const f32 = getDType('float32');
  const samples = [0, 1, -1, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38, 0.1, Math.PI, 1e-40];
  for (const x of samples) {
    const rounded = Math.fround(x);
    const code = f32.encode(x);
    expect(code).toBe(bitsOf(rounded));
    expect(f32.decode(code)).toBe(rounded);
  }
  const codes = new Uint32Array(samples.map((x) => bitsOf(x)));
  expect(Array.from(f32.decodeArray(codes))).toEqual(samples.map((x) => Math.fround(x)));
  expect(Array.from(f32.encodeArray(new Float32Array(samples)))).toEqual(Array.from(codes));
});
