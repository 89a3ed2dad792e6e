import { isQuantError, QuantError } from '@lowbit/dtypes';
import type { DTypeRegistry } from '@lowbit/dtypes';
import {
  assembleQuantizedTensor,
  createElementQuantizer,
  fakeQuantize,
  multiplyAdd,
  qparamsFromRange,
  upperCholeskyOfInverse,
} from '@lowbit/kernels';
import type { ElementQuantizer, Tensor } from '@lowbit/kernels';
import { resolveBlockShape } from '@lowbit/spec';
import type { OpKind, QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import { matrixBlocks } from './_internal/layout.js';
import type { MatrixBlocks } from './_internal/layout.js';
import { quadraticFormSum } from './_internal/proxy-error.js';
import type { HessianAccumulator } from './hessian-accumulator.js';

/** Options of {@link gptqQuantizeLayer}. Defaults follow the reference implementation (IST-DASLab/gptq). */
export interface GptqLayerOptions {
  /** Columns per lazy batch update. @defaultValue 128 */
  readonly blockSize?: number;
  /** Dampening added to the Hessian diagonal, relative to its mean. @defaultValue 0.01 */
  readonly percdamp?: number;
  /** Quantize columns in order of decreasing Hessian diagonal ("act-order", `desc_act`). @defaultValue false */
  readonly actOrder?: boolean;
  /**
   * Compute the parameters of each block of input columns up front from the (unpermuted) weights, on the
   * original column groups, instead of when the quantization reaches the group. Defaults to `actOrder`: with
   * act-order and dynamic groups, a group holds columns that are consecutive in the permuted order, which the
   * shared `QuantizedTensor` form cannot express; the result then comes in permuted column order with
   * `columnPermutation` (see {@link GptqLayerResult}). Has no effect for per-channel and per-tensor specs, whose
   * parameters always come from the original weights.
   * @defaultValue `actOrder`
   */
  readonly staticGroups?: boolean;
  /** Op kind of the weight's consumer, picks the default axes of the spec. @defaultValue `'linear'` for 2-D weights, `'conv'` otherwise */
  readonly opKind?: OpKind;
  /** Cholesky failures retried with 10x the dampening each time. @defaultValue 4 */
  readonly maxRetries?: number;
  /** Layer name used in error messages. */
  readonly name?: string;
  /**
   * Measure the proxy output error `sum_r (w_r - q_r) H (w_r - q_r)^T` of GPTQ and of round-to-nearest with the
   * same spec (each costs about rows * columns^2 / 2 multiply-adds). @defaultValue true
   */
  readonly measureError?: boolean;
  /** Where the spec's dtype is looked up, for dtypes defined outside `@lowbit/dtypes` (int3...). @defaultValue the built-ins */
  readonly registry?: DTypeRegistry;
}

/** Facts about one GPTQ run, for reports. */
export interface GptqLayerStats {
  /**
   * `sum_r (w_r - q_r) H (w_r - q_r)^T` over the rows of the weight matrix for the GPTQ result, with the
   * Hessian as given (undamped): `||W X - Q X||^2 * 2 / samples`. Undefined when `measureError` is false.
   */
  readonly outputErrorGptq: number | undefined;
  /** The same measure for round-to-nearest (kernels' `fakeQuantize`) with the same spec. */
  readonly outputErrorRtn: number | undefined;
  /** Relative dampening finally used (`percdamp` times 10 per retry). */
  readonly percdamp: number;
  /** Absolute value added to the Hessian diagonal: `percdamp * mean(diag H)`. */
  readonly dampening: number;
  /** Cholesky attempts that failed before the one that succeeded. */
  readonly retries: number;
  /** Columns whose Hessian diagonal was 0 (no input signal); their weights were set to 0 before quantizing. */
  readonly deadColumns: number;
  /** Input columns (of the `[rows, columns]` matrix view) sharing one set of parameters. */
  readonly groupSize: number;
  /** Width of the lazy batch updates actually used (aligned to the group size for dynamic groups). */
  readonly blockSize: number;
  /** Whether group parameters were computed up front. */
  readonly staticGroups: boolean;
}

/** What {@link gptqQuantizeLayer} returns. */
export interface GptqLayerResult {
  /**
   * The quantized weight in the shared form (codes + per-block scales / zero points / minvals), same shape as
   * the input weight. Exception: with `actOrder` and `staticGroups: false` on a per-block spec it is the
   * `[rows, columns]` matrix with its columns in `columnPermutation` order.
   */
  readonly quantized: QuantizedTensor;
  /** `dequantize(quantized)` in the weight's original shape and column order. */
  readonly dequantized: Tensor;
  readonly stats: GptqLayerStats;
  /** Present only when `quantized` is column-permuted: column j of `quantized` is column `columnPermutation[j]` of the weight matrix. */
  readonly columnPermutation?: Int32Array;
}

/** Relative pivot floor for the Cholesky factorisation: catches numerically singular Hessians. */
const PIVOT_TOLERANCE = 1e-12;

/** Thrown inside an attempt when the error feedback produced non-finite values. */
class NumericalBreakdown extends Error {}

/**
 * Quantizes one layer weight with GPTQ (Frantar et al. 2022): columns are quantized one at a time, and each
 * column's rounding error is spread over the not yet quantized columns through the inverse Hessian, so the
 * layer output `W X` changes as little as possible on the calibration inputs.
 *
 * `weight` is `[out, in]` (linear) or an N-d weight viewed as `[out, prod(rest)]` (conv `[out, in, kh, kw]`
 * -> `[out, in * kh * kw]`, matching unfolded input patches); `hessian` is the matching columns x columns
 * matrix (a {@link HessianAccumulator} or its row-major Float64Array; only the lower triangle is read, nothing is
 * modified). The spec may be any integer or float dtype and scheme the kernels accept, with per-tensor,
 * per-channel (axis 0) or per-block-along-the-input-axis granularity.
 *
 * Steps: dead columns (H_ii = 0 -> H_ii = 1, W[:, i] = 0); optional act-order permutation; dampening
 * `percdamp * mean(diag H)`; `U = cholesky(H^-1).upper`; for each batch of `blockSize` columns, for each column
 * j: quantize, `err = (w_j - q_j) / U_jj`, update the batch's later columns by `err * U[j, :]`; then the rest
 * of the matrix at once, `W[:, later] -= Err U[batch, later]`. A failed Cholesky retries with 10x dampening.
 *
 * @example
 * ```ts
 * const acc = createHessianAccumulator(512);
 * for (const batch of inputs) acc.add(batch, batch.length / 512);
 * const { quantized, stats } = gptqQuantizeLayer(weight, acc, getPreset('w4').global!);
 * stats.outputErrorGptq < stats.outputErrorRtn!; // usually by 20-60 % at 4 bits
 * ```
 * @throws QuantError `GPTQ_INVALID_ARGUMENT` for malformed weights, Hessians or options;
 *   `GPTQ_NUMERICAL_FAILURE` (naming the layer) when the Hessian stays non positive definite after every retry;
 *   the spec's `SPEC_*` / `KERNELS_*` errors for specs the kernels reject.
 */
export function gptqQuantizeLayer(
  weight: Tensor,
  hessian: HessianAccumulator | Float64Array,
  spec: QuantizationSpec,
  options: GptqLayerOptions = {},
): GptqLayerResult {
  const fn = 'gptqQuantizeLayer';
  const where = options.name === undefined ? fn : `${fn} (layer '${options.name}')`;
  const shape = checkWeight(where, weight);
  const opKind: OpKind = options.opKind ?? (shape.length === 2 ? 'linear' : 'conv');
  const blockShape = resolveBlockShape(spec, shape, opKind);
  const layout = matrixBlocks(where, shape, blockShape);
  const { rows, columns: n } = layout;
  const h = hessianArray(where, hessian, n);
  const blockSize = positiveInteger(where, 'blockSize', options.blockSize ?? 128);
  const maxRetries = nonNegativeInteger(where, 'maxRetries', options.maxRetries ?? 4);
  const percdamp = options.percdamp ?? 0.01;
  if (!Number.isFinite(percdamp) || percdamp < 0) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `${where}: percdamp must be a finite number >= 0, got ${String(percdamp)}`,
    );
  }
  const actOrder = options.actOrder ?? false;
  const wholeRow = layout.group === n;
  const staticGroups = wholeRow || (options.staticGroups ?? actOrder);
  const eq = createElementQuantizer(spec, options.registry ? { registry: options.registry } : {});

  const w = Float64Array.from(weight.data);
  const params = new GroupParams(layout, spec, options.registry);
  // Per-channel / per-tensor: parameters from the original weights, before dead columns are zeroed (reference).
  if (wholeRow) params.computeAll(w, n);

  // Dead columns and the (permuted) working Hessian.
  let deadColumns = 0;
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    diag[i] = h[i * n + i]!;
    if (diag[i] === 0) {
      deadColumns++;
      diag[i] = 1;
      for (let r = 0; r < rows; r++) w[r * n + i] = 0;
    }
  }
  if (staticGroups && !wholeRow) params.computeAll(w, n);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  // Stable sort by decreasing diagonal: ties keep their index order, so results are deterministic.
  if (actOrder) perm.sort((a, b) => diag[b]! - diag[a]! || a - b);
  const hp = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const src = perm[i]! * n;
    const dst = i * n;
    for (let j = 0; j <= i; j++) {
      const pj = perm[j]!;
      // lower-triangle read of h at (perm[i], perm[j])
      hp[dst + j] = perm[i]! >= pj ? h[src + pj]! : h[pj * n + perm[i]!]!;
    }
  }
  const diagP = new Float64Array(n);
  let meanDiag = 0;
  for (let i = 0; i < n; i++) {
    diagP[i] = diag[perm[i]!]!;
    meanDiag += diagP[i]!;
  }
  meanDiag /= n;
  const wp = new Float64Array(rows * n);

  let pd = percdamp;
  let retries = 0;
  for (;;) {
    const damp = pd * meanDiag;
    for (let i = 0; i < n; i++) hp[i * n + i] = diagP[i]! + damp;
    let failure: unknown;
    try {
      const u = upperCholeskyOfInverse(hp, n, { pivotTolerance: PIVOT_TOLERANCE });
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        for (let j = 0; j < n; j++) wp[o + j] = w[o + perm[j]!]!;
      }
      const run = quantizeColumns(wp, u, layout, params, eq, perm, staticGroups, blockSize);
      const result = assemble(
        where,
        weight,
        spec,
        opKind,
        blockShape,
        layout,
        params,
        run,
        perm,
        actOrder && !staticGroups,
        options.registry,
      );
      let outputErrorGptq: number | undefined;
      let outputErrorRtn: number | undefined;
      if (options.measureError ?? true) {
        const d = new Float64Array(rows * n);
        for (let i = 0; i < d.length; i++) d[i] = weight.data[i]! - result.dequantized.data[i]!;
        outputErrorGptq = quadraticFormSum(h, d, rows, n);
        const rtn = fakeQuantize(weight, spec, { opKind, ...(options.registry ? { registry: options.registry } : {}) });
        for (let i = 0; i < d.length; i++) d[i] = weight.data[i]! - rtn.data[i]!;
        outputErrorRtn = quadraticFormSum(h, d, rows, n);
      }
      const stats: GptqLayerStats = {
        outputErrorGptq,
        outputErrorRtn,
        percdamp: pd,
        dampening: damp,
        retries,
        deadColumns,
        groupSize: layout.group,
        blockSize: run.blockSize,
        staticGroups,
      };
      return { ...result, stats };
    } catch (error) {
      if (error instanceof NumericalBreakdown) failure = error;
      else if (isQuantError(error) && error.code === 'KERNELS_NOT_POSITIVE_DEFINITE') failure = error;
      else throw error;
    }
    if (retries >= maxRetries) {
      throw new QuantError(
        'GPTQ_NUMERICAL_FAILURE',
        `${where}: the dampened Hessian is not positive definite even with percdamp = ${pd} after ${retries} ` +
          `retries (${failure instanceof Error ? failure.message : String(failure)}); check the calibration inputs ` +
          `or raise percdamp / maxRetries`,
        {
          cause: failure,
          details: { percdamp: pd, retries, ...(options.name === undefined ? {} : { layer: options.name }) },
        },
      );
    }
    retries++;
    pd = pd > 0 ? pd * 10 : 0.01;
    // Retrying replaces the parameters of dynamic groups, which were computed during the failed attempt.
  }
}

