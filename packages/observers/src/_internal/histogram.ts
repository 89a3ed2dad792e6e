import { QuantError } from '@lowbit/dtypes';

/** Smallest bin-width exponent: the width used when every observed value is 0. */
export const MIN_EXPONENT = -126;
/** Bins are never narrower than `2^(floor(log2(max|x|)) - RESOLUTION_FLOOR)`. */
const RESOLUTION_FLOOR = 40;
/** Largest bin-width exponent (float64 still represents every bin edge). */
const MAX_EXPONENT = 1000;

/** Serialized histogram. `counts[i]` is the count of global bin `offset + i`. */
export interface HistogramState {
  readonly bins: number;
  readonly exponent: number;
  readonly offset: number;
  readonly counts: readonly number[];
  readonly total: number;
  readonly min: number;
  readonly max: number;
}

function floorExponent(amax: number): number {
  if (amax === 0) return MIN_EXPONENT;
  return Math.max(MIN_EXPONENT, Math.floor(Math.log2(amax)) - RESOLUTION_FLOOR);
}

/** Number of aligned bins of width 2^e spanned by [lo, hi]. */
function span(lo: number, hi: number, e: number): number {
  const w = 2 ** e;
  return Math.floor(hi / w) - Math.floor(lo / w) + 1;
}

/**
 * A fixed-capacity histogram on a power-of-two grid anchored at 0.
 *
 * Bin `g` (a global integer index) covers `[g * w, (g + 1) * w)` with `w = 2^exponent`. The histogram keeps
 * `bins` consecutive bins starting at `offset = floor(min / w)`. The exponent is always the smallest integer
 * that (a) is at least `floorExponent(max|x|)` and (b) lets `[min, max]` fit in `bins` aligned bins. Both
 * conditions only depend on the set of values seen (not on their order), and coarsening a power-of-two grid
 * merges whole bins (`floor(floor(x / w) / 2^d) = floor(x / (w 2^d))`), so the counts after any sequence of
 * `add` and `merge` calls are exactly those of one `add` of all values: merged equals sequential, bit for bit.
 */
export class AlignedHistogram {
  readonly bins: number;
  exponent = MIN_EXPONENT;
  offset = 0;
  counts: Float64Array;
  total = 0;
  min = Infinity;
  max = -Infinity;

  constructor(bins: number) {
    this.bins = bins;
    this.counts = new Float64Array(bins);
  }

  /** Bin width. */
  get width(): number {
    return 2 ** this.exponent;
  }

