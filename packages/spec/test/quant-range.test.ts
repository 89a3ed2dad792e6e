import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { quantRange } from '../src/index.js';
import { errorOf, spec } from './helpers.js';

// feature-map.md §1.2 (coreai-opt get_quant_range) and algorithms.md §1.1 / §2.3 (coremltools restricted range).
const TABLE: readonly [string, string, number, number][] = [
  ['int8', 'symmetric', -128, 127],
  ['int8', 'symmetric_with_clipping', -127, 127],
  ['int8', 'asymmetric', -128, 127],
  ['int4', 'symmetric', -8, 7],
  ['int4', 'symmetric_with_clipping', -7, 7],
  ['int4', 'asymmetric', -8, 7],
  ['int2', 'symmetric', -2, 1],
  ['int2', 'symmetric_with_clipping', -1, 1],
  ['uint8', 'symmetric', 0, 255],
  ['uint8', 'asymmetric', 0, 255],
  // coremltools linear_symmetric for unsigned: qmax - 1 (uint8 [0, 254], zero point 127).
  ['uint8', 'symmetric_with_clipping', 0, 254],
  ['uint4', 'symmetric', 0, 15],
  ['uint4', 'symmetric_with_clipping', 0, 14],
  ['uint2', 'asymmetric', 0, 3],
  ['float4_e2m1fn', 'symmetric', -6, 6],
  ['float8_e4m3fn', 'symmetric', -448, 448],
  ['float8_e5m2', 'symmetric', -57344, 57344],
  ['float6_e2m3fn', 'symmetric', -7.5, 7.5],
  ['float6_e3m2fn', 'symmetric', -28, 28],
  ['float16', 'symmetric', -65504, 65504],
];

describe('quantRange', () => {
  test.each(TABLE)('%s %s -> [%d, %d]', (dtype, qscheme, qmin, qmax) => {
    expect(quantRange(spec({ dtype, qscheme }))).toEqual({ qmin, qmax });
  });

  test('the documented symmetric scale divisors follow from the ranges', () => {
    // int8 symmetric: s = amax / ((qmax - qmin) / 2) = amax / 127.5; clipping: amax / 127.
    const full = quantRange(spec({ qscheme: 'symmetric' }));
    expect((full.qmax - full.qmin) / 2).toBe(127.5);
    const clipped = quantRange(spec({ qscheme: 'symmetric_with_clipping' }));
    expect((clipped.qmax - clipped.qmin) / 2).toBe(127);
    const uint8 = quantRange(spec({ dtype: 'uint8', qscheme: 'symmetric_with_clipping' }));
    expect(uint8.qmax / 2).toBe(127);
    const uint8Full = quantRange(spec({ dtype: 'uint8', qscheme: 'symmetric' }));
    expect(Math.floor((uint8Full.qmax + uint8Full.qmin + 1) / 2)).toBe(128);
  });

  test('minval uses the same range as zp', () => {
    for (const qscheme of ['symmetric', 'symmetric_with_clipping', 'asymmetric']) {
      expect(quantRange(spec({ qscheme, qformulation: 'minval' }))).toEqual(quantRange(spec({ qscheme })));
    }
  });

  test('integer ranges: signed [-2^(n-1), 2^(n-1)-1], unsigned [0, 2^n-1], clipping drops one end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8),
        fc.boolean(),
        fc.constantFrom('symmetric', 'symmetric_with_clipping', 'asymmetric'),
        (bits, signed, qscheme) => {
          const range = quantRange(spec({ dtype: `${signed ? '' : 'u'}int${bits}`, qscheme }));
          let qmin = signed ? -(2 ** (bits - 1)) : 0;
          let qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
          if (qscheme === 'symmetric_with_clipping') {
            if (signed) qmin += 1;
            else qmax -= 1;
          }
          expect(range).toEqual({ qmin, qmax });
        },
      ),
    );
  });

  test('invalid specs throw', () => {
    expect(errorOf(() => quantRange(spec({ dtype: 'int3' })), 'SPEC_INVALID')).toContain("'int3'");
    errorOf(() => quantRange(spec({ dtype: 'float8_e4m3fn', qscheme: 'asymmetric' })), 'SPEC_UNSUPPORTED_COMBINATION');
  });
});
