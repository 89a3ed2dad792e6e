import fc from 'fast-check';
import { expect, test } from 'vitest';
import { roundHalfToEven } from '../src/index.js';

test('roundHalfToEven: anchors', () => {
  expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999999999999996, 4503599627370497].map(roundHalfToEven)).toEqual([
    0, 2, 2, 4, -0, -2, -2, 2, 4503599627370497,
  ]);
  expect(Object.is(roundHalfToEven(-0.3), -0)).toBe(true);
  expect(Object.is(roundHalfToEven(-0), -0)).toBe(true);
  expect(roundHalfToEven(NaN)).toBeNaN();
  expect(roundHalfToEven(-Infinity)).toBe(-Infinity);
});

test('roundHalfToEven: nearest integer, even on ties (reference via floor and the remainder)', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const f = Math.floor(x);
      const rem = x - f; // exact for |x| < 2^52
      const expected = rem > 0.5 ? f + 1 : rem < 0.5 ? f : f % 2 === 0 ? f : f + 1;
      expect(roundHalfToEven(x)).toBe(expected === 0 && (x < 0 || Object.is(x, -0)) ? -0 : expected);
    }),
    { numRuns: 5000 },
  );
});