  reset(): void {
    this.exponent = MIN_EXPONENT;
    this.offset = 0;
    this.counts.fill(0);
    this.total = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  private requiredExponent(lo: number, hi: number, start: number): number {
    let e = Math.max(start, floorExponent(Math.max(-lo, hi)));
    while (span(lo, hi, e) > this.bins) e++;
    return e;
  }

  /** Moves the counts to exponent `e` (>= current) and window start `offset`. */
  private rebase(e: number, offset: number): void {
    if (e === this.exponent && offset === this.offset) return;
    const next = new Float64Array(this.bins);
    if (this.total > 0) accumulate(next, offset, this.counts, this.offset, 2 ** (e - this.exponent));
    this.counts = next;
    this.exponent = e;
    this.offset = offset;
  }

  /** Adds finite values whose minimum and maximum are `lo` and `hi`. */
  add(data: ArrayLike<number>, lo: number, hi: number): void {
    if (data.length === 0) return;
    const newMin = Math.min(this.min, lo);
    const newMax = Math.max(this.max, hi);
    const e = this.requiredExponent(newMin, newMax, this.total > 0 ? this.exponent : MIN_EXPONENT);
    this.rebase(e, Math.floor(newMin / 2 ** e));
    const inv = 2 ** -e;
    const counts = this.counts;
    const off = this.offset;
    for (let i = 0; i < data.length; i++) {
      const k = Math.floor((data[i] as number) * inv) - off;
      counts[k] = (counts[k] as number) + 1;
    }
    this.total += data.length;
    this.min = newMin;
    this.max = newMax;
  }

  /** Adds the counts of another histogram of the same capacity. */
  merge(other: AlignedHistogram): void {
    if (other.total === 0) return;
    const newMin = Math.min(this.min, other.min);
    const newMax = Math.max(this.max, other.max);
    const start = this.total > 0 ? Math.max(this.exponent, other.exponent) : other.exponent;
    const e = this.requiredExponent(newMin, newMax, start);
    this.rebase(e, Math.floor(newMin / 2 ** e));
    accumulate(this.counts, this.offset, other.counts, other.offset, 2 ** (e - other.exponent));
    this.total += other.total;
    this.min = newMin;
    this.max = newMax;
  }

  copyFrom(other: AlignedHistogram): void {
    this.exponent = other.exponent;
    this.offset = other.offset;
    this.counts = other.counts.slice();
    this.total = other.total;
    this.min = other.min;
    this.max = other.max;
  }

  /**
   * Value below which a fraction `q` of the observations lie: the bin holding the observation of rank
   * `ceil(q * total)` (1-based), interpolated linearly inside it, clamped to [min, max]. Always within one bin
   * width of that observation.
   */
  quantile(q: number): number {
    return quantileOf(this.counts, this.offset * this.width, this.width, this.total, q, this.min, this.max);
  }

  /** Quantile of |x|, from the histogram folded around 0 (the grid is anchored at 0, so folding is exact). */
  absQuantile(q: number): number {
    const { start, width, counts } = this.absCounts(false);
    const amax = Math.max(-this.min, this.max);
    const amin = this.min <= 0 && this.max >= 0 ? 0 : Math.min(Math.abs(this.min), Math.abs(this.max));
    return quantileOf(counts, start * width, width, this.total, q, amin, amax);
  }

  /**
   * Counts of |x| on the grid `[j w', (j + 1) w')`, `w' = w 2^k`, for j = start .. start + counts.length - 1.
   * `k` is the smallest coarsening that fits the window in `maxBins` bins when starting at 0 is required
   * (`fromZero`, start = 0), else 0 (the window starts at the first non-empty bin).
   */
  absCounts(fromZero: boolean, maxBins = this.bins): { start: number; width: number; counts: Float64Array } {
    const amax = Math.max(-this.min, this.max);
    const crosses = this.min <= 0 && this.max >= 0;
    const amin = crosses ? 0 : Math.min(Math.abs(this.min), Math.abs(this.max));
    let factor = 1;
    let start = Math.floor(amin / this.width);
    if (fromZero) {
      start = 0;
      while (Math.floor(amax / (this.width * factor)) + 1 > maxBins) factor *= 2;
    }
    const width = this.width * factor;
    const n = Math.floor(amax / width) - start + 1;
    const out = new Float64Array(n);
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i] as number;
      if (c === 0) continue;
      const g = this.offset + i;
      const j = Math.floor((g >= 0 ? g : -g - 1) / factor) - start;
      out[j] = (out[j] as number) + c;
    }
    return { start, width, counts: out };
  }

  toState(): HistogramState {
    let len = this.counts.length;
    while (len > 0 && this.counts[len - 1] === 0) len--;
    return {
      bins: this.bins,
      exponent: this.exponent,
      offset: this.offset,
      counts: Array.from(this.counts.subarray(0, len)),
      total: this.total,
      min: this.total > 0 ? this.min : 0,
      max: this.total > 0 ? this.max : 0,
    };
  }

  /** Loads a serialized state, checking every invariant; `where` names the caller in errors. */
  loadState(state: unknown, where: string): void {
    const s = state as Partial<HistogramState> | null;
    const bad = (what: string): never => {
      throw new QuantError('OBSERVER_INVALID_STATE', `${where}: histogram state ${what}`);
    };
    if (typeof s !== 'object' || s === null) bad('is not an object');
    if (s!.bins !== this.bins) bad(`has bins=${String(s!.bins)}, expected ${this.bins}`);
    const { exponent, offset, counts, total, min, max } = s!;
    if (!Number.isInteger(exponent) || exponent! < MIN_EXPONENT || exponent! > MAX_EXPONENT) {
      bad(`exponent ${String(exponent)} is not an integer in [${MIN_EXPONENT}, ${MAX_EXPONENT}]`);
    }
    if (!Number.isSafeInteger(offset)) bad(`offset ${String(offset)} is not a safe integer`);
    if (!Array.isArray(counts) || counts.length > this.bins)
      bad(`counts must be an array of at most ${this.bins} numbers`);
    let sum = 0;
    for (const c of counts!) {
      if (!Number.isSafeInteger(c) || c < 0) bad(`counts hold ${String(c)}, expected non-negative integers`);
      sum += c as number;
    }
    if (total !== sum) bad(`total ${String(total)} differs from the sum of counts ${sum}`);
    if (sum > 0) {
      if (!Number.isFinite(min) || !Number.isFinite(max) || min! > max!)
        bad(`min/max ${String(min)}/${String(max)} are not a finite ordered pair`);
      const w = 2 ** exponent!;
      if (Math.floor(min! / w) !== offset) bad(`offset ${String(offset)} is not floor(min / 2^exponent)`);
      if (span(min!, max!, exponent!) > this.bins) bad('min/max do not fit the bins at this exponent');
    }
    this.reset();
    if (sum === 0) return;
    this.exponent = exponent!;
    this.offset = offset!;
    this.counts.set(counts!);
    this.total = sum;
    this.min = min!;
    this.max = max!;
  }
}

/** Adds `src` (window start `srcOffset`) into `dst` (window start `dstOffset`), coarsening by `factor`. */
function accumulate(dst: Float64Array, dstOffset: number, src: Float64Array, srcOffset: number, factor: number): void {
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0) continue;
    const k = Math.floor((srcOffset + i) / factor) - dstOffset;
    dst[k] = (dst[k] as number) + c;
  }
}

function quantileOf(
  counts: Float64Array,
  start: number,
  width: number,
  total: number,
  q: number,
  lo: number,
  hi: number,
): number {
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c > 0 && cum + c >= rank) {
      const v = start + width * (i + (rank - cum) / c);
      return Math.min(hi, Math.max(lo, v));
    }
    cum += c;
  }
  return hi;
}