/** Codes and dequantized values of the permuted matrix. */
interface ColumnRun {
  readonly codes: Int32Array;
  readonly values: Float32Array;
  readonly blockSize: number;
}

/**
 * The GPTQ column loop on the permuted matrix `wp` (modified in place) with the upper inverse-Hessian factor `u`.
 */
function quantizeColumns(
  wp: Float64Array,
  u: Float64Array,
  layout: MatrixBlocks,
  params: GroupParams,
  eq: ElementQuantizer,
  perm: Int32Array,
  staticGroups: boolean,
  requestedBlock: number,
): ColumnRun {
  const { rows, columns: n, rowBlock, group } = layout;
  const groupsPerRow = n / group;
  // Dynamic groups must not straddle lazy batches, so that each group's parameters see every earlier update.
  const blockSize = staticGroups ? Math.min(requestedBlock, n) : alignedBlockSize(requestedBlock, group);
  const codes = new Int32Array(rows * n);
  const values = new Float32Array(rows * n);
  const err = new Float64Array(rows * blockSize);
  const scales = params.scales;
  const offsets = params.offsets;
  for (let i1 = 0; i1 < n; i1 += blockSize) {
    const i2 = Math.min(n, i1 + blockSize);
    for (let s = i1; s < i2;) {
      let e = i2;
      if (!staticGroups) {
        if (s % group === 0) params.computeGroup(wp, n, s, s / group);
        e = Math.min(i2, (Math.floor(s / group) + 1) * group);
      }
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        const pBase = Math.floor(r / rowBlock) * groupsPerRow;
        const eo = r * blockSize - i1;
        for (let j = s; j < e; j++) {
          const p = pBase + Math.floor((staticGroups ? perm[j]! : j) / group);
          const scale = scales[p]!;
          const offset = offsets[p]!;
          const x = wp[o + j]!;
          const code = eq.quantize(x, scale, offset);
          const q = eq.dequantize(code, scale, offset);
          codes[o + j] = code;
          values[o + j] = q;
          const ej = (x - q) / u[j * n + j]!;
          err[eo + j] = ej;
          const uj = j * n;
          for (let c = j + 1; c < i2; c++) wp[o + c] = wp[o + c]! - ej * u[uj + c]!;
        }
      }
      s = e;
    }
    const width = i2 - i1;
    for (let r = 0; r < rows; r++) {
      const eo = r * blockSize;
      for (let t = 0; t < width; t++) {
        if (!Number.isFinite(err[eo + t]!))
          throw new NumericalBreakdown(`non-finite error feedback at column ${i1 + t}`);
      }
    }
    if (i2 < n) {
      multiplyAdd(
        { data: wp, rows, columns: n - i2, offset: i2, stride: n },
        { data: err, rows, columns: width, stride: blockSize },
        { data: u, rows: width, columns: n - i2, offset: i1 * n + i2, stride: n },
        -1,
      );
    }
  }
  return { codes, values, blockSize };
}

