import { QuantError } from '@lowbit/dtypes';
import { validateConfig } from '@lowbit/spec';
import type { QuantizationConfig, QuantizedTensor } from '@lowbit/spec';
import type { PtqReport, PtqTensorReport } from './ptq-report.js';
import type { WeightTensor } from './weight-tensor.js';
import { WeightSession } from './_internal/weight-session.js';
import type { SessionOptions } from './_internal/weight-session.js';

/** Options of the opt-in weight-range search. */
export interface RangeSearchOptions {
  /** Candidate ratios are `1 - k / grid`. @defaultValue 100 */
  readonly grid?: number;
  /** Largest shrink tried: ratios go down to `1 - maxShrink` (exclusive). @defaultValue 0.8 */
  readonly maxShrink?: number;
}

/** Progress callback argument: called once per input tensor, after it is done. */
export interface PtqProgress {
  /** 0-based position of the tensor just processed. */
  readonly index: number;
  /** Number of tensors, when known (arrays, or `options.total`). */
  readonly total?: number;
  readonly name: string;
}

/** Options of `quantizeWeights` and {@link quantizeWeightsStream}. */
export interface QuantizeWeightsOptions {
  /**
   * `'throw'` stops at the first tensor that cannot be quantized (the error names it); `'skip'` reports it as
   * `failed` with the error and carries on. Never silent. @defaultValue 'throw'
   */
  readonly onError?: 'throw' | 'skip';
  /** Per-block clip-ratio search minimizing the squared error (opt-in; `true` uses the defaults). */
  readonly rangeSearch?: boolean | RangeSearchOptions;
  /** Compute SQNR and max error per tensor (one dequantization each). @defaultValue true */
  readonly measure?: boolean;
  /** Called after each tensor. */
  readonly onProgress?: (progress: PtqProgress) => void;
  /** Number of tensors, for progress with iterables. */
  readonly total?: number;
}

/** One item of {@link quantizeWeightsStream}: a result per input tensor, then the report. */
export type PtqStreamItem =
  | {
      readonly type: 'tensor';
      readonly name: string;
      /** The quantized tensor; null when left in float, failed, or a repeat of a name already yielded. */
      readonly quantized: QuantizedTensor | null;
      /** This tensor's report row. */
      readonly entry: PtqTensorReport;
    }
  | { readonly type: 'report'; readonly report: PtqReport };

/** @internal Checks options and fills defaults. */
export function sessionOptions(options: QuantizeWeightsOptions, total: number | null, where: string): SessionOptions {
  if (typeof options !== 'object' || options === null) {
    throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: options must be an object`);
  }
  const onError = options.onError ?? 'throw';
  if (onError !== 'throw' && onError !== 'skip') {
    throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: onError '${String(onError)}' must be 'throw' or 'skip'`);
  }
  let rangeSearch: SessionOptions['rangeSearch'] = null;
  if (options.rangeSearch !== undefined && options.rangeSearch !== false) {
    const rs = options.rangeSearch === true ? {} : options.rangeSearch;
    const grid = rs.grid ?? 100;
    const maxShrink = rs.maxShrink ?? 0.8;
    if (!Number.isInteger(grid) || grid < 1 || grid > 10000) {
      throw new QuantError(
        'PTQ_INVALID_ARGUMENT',
        `${where}: rangeSearch.grid ${String(grid)} must be an integer in [1, 10000]`,
      );
    }
    if (typeof maxShrink !== 'number' || !(maxShrink > 0 && maxShrink < 1)) {
      throw new QuantError(
        'PTQ_INVALID_ARGUMENT',
        `${where}: rangeSearch.maxShrink ${String(maxShrink)} must be in (0, 1)`,
      );
    }
    rangeSearch = { grid, maxShrink };
  }
  const measure = options.measure ?? true;
  if (typeof measure !== 'boolean') throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: measure must be a boolean`);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: onProgress must be a function`);
  }
  const t = options.total ?? total;
  if (t !== null && (!Number.isInteger(t) || t < 0)) {
    throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: total ${String(t)} must be a non-negative integer`);
  }
  return { onError, rangeSearch, measure, onProgress: options.onProgress ?? null, total: t };
}

/** @internal Iterates a sync or async iterable of weights. */
export function toAsyncIterable(source: unknown, where: string): AsyncIterable<WeightTensor> | Iterable<WeightTensor> {
  const s = source as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
  if (
    typeof s === 'object' &&
    s !== null &&
    (typeof s[Symbol.asyncIterator] === 'function' || typeof s[Symbol.iterator] === 'function')
  ) {
    return s as AsyncIterable<WeightTensor> | Iterable<WeightTensor>;
  }
  throw new QuantError(
    'PTQ_INVALID_ARGUMENT',
    `${where}: weights must be an array, an iterable or an async iterable of { name, opType, tensor }`,
  );
}

/**
 * Streaming weight-only round-to-nearest: reads one weight at a time from an (async) iterable, yields its result
 * (`{ type: 'tensor', name, quantized, entry }`) before reading the next, and finally yields
 * `{ type: 'report', report }`. Nothing of earlier tensors is kept but their report rows, so peak memory stays
 * near the largest tensor. Results are identical to `quantizeWeights`.
 *
 * @example
 * ```ts
 * for await (const item of quantizeWeightsStream(readWeights(file), getPreset('w4_per_block'))) {
 *   if (item.type === 'tensor' && item.quantized) await write(item.name, item.quantized);
 *   if (item.type === 'report') console.table(item.report.tensors);
 * }
 * ```
 * @throws QuantError the config's validation error; `PTQ_INVALID_ARGUMENT` for bad options or inputs; with
 *   `onError: 'throw'`, the first tensor error, its message naming the tensor.
 */
export async function* quantizeWeightsStream(
  weights: Iterable<WeightTensor> | AsyncIterable<WeightTensor>,
  config: QuantizationConfig,
  options: QuantizeWeightsOptions = {},
): AsyncGenerator<PtqStreamItem, void, undefined> {
  const where = 'quantizeWeightsStream';
  const source = toAsyncIterable(weights, where);
  const opts = sessionOptions(options, Array.isArray(weights) ? weights.length : null, where);
  validateConfig(config);
  const session = new WeightSession(config, opts);
  for await (const w of source) {
    const r = session.process(w);
    yield { type: 'tensor', name: r.name, quantized: r.quantized, entry: r.entry };
  }
  yield { type: 'report', report: session.report() };
}
