import { QuantError } from '@lowbit/dtypes';
import { symmetricRankKUpdate } from '@lowbit/kernels';

/** Plain-data snapshot of a {@link HessianAccumulator} (JSON-able), for checkpoints or sending between workers. */
export interface HessianState {
  readonly version: 1;
  /** Width of the layer input (the Hessian is columns x columns). */
  readonly columns: number;
  /** Number of input rows accumulated. */
  readonly count: number;
  /** Row-major running average `H = (2 / count) * sum x x^T`, columns * columns numbers. */
  readonly hessian: readonly number[];
}

/**
 * Running GPTQ Hessian of one layer: `H = (2 / n) * sum over input rows x of x x^T`, in float64.
 *
 * Feed it the layer's input activations batch by batch (`[rows, columns]`, row-major; for a convolution, the
 * unfolded patches). Like the reference implementation it keeps the average, not the sum: each batch of `m`
 * rows rescales `H *= n / (n + m)` and adds `(2 / (n + m)) X^T X`. Accumulators fed with disjoint parts of the
 * calibration data (different workers) combine with {@link HessianAccumulator.merge}, weighted by their counts,
 * into the same matrix as one accumulator fed with everything (up to float64 rounding).
 */
export interface HessianAccumulator {
  /** Width of the layer input. */
  readonly columns: number;
  /** Input rows accumulated so far. */
  readonly count: number;
  /** The current Hessian (row-major columns x columns, exactly symmetric). A live view: copy it to keep it. */
  readonly hessian: Float64Array;
  /**
   * Adds a batch of `rows` input rows (`x.length === rows * columns`).
   * @throws QuantError `GPTQ_INVALID_ARGUMENT` for a wrong length or NaN / Infinity in `x`.
   */
  add(x: Float32Array | Float64Array, rows: number): void;
  /**
   * Folds another accumulator of the same width into this one (count-weighted average).
   * @throws QuantError `GPTQ_INVALID_ARGUMENT` when the widths differ or `other` is this accumulator.
   */
  merge(other: HessianAccumulator): void;
  /** A JSON-able snapshot; restore it with {@link restoreHessianAccumulator}. */
  toJSON(): HessianState;
}

/**
 * Creates an empty {@link HessianAccumulator} for a layer whose input has `columns` features.
 *
 * @example
 * ```ts
 * const acc = createHessianAccumulator(3);
 * acc.add(Float32Array.of(1, 0, 2, 0, 1, 0), 2); // two input rows
 * acc.hessian; // (2 / 2) * ([1,0,2]^T [1,0,2] + [0,1,0]^T [0,1,0])
 * ```
 * @throws QuantError `GPTQ_INVALID_ARGUMENT` unless `columns` is a positive integer.
 */
export function createHessianAccumulator(columns: number): HessianAccumulator {
  if (!Number.isSafeInteger(columns) || columns <= 0) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `createHessianAccumulator: columns must be a positive integer, got ${String(columns)}`,
    );
  }
  return new Accumulator(columns, new Float64Array(columns * columns), 0);
}

/**
 * Rebuilds an accumulator from {@link HessianAccumulator.toJSON} output.
 * @throws QuantError `GPTQ_INVALID_ARGUMENT` for a malformed state.
 */
export function restoreHessianAccumulator(state: HessianState): HessianAccumulator {
  const fn = 'restoreHessianAccumulator';
  const s = state as Partial<HessianState> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    s.version !== 1 ||
    !Number.isSafeInteger(s.columns) ||
    (s.columns ?? 0) <= 0 ||
    !Number.isSafeInteger(s.count) ||
    (s.count ?? -1) < 0 ||
    !Array.isArray(s.hessian) ||
    s.hessian.length !== (s.columns ?? 0) ** 2
  ) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `${fn}: expected { version: 1, columns > 0, count >= 0, hessian: columns^2 numbers }`,
    );
  }
  const h = Float64Array.from(s.hessian as readonly number[]);
  for (let i = 0; i < h.length; i++) {
    if (!Number.isFinite(h[i]!)) {
      throw new QuantError('GPTQ_INVALID_ARGUMENT', `${fn}: hessian[${i}] is ${String(h[i])}; entries must be finite`);
    }
  }
  return new Accumulator(s.columns as number, h, s.count as number);
}

class Accumulator implements HessianAccumulator {
  readonly columns: number;
  readonly hessian: Float64Array;
  #count: number;

  constructor(columns: number, hessian: Float64Array, count: number) {
    this.columns = columns;
    this.hessian = hessian;
    this.#count = count;
  }

  get count(): number {
    return this.#count;
  }

  add(x: Float32Array | Float64Array, rows: number): void {
    const fn = 'HessianAccumulator.add';
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new QuantError('GPTQ_INVALID_ARGUMENT', `${fn}: rows must be an integer >= 0, got ${String(rows)}`);
    }
    if (!(x instanceof Float32Array || x instanceof Float64Array) || x.length !== rows * this.columns) {
      throw new QuantError(
        'GPTQ_INVALID_ARGUMENT',
        `${fn}: x must be a Float32Array or Float64Array of rows * columns = ${rows} * ${this.columns} = ` +
          `${rows * this.columns} elements, got ${x instanceof Float32Array || x instanceof Float64Array ? x.length : typeof x}`,
      );
    }
    if (rows === 0) return;
    // Check before touching H so a bad batch leaves the accumulator unchanged.
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v - v !== 0) {
        throw new QuantError(
          'GPTQ_INVALID_ARGUMENT',
          `${fn}: x[${i}] (row ${Math.floor(i / this.columns)}, column ${i % this.columns}) is ${String(v)}; ` +
            `layer inputs must be finite`,
          { details: { index: i } },
        );
      }
    }
    const total = this.#count + rows;
    const h = this.hessian;
    if (this.#count > 0) {
      const keep = this.#count / total;
      for (let i = 0; i < h.length; i++) h[i] = h[i]! * keep;
    }
    symmetricRankKUpdate(h, x, rows, this.columns, 2 / total);
    this.#count = total;
  }

  merge(other: HessianAccumulator): void {
    const fn = 'HessianAccumulator.merge';
    if (other === this) {
      throw new QuantError('GPTQ_INVALID_ARGUMENT', `${fn}: cannot merge an accumulator into itself`);
    }
    if (other.columns !== this.columns) {
      throw new QuantError(
        'GPTQ_INVALID_ARGUMENT',
        `${fn}: accumulators have ${this.columns} and ${other.columns} columns; only equal widths merge`,
      );
    }
    if (other.count === 0) return;
    const total = this.#count + other.count;
    const a = this.#count / total;
    const b = other.count / total;
    const h = this.hessian;
    const o = other.hessian;
    for (let i = 0; i < h.length; i++) h[i] = a * h[i]! + b * o[i]!;
    this.#count = total;
  }

  toJSON(): HessianState {
    return { version: 1, columns: this.columns, count: this.#count, hessian: Array.from(this.hessian) };
  }
}