/** Largest block size <= requested that is a multiple of the group (group <= requested) or divides it. */
function alignedBlockSize(requested: number, group: number): number {
  if (group <= requested) return Math.floor(requested / group) * group;
  for (let b = requested; b > 1; b--) if (group % b === 0) return b;
  return 1;
}

/** Scales and offsets (zero point, minval, or 0 for float dtypes) of every parameter block of the matrix view. */
class GroupParams {
  readonly scales: Float32Array;
  readonly offsets: Float64Array;
  readonly zeroPoints: Int32Array | undefined;
  readonly minvals: Float32Array | undefined;
  readonly #layout: MatrixBlocks;
  readonly #spec: QuantizationSpec;
  readonly #registry: DTypeRegistry | undefined;
  readonly #min: Float64Array;
  readonly #max: Float64Array;

  constructor(layout: MatrixBlocks, spec: QuantizationSpec, registry: DTypeRegistry | undefined) {
    const blocks = (layout.rows / layout.rowBlock) * (layout.columns / layout.group);
    this.#layout = layout;
    this.#spec = spec;
    this.#registry = registry;
    this.scales = new Float32Array(blocks);
    this.offsets = new Float64Array(blocks);
    this.minvals = spec.qformulation === 'minval' ? new Float32Array(blocks) : undefined;
    this.zeroPoints = spec.qformulation === 'minval' ? undefined : new Int32Array(blocks);
    this.#min = new Float64Array(layout.rows / layout.rowBlock);
    this.#max = new Float64Array(layout.rows / layout.rowBlock);
  }

