import { isQuantError, QuantError } from '@lowbit/dtypes';
import type { QuantErrorCode } from '@lowbit/dtypes';
import { dequantize, maxAbsError, quantize, sqnr } from '@lowbit/kernels';
import type { QuantizedTensor } from '@lowbit/spec';
import { describeSpec, opKindOf, resolveBlockShape, resolveTensorSpec, specKey } from '@lowbit/spec';
import type { QuantizationConfig, SpecResolution } from '@lowbit/spec';
import type { PtqReport, PtqTensorReport, PtqTotals } from '../ptq-report.js';
import type { WeightTensor } from '../weight-tensor.js';
import { floatBytes, quantizedBytes } from './bytes.js';
import { fingerprint } from './fingerprint.js';
import { searchClipRatios } from './range-search.js';

/** Resolved options of a weight-quantization run. */
export interface SessionOptions {
  readonly onError: 'throw' | 'skip';
  readonly rangeSearch: { readonly grid: number; readonly maxShrink: number } | null;
  readonly measure: boolean;
  readonly onProgress: ((p: { index: number; total?: number; name: string }) => void) | null;
  readonly total: number | null;
}

/** What one input tensor produced. */
export interface SessionResult {
  readonly name: string;
  /** The quantized tensor, or null when skipped, failed, or a repeat of a name already returned. */
  readonly quantized: QuantizedTensor | null;
  readonly entry: PtqTensorReport;
}

interface Prior {
  readonly entry: PtqTensorReport;
  readonly quantized: QuantizedTensor | null;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The per-tensor engine behind `quantizeWeights` and `quantizeWeightsStream`. It keeps only small facts about
 * tensors already seen (report rows, a content fingerprint per name, and a WeakMap from tensor data to its
 * result), so memory stays near the largest tensor while streaming.
 */
export class WeightSession {
  private readonly config: QuantizationConfig;
  private readonly options: SessionOptions;
  private readonly rows: PtqTensorReport[] = [];
  private readonly byData = new WeakMap<Float32Array, Prior>();
  private readonly byName = new Map<string, { readonly fingerprint: string; readonly entry: PtqTensorReport }>();
  private signal = 0;
  private noise = 0;
  private measured = false;

  constructor(config: QuantizationConfig, options: SessionOptions) {
    this.config = config;
    this.options = options;
  }

  process(w: WeightTensor): SessionResult {
    const index = this.rows.length;
    const where = 'quantizeWeights';
    if (typeof w !== 'object' || w === null || typeof w.name !== 'string' || typeof w.opType !== 'string') {
      throw new QuantError(
        'PTQ_INVALID_ARGUMENT',
        `${where}: weight #${index} must be { name: string, opType: string, tensor: { data: Float32Array, shape } }`,
        { details: { index } },
      );
    }
    const result = this.processChecked(w, index);
    this.rows.push(result.entry);
    this.options.onProgress?.(
      this.options.total === null ? { index, name: w.name } : { index, total: this.options.total, name: w.name },
    );
    return result;
  }

  private base(w: WeightTensor, index: number): Omit<PtqTensorReport, 'status' | 'reason'> {
    const shape = Array.isArray(w.tensor?.shape) ? [...w.tensor.shape] : [];
    const elements = w.tensor?.data instanceof Float32Array ? w.tensor.data.length : 0;
    let bytesBefore = elements * 4;
    try {
      bytesBefore = floatBytes(elements, w.originalDType ?? 'float32');
    } catch {
      // An unknown originalDType is reported by the caller's validation below.
    }
    return {
      index,
      name: w.name,
      opType: w.opType,
      shape,
      spec: null,
      specLabel: null,
      source: null,
      configKey: null,
      skipReason: null,
      tiedTo: null,
      consumers: Array.isArray(w.consumers) ? [...w.consumers] : [],
      bytesBefore,
      bytesAfter: bytesBefore,
      sqnrDb: null,
      maxAbsError: null,
      clipRatio: null,
      error: null,
    };
  }

  private fail(w: WeightTensor, index: number, error: unknown, context: string): SessionResult {
    const code: QuantErrorCode = isQuantError(error) ? error.code : 'PTQ_INVALID_ARGUMENT';
    const inner = error instanceof Error ? error.message : String(error);
    const message = `quantizeWeights: tensor '${w.name}' (#${index}, ${w.opType}${context}): ${inner}`;
    if (this.options.onError === 'throw') {
      throw new QuantError(code, message, { cause: error, details: { name: w.name, index } });
    }
    return {
      name: w.name,
      quantized: null,
      entry: { ...this.base(w, index), status: 'failed', reason: `failed: ${inner}`, error: { code, message } },
    };
  }

  private processChecked(w: WeightTensor, index: number): SessionResult {
    const t = w.tensor;
    if (typeof t !== 'object' || t === null || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
      return this.fail(
        w,
        index,
        new QuantError('PTQ_INVALID_ARGUMENT', 'tensor must be { data: Float32Array, shape }'),
        '',
      );
    }
    if (w.originalDType !== undefined) {
      try {
        floatBytes(1, w.originalDType);
      } catch (e) {
        return this.fail(w, index, e, `, originalDType '${String(w.originalDType)}'`);
      }
    }
    const tied = this.byData.get(t.data);
    if (tied !== undefined) return this.tie(w, index, tied, 'the same tensor data as');
    const sameName = this.byName.get(w.name);
    const fp = fingerprint(t.data, t.shape);
    if (sameName !== undefined) {
      if (sameName.fingerprint !== fp) {
        return this.fail(
          w,
          index,
          new QuantError(
            'PTQ_DUPLICATE_TENSOR',
            `row #${sameName.entry.index} has the same name with different contents; names must identify one tensor`,
          ),
          '',
        );
      }
      return this.tie(w, index, { entry: sameName.entry, quantized: null }, 'the same name and contents as');
    }
    const result = this.quantizeOne(w, index);
    const prior: Prior = { entry: result.entry, quantized: result.quantized };
    this.byData.set(t.data, prior);
    this.byName.set(w.name, { fingerprint: fp, entry: result.entry });
    return result;
  }

