import { QuantError } from '@lowbit/dtypes';

function assertSameLength(where: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${where}: the two arrays have ${a.length} and ${b.length} elements; they must have the same length`,
    );
  }
}

/**
 * Signal-to-quantization-noise ratio in dB: `10 log10(sum(ref^2) / sum((ref - approx)^2))`.
 * `Infinity` when the approximation is exact; `-Infinity` when the reference is all zeros but the approximation
 * is not. Accumulates in float64.
 */
export function sqnr(reference: ArrayLike<number>, approx: ArrayLike<number>): number {
  assertSameLength('sqnr', reference, approx);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const d = r - (approx[i] as number);
    signal += r * r;
    noise += d * d;
  }
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

/** Mean squared error (0 for empty inputs). */
export function mse(reference: ArrayLike<number>, approx: ArrayLike<number>): number {
  assertSameLength('mse', reference, approx);
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = (reference[i] as number) - (approx[i] as number);
    sum += d * d;
  }
  return reference.length === 0 ? 0 : sum / reference.length;
}

/** Largest absolute elementwise difference (0 for empty inputs). */
export function maxAbsError(reference: ArrayLike<number>, approx: ArrayLike<number>): number {
  assertSameLength('maxAbsError', reference, approx);
  let m = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs((reference[i] as number) - (approx[i] as number));
    if (d > m || d !== d) m = d;
  }
  return m;
}

/** Cosine similarity of two vectors; 1 when both are all zeros, 0 when exactly one is. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength('cosineSimilarity', a, b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}