  /** Parameters of every group from `w` in original column order. */
  computeAll(w: Float64Array, n: number): void {
    const groups = n / this.#layout.group;
    for (let g = 0; g < groups; g++) this.computeGroup(w, n, g * this.#layout.group, g);
  }

  /** Parameters of column group `g` (all row blocks) from columns `start .. start + group` of `w`. */
  computeGroup(w: Float64Array, n: number, start: number, g: number): void {
    const { rows, rowBlock, group, columns } = this.#layout;
    const mins = this.#min.fill(Infinity);
    const maxs = this.#max.fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      const b = Math.floor(r / rowBlock);
      const o = r * n + start;
      let lo = mins[b]!;
      let hi = maxs[b]!;
      for (let c = 0; c < group; c++) {
        const v = w[o + c]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      mins[b] = lo;
      maxs[b] = hi;
    }
    const qp = qparamsFromRange(mins, maxs, this.#spec, [rowBlock, group], this.#registry);
    const groupsPerRow = columns / group;
    for (let b = 0; b < mins.length; b++) {
      const p = b * groupsPerRow + g;
      this.scales[p] = qp.scales[b]!;
      if (this.minvals !== undefined) {
        const m = qp.minvals?.[b] ?? 0;
        this.minvals[p] = m;
        this.offsets[p] = m;
      } else {
        const z = qp.zeroPoints?.[b] ?? 0;
        this.zeroPoints![p] = z;
        this.offsets[p] = z;
      }
    }
  }
}

/** Un-permutes (or not) and packs the result. */
function assemble(
  where: string,
  weight: Tensor,
  spec: QuantizationSpec,
  opKind: OpKind,
  blockShape: readonly number[],
  layout: MatrixBlocks,
  params: GroupParams,
  run: ColumnRun,
  perm: Int32Array,
  permuted: boolean,
  registry: DTypeRegistry | undefined,
): Omit<GptqLayerResult, 'stats'> {
  const { rows, columns: n } = layout;
  const values = new Float32Array(rows * n);
  const codes = permuted ? run.codes : new Int32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      const dst = o + perm[j]!;
      values[dst] = run.values[o + j]!;
      if (!permuted) codes[dst] = run.codes[o + j]!;
    }
  }
  const zeroPoints = params.zeroPoints?.some((z) => z !== 0) ? params.zeroPoints : undefined;
  const registryOption = registry ? { registry } : {};
  const common = {
    codes,
    scales: params.scales,
    ...(zeroPoints === undefined ? {} : { zeroPoints }),
    ...(params.minvals === undefined ? {} : { minvals: params.minvals }),
  };
  let quantized: QuantizedTensor;
  try {
    quantized = permuted
      ? assembleQuantizedTensor({
          ...common,
          spec: { ...spec, granularity: { type: 'per_block', blockSize: [layout.rowBlock, layout.group] } },
          shape: [rows, n],
          blockShape: [layout.rowBlock, layout.group],
          ...registryOption,
        })
      : assembleQuantizedTensor({ ...common, spec, shape: weight.shape, blockShape, opKind, ...registryOption });
  } catch (cause) {
    throw new QuantError('GPTQ_NUMERICAL_FAILURE', `${where}: could not assemble the quantized tensor`, { cause });
  }
  const dequantized: Tensor = { data: values, shape: [...weight.shape] };
  return permuted ? { quantized, dequantized, columnPermutation: perm } : { quantized, dequantized };
}