  private tie(w: WeightTensor, index: number, prior: Prior, how: string): SessionResult {
    const first = prior.entry;
    let own = '';
    try {
      const res = resolveTensorSpec(this.config, { name: w.name, opType: w.opType, shape: [...w.tensor.shape] });
      const differs =
        res.spec === null ? first.spec !== null : first.spec === null || specKey(res.spec) !== specKey(first.spec);
      if (differs)
        own = `; this row's own rule (${res.reason}) is not applied, so the shared tensor has one quantization`;
    } catch {
      // The first row's outcome stands; its own resolution problem does not matter for a tie.
    }
    const outcome =
      first.status === 'quantized'
        ? `quantized once there as ${first.specLabel ?? ''}`
        : first.status === 'failed'
          ? 'which failed'
          : `which was left in float (${first.reason})`;
    const sameName = first.name === w.name;
    return {
      name: w.name,
      // A repeated name is already in the results; an alias under another name shares the same object.
      quantized: sameName ? null : prior.quantized,
      entry: {
        ...this.base(w, index),
        status: 'tied',
        reason: `tied: ${how} '${first.name}' (#${first.index}), ${outcome}${own}`,
        spec: first.spec,
        specLabel: first.specLabel,
        tiedTo: first.name,
        bytesBefore: first.bytesBefore,
        bytesAfter: first.bytesAfter,
        sqnrDb: first.sqnrDb,
        maxAbsError: first.maxAbsError,
      },
    };
  }

  private quantizeOne(w: WeightTensor, index: number): SessionResult {
    const t = w.tensor;
    let res: SpecResolution;
    try {
      res = resolveTensorSpec(this.config, { name: w.name, opType: w.opType, shape: [...t.shape] });
    } catch (e) {
      return this.fail(w, index, e, `, shape ${shapeText(t.shape)}`);
    }
    const base = this.base(w, index);
    if (res.spec === null) {
      return {
        name: w.name,
        quantized: null,
        entry: {
          ...base,
          status: 'skipped',
          reason: res.reason,
          source: res.source,
          configKey: res.key,
          skipReason: res.skipReason,
        },
      };
    }
    const spec = res.spec;
    const label = describeSpec(spec);
    const opKind = opKindOf(w.opType);
    let q: QuantizedTensor;
    let clipRatio: PtqTensorReport['clipRatio'] = null;
    try {
      const search = this.options.rangeSearch;
      if (search === null) {
        q = quantize(t, spec, { opKind });
      } else {
        const blockShape = resolveBlockShape(spec, t.shape, opKind);
        const found = searchClipRatios(t, spec, blockShape, search.grid, search.maxShrink);
        q = quantize(t, spec, { opKind, qparams: found.qparams });
        let lo = Infinity;
        let hi = -Infinity;
        let sum = 0;
        for (const r of found.ratios) {
          lo = Math.min(lo, r);
          hi = Math.max(hi, r);
          sum += r;
        }
        const n = found.ratios.length;
        const plain = this.options.measure ? sqnr(t.data, dequantize(quantize(t, spec, { opKind })).data) : null;
        clipRatio = { min: n > 0 ? lo : 1, mean: n > 0 ? sum / n : 1, max: n > 0 ? hi : 1, sqnrWithoutSearchDb: plain };
      }
    } catch (e) {
      return this.fail(w, index, e, `, shape ${shapeText(t.shape)}, spec ${label}`);
    }
    let sqnrDb: number | null = null;
    let maxErr: number | null = null;
    if (this.options.measure) {
      const approx = dequantize(q).data;
      sqnrDb = sqnr(t.data, approx);
      maxErr = maxAbsError(t.data, approx);
      for (let i = 0; i < approx.length; i++) {
        const x = t.data[i] as number;
        const d = x - (approx[i] as number);
        this.signal += x * x;
        this.noise += d * d;
      }
      this.measured = true;
    }
    return {
      name: w.name,
      quantized: q,
      entry: {
        ...base,
        status: 'quantized',
        reason: res.reason,
        spec,
        specLabel: label,
        source: res.source,
        configKey: res.key,
        bytesAfter: quantizedBytes(q),
        sqnrDb,
        maxAbsError: maxErr,
        clipRatio,
      },
    };
  }

  report(): PtqReport {
    let bytesBefore = 0;
    let bytesAfter = 0;
    const count = { quantized: 0, skipped: 0, tied: 0, failed: 0 };
    for (const r of this.rows) {
      count[r.status]++;
      if (r.status === 'tied') continue;
      bytesBefore += r.bytesBefore;
      bytesAfter += r.bytesAfter;
    }
    let total: number | null = null;
    if (this.measured) {
      total = this.noise === 0 ? Infinity : this.signal === 0 ? -Infinity : 10 * Math.log10(this.signal / this.noise);
    }
    const totals: PtqTotals = {
      tensors: this.rows.length,
      ...count,
      bytesBefore,
      bytesAfter,
      compressionRatio: bytesAfter === 0 ? 1 : bytesBefore / bytesAfter,
      sqnrDb: total,
    };
    return { tensors: [...this.rows], totals };
  }
}
