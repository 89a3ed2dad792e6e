import { getDType } from '@lowbit/dtypes';
import { createElementQuantizer, qparamsFromRange } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { clipSymmetric } from './clip-range.js';
import type { AlignedHistogram } from './histogram.js';

/** Candidates per halving of the clipping threshold in the coarse scan. */
const STEPS_PER_OCTAVE = 16;
/** Smallest relative gain in estimated MSE for which a clipped range replaces min-max. */
const MIN_GAIN = 0.02;
/** Linear steps of the refinement around the best coarse candidate. */
const REFINE_STEPS = 16;

/**
 * Finds the t in [tMin, tMax] minimizing f, starting from `init` (always a candidate, so the result is never
 * worse than it): a geometric scan t = tMax 2^(-k/16), then a linear refinement around the best point.
 */
function search1d(f: (t: number) => number, tMax: number, tMin: number, init: number): number {
  let best = init;
  let bestErr = f(init);
  const consider = (t: number): void => {
    const e = f(t);
    if (e < bestErr) {
      bestErr = e;
      best = t;
    }
  };
  for (let k = 0; k <= 40 * STEPS_PER_OCTAVE; k++) {
    const t = tMax * 2 ** (-k / STEPS_PER_OCTAVE);
    if (t < tMin && k > 0) break;
    consider(t);
  }
  const lo = best * 2 ** (-1 / STEPS_PER_OCTAVE);
  const hi = Math.min(tMax, best * 2 ** (1 / STEPS_PER_OCTAVE));
  for (let j = 1; j < REFINE_STEPS; j++) consider(lo + ((hi - lo) * j) / REFINE_STEPS);
  return best;
}

/**
 * The clipping range minimizing the expected quantization MSE of the histogram's distribution under `spec`
 * (values spread uniformly inside each bin, sampled at `samplesPerBin` points). Symmetric and float specs search
 * one threshold T (range `[-T, T]` clipped to the observed span); asymmetric specs shrink both ends together,
 * then the low end, then the high end. Min-max is always a candidate.
 */
export function mseRange(h: AlignedHistogram, spec: QuantizationSpec, samplesPerBin: number): [number, number] {
  const lo0 = h.min;
  const hi0 = h.max;
  const amax = Math.max(-lo0, hi0);
  if (lo0 === hi0 || amax === 0) return [lo0, hi0];
  const eq = createElementQuantizer(spec);
  const w = h.width;
  const start = h.offset * w;
  let nonEmpty = 0;
  for (const c of h.counts) if (c > 0) nonEmpty++;
  const pts = new Float64Array(nonEmpty * samplesPerBin);
  const wts = new Float64Array(nonEmpty * samplesPerBin);
  let k = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i] as number;
    if (c === 0) continue;
    for (let j = 0; j < samplesPerBin; j++) {
      const x = start + w * (i + (j + 0.5) / samplesPerBin);
      pts[k] = Math.min(hi0, Math.max(lo0, x));
      wts[k] = c / samplesPerBin;
      k++;
    }
  }
  const err = (lo: number, hi: number): number => {
    const qp = qparamsFromRange([lo], [hi], spec, [1]);
    const s = qp.scales[0] as number;
    const off = qp.zeroPoints?.[0] ?? qp.minvals?.[0] ?? 0;
    let sum = 0;
    for (let i = 0; i < pts.length; i++) {
      const x = pts[i] as number;
      const d = x - eq.dequantize(eq.quantize(x, s, off), s, off);
      sum += (wts[i] as number) * d * d;
    }
    return sum;
  };
  const symmetric = spec.qscheme !== 'asymmetric' || getDType(spec.dtype).kind === 'float';
  const floor = 2 * w;
  const base = err(lo0, hi0);
  // Histogram estimates carry some error; clip only when the estimated gain is clear.
  const keep = (r: [number, number]): [number, number] => (err(r[0], r[1]) < (1 - MIN_GAIN) * base ? r : [lo0, hi0]);
  if (symmetric) {
    const t = search1d((t) => err(...clipSymmetric(lo0, hi0, t)), amax, floor, amax);
    return keep(clipSymmetric(lo0, hi0, t));
  }
  // Quantization always keeps 0 representable, so search over the span extended to include 0.
  const a0 = Math.min(lo0, 0);
  const b0 = Math.max(hi0, 0);
  const p = search1d((p) => err(a0 * p, b0 * p), 1, floor / amax, 1);
  let lo = a0 * p;
  let hi = b0 * p;
  if (a0 < 0) lo = -search1d((t) => err(-t, hi), -a0, floor, -lo);
  if (b0 > 0) hi = search1d((t) => err(lo, t), b0, floor, hi);
  // Report the result inside the observed span (equivalent once 0 is added back).
  return keep(clipToSpan(lo, hi, lo0, hi0));
}

/** `[lo, hi]` intersected with the observed span; collapses to the nearer end when they do not overlap. */
function clipToSpan(lo: number, hi: number, lo0: number, hi0: number): [number, number] {
  let a = Math.max(lo, lo0);
  let b = Math.min(hi, hi0);
  if (a > b) {
    if (lo0 > 0) a = b;
    else b = a;
  }
  return [a, b];
}