function checkWeight(where: string, weight: Tensor): readonly number[] {
  const t = weight as Partial<Tensor> | null;
  if (typeof t !== 'object' || t === null || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
    throw new QuantError('GPTQ_INVALID_ARGUMENT', `${where}: weight must be a Tensor { data: Float32Array, shape }`);
  }
  const shape = t.shape as readonly number[];
  if (shape.length < 2 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `${where}: weight shape [${shape.join(', ')}] must have rank >= 2 ([out, in] or [out, in, kh, kw]) with positive dims`,
    );
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `${where}: weight shape [${shape.join(', ')}] has ${size} elements but data has ${t.data.length}`,
    );
  }
  for (let i = 0; i < size; i++) {
    const v = t.data[i]!;
    if (v - v !== 0) {
      throw new QuantError(
        'GPTQ_INVALID_ARGUMENT',
        `${where}: weight.data[${i}] is ${String(v)}; weights must be finite`,
        {
          details: { index: i },
        },
      );
    }
  }
  return shape;
}

function hessianArray(where: string, hessian: HessianAccumulator | Float64Array, n: number): Float64Array {
  const h = hessian instanceof Float64Array ? hessian : (hessian as Partial<HessianAccumulator> | null)?.hessian;
  if (!(h instanceof Float64Array)) {
    throw new QuantError('GPTQ_INVALID_ARGUMENT', `${where}: hessian must be a HessianAccumulator or a Float64Array`);
  }
  if (h.length !== n * n) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `${where}: hessian has ${h.length} entries but the weight has ${n} input columns (expected ${n} x ${n} = ${n * n})`,
      { details: { columns: n, length: h.length } },
    );
  }
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    if (v - v !== 0) {
      throw new QuantError(
        'GPTQ_INVALID_ARGUMENT',
        `${where}: hessian[${i}] is ${String(v)}; the Hessian must be finite`,
      );
    }
  }
  if (hessian instanceof Float64Array) return h;
  if ((hessian as HessianAccumulator).count === 0) {
    throw new QuantError(
      'GPTQ_INVALID_ARGUMENT',
      `${where}: the Hessian accumulator is empty; add calibration inputs first`,
    );
  }
  return h;
}

function positiveInteger(where: string, name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new QuantError('GPTQ_INVALID_ARGUMENT', `${where}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function nonNegativeInteger(where: string, name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new QuantError('GPTQ_INVALID_ARGUMENT', `${where}: ${name} must be an integer >= 0, got ${String(v)}`);
  }
  return v;
}
