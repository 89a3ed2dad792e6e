import { describe, expect, test } from 'vitest';
import { cosineSimilarity, maxAbsError, mse, sqnr } from '../src/index.js';

describe('error measures', () => {
  test('exact values on a small example', () => {
    const ref = [3, 4];
    const approx = [3, 3];
    expect(mse(ref, approx)).toBe(0.5);
    expect(maxAbsError(ref, approx)).toBe(1);
    expect(sqnr(ref, approx)).toBeCloseTo(10 * Math.log10(25), 12);
    expect(cosineSimilarity(ref, approx)).toBeCloseTo(21 / (5 * Math.sqrt(18)), 12);
  });

  test('edge cases: exact, zero reference, empty, mismatched lengths', () => {
    expect(sqnr([1, 2], [1, 2])).toBe(Infinity);
    expect(sqnr([0, 0], [1, 0])).toBe(-Infinity);
    expect(mse([], [])).toBe(0);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
    expect(() => sqnr([1], [1, 2])).toThrow(/same length/);
  });
});
