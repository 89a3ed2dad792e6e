import type { AlignedHistogram } from './histogram.js';

const SMOOTH_EPS = 1e-4;

/**
 * TensorRT-style KL threshold search on the |x| histogram. For each candidate end bin `i` (from `quantizedBins`
 * to the last bin): the reference P is the first i bins with all the mass beyond folded into the last one; the
 * candidate Q merges the *unclipped* first i bins into `quantizedBins` groups and spreads each group's mass over
 * its non-empty positions. Both are smoothed (zeros get 1e-4, taken from the non-zeros) and normalized; the
 * threshold is `i * binWidth` for the i with the smallest KL(P || Q) (the largest such i on ties). The first bin
 * takes the count of the second, which keeps a spike of exact zeros (ReLU outputs) from dominating.
 */
export function klThreshold(h: AlignedHistogram, quantizedBins: number): number {
  const { width: w, counts: abs } = h.absCounts(true);
  const n = abs.length;
  // The first bin holds every exact zero (a spike after ReLU); like NVIDIA's pytorch-quantization, give it the
  // count of its neighbour so the spike does not dominate the divergence.
  if (n > 1) abs[0] = abs[1] as number;
  const amax = Math.max(-h.min, h.max);
  if (n <= quantizedBins) return amax;
  const tail = new Float64Array(n + 1);
  for (let j = n - 1; j >= 0; j--) tail[j] = (tail[j + 1] as number) + (abs[j] as number);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  let bestI = n;
  let bestKl = Infinity;
  for (let i = quantizedBins; i <= n; i++) {
    for (let j = 0; j < i; j++) p[j] = abs[j] as number;
    p[i - 1] = (p[i - 1] as number) + (tail[i] as number);
    // Merge the unclipped bins into quantizedBins groups and expand back over non-empty positions of P.
    let j0 = 0;
    for (let t = 0; t < quantizedBins; t++) {
      const j1 = Math.ceil(((t + 1) * i) / quantizedBins);
      let sum = 0;
      let nz = 0;
      for (let j = j0; j < j1; j++) {
        sum += abs[j] as number;
        if ((p[j] as number) > 0) nz++;
      }
      const v = nz > 0 ? sum / nz : 0;
      for (let j = j0; j < j1; j++) q[j] = (p[j] as number) > 0 ? v : 0;
      j0 = j1;
    }
    const kl = smoothedKl(p, q, i);
    if (kl <= bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return Math.min(amax, bestI * w);
}

/** KL(P || Q) over the first `len` entries after the MXNet/TensorRT smoothing; Infinity if Q is all zero. */
function smoothedKl(p: Float64Array, q: Float64Array, len: number): number {
  let pZeros = 0;
  let qZeros = 0;
  let pSum = 0;
  let qSum = 0;
  for (let j = 0; j < len; j++) {
    if (p[j] === 0) pZeros++;
    if (q[j] === 0) qZeros++;
    pSum += p[j] as number;
    qSum += q[j] as number;
  }
  if (qSum === 0 || qZeros === len || pZeros === len) return Infinity;
  const pTake = (SMOOTH_EPS * pZeros) / (len - pZeros);
  const qTake = (SMOOTH_EPS * qZeros) / (len - qZeros);
  // Smoothing moves mass between entries but keeps each total.
  let kl = 0;
  for (let j = 0; j < len; j++) {
    const pj = p[j] === 0 ? SMOOTH_EPS : (p[j] as number) - pTake;
    const qj = q[j] === 0 ? SMOOTH_EPS : (q[j] as number) - qTake;
    if (pj <= 0) continue;
    kl += (pj / pSum) * Math.log(pj / pSum / (Math.max(qj, Number.MIN_VALUE) / qSum));
  }
  return kl;
}
