import { QuantError } from '@lowbit/dtypes';
import { qparamsFromRange } from '@lowbit/kernels';
import type { QParams, Tensor } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import type { ObservedRange, Observer, ObserverJSON, ObserverQParamsOptions } from '../observer.js';
import { checkTensor, normalizeAxis } from './batch-stats.js';

/** Options record of an observer, defaults filled in; compared by value in `merge`. */
export type OptionsRecord = Readonly<Record<string, unknown>>;

function sameOptions(a: OptionsRecord, b: OptionsRecord): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isInteger(d) && (d as number) >= 0);
}

/**
 * Shared machinery of the built-in observers: argument checks, batch counting, the last observed shape, the
 * range-to-qparams step, merge compatibility checks and the JSON envelope. Subclasses implement the statistics.
 */
export abstract class BaseObserver implements Observer {
  abstract readonly kind: string;
  readonly options: OptionsRecord;
  /** Configured channel axis (may be negative) or null for per-tensor. */
  protected readonly axisOption: number | null;
  protected batches = 0;
  protected lastShape: readonly number[] | null = null;
  /** Resolved channel axis, fixed by the first observed tensor. */
  protected channelAxis: number | null = null;

  constructor(options: OptionsRecord, axis: number | null) {
    this.options = options;
    this.axisOption = axis;
  }

  get count(): number {
    return this.batches;
  }

  observe(tensor: Tensor): void {
    const where = `${this.kind} observer: observe`;
    const n = checkTensor(tensor, where);
    if (n === 0) return;
    let axis: number | null = null;
    if (this.axisOption !== null) axis = normalizeAxis(this.axisOption, tensor.shape.length, where);
    this.accept(tensor, axis, where);
    this.channelAxis = axis;
    this.batches++;
    this.lastShape = [...tensor.shape];
  }

  /** Folds one non-empty, shape-checked batch into the statistics (must validate before mutating). */
  protected abstract accept(tensor: Tensor, axis: number | null, where: string): void;

  /** The range from the statistics (called only when count > 0). */
  protected abstract computeRange(spec: QuantizationSpec | undefined): { min: Float64Array; max: Float64Array };

  protected assertNotEmpty(where: string): void {
    if (this.batches === 0) {
      throw new QuantError('OBSERVER_EMPTY', `${where}: the ${this.kind} observer has not observed any value yet`);
    }
  }

  range(spec?: QuantizationSpec): ObservedRange {
    this.assertNotEmpty(`${this.kind} observer: range`);
    const { min, max } = this.computeRange(spec);
    // The sign of a zero end depends on which of -0 / +0 was seen first; ranges report zero as +0.
    for (let i = 0; i < min.length; i++) {
      if (min[i] === 0) min[i] = 0;
      if (max[i] === 0) max[i] = 0;
    }
    return { min, max, axis: this.channelAxis };
  }

  qparams(spec: QuantizationSpec, options: ObserverQParamsOptions = {}): QParams {
    const where = `${this.kind} observer: qparams`;
    this.assertNotEmpty(where);
    if (
      typeof spec !== 'object' ||
      spec === null ||
      typeof spec.granularity !== 'object' ||
      spec.granularity === null
    ) {
      throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: expected a QuantizationSpec`);
    }
    const shape = options.shape ?? this.lastShape ?? [];
    if (!isShape(shape)) {
      throw new QuantError(
        'OBSERVER_INVALID_ARGUMENT',
        `${where}: options.shape ${JSON.stringify(shape)} is not a shape`,
      );
    }
    const { min, max } = this.range(spec);
    const g = spec.granularity;
    if (g.type === 'per_tensor') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let c = 0; c < min.length; c++) {
        lo = Math.min(lo, min[c] as number);
        hi = Math.max(hi, max[c] as number);
      }
      return qparamsFromRange([lo], [hi], spec, [...shape]);
    }
    if (g.type === 'per_channel') {
      const axis = this.channelAxis;
      if (axis === null) {
        throw new QuantError(
          'OBSERVER_INVALID_ARGUMENT',
          `${where}: a per_channel spec needs a per-channel observer (create it with an axis option); this ${this.kind} observer is per-tensor`,
        );
      }
      const specAxis = g.axis === undefined ? axis : g.axis < 0 ? g.axis + shape.length : g.axis;
      if (specAxis !== axis) {
        throw new QuantError(
          'OBSERVER_INVALID_ARGUMENT',
          `${where}: the spec asks for per_channel axis ${String(g.axis)} but the observer tracks axis ${axis}`,
        );
      }
      if (shape[axis] !== min.length) {
        throw new QuantError(
          'OBSERVER_INVALID_ARGUMENT',
          `${where}: shape [${shape.join(', ')}] has ${String(shape[axis])} channels on axis ${axis}, the observer saw ${min.length}`,
        );
      }
      const blockShape = shape.map((d, i) => (i === axis ? 1 : d));
      return qparamsFromRange(min, max, spec, blockShape);
    }
    throw new QuantError(
      'OBSERVER_INVALID_ARGUMENT',
      `${where}: granularity '${String((g as { type: unknown }).type)}' is not supported by observers (valid: per_tensor, per_channel)`,
    );
  }

  merge(other: Observer): this {
    const where = `${this.kind} observer: merge`;
    if (!(other instanceof BaseObserver) || other.kind !== this.kind || other.constructor !== this.constructor) {
      throw new QuantError(
        'OBSERVER_MERGE_MISMATCH',
        `${where}: cannot merge a '${String((other as { kind?: unknown } | null)?.kind)}' observer into a '${this.kind}' observer`,
      );
    }
    if (!sameOptions(this.options, other.options)) {
      throw new QuantError(
        'OBSERVER_MERGE_MISMATCH',
        `${where}: options differ (${JSON.stringify(this.options)} vs ${JSON.stringify(other.options)})`,
      );
    }
    if (other.batches === 0) return this;
    if (this.batches > 0 && this.channelAxis !== other.channelAxis) {
      throw new QuantError(
        'OBSERVER_MERGE_MISMATCH',
        `${where}: channel axes differ (${String(this.channelAxis)} vs ${String(other.channelAxis)})`,
      );
    }
    this.mergeStats(other as this, where);
    if (this.batches === 0) this.channelAxis = other.channelAxis;
    this.batches += other.batches;
    this.lastShape = other.lastShape;
    return this;
  }

  /** Folds the statistics of a compatible, non-empty observer (must validate before mutating). */
  protected abstract mergeStats(other: this, where: string): void;

  reset(): void {
    this.batches = 0;
    this.lastShape = null;
    this.channelAxis = null;
    this.resetStats();
  }

  protected abstract resetStats(): void;

  toJSON(): ObserverJSON {
    return {
      format: 'lowbit-observer',
      version: 1,
      kind: this.kind,
      options: { ...this.options },
      state: { count: this.batches, shape: this.lastShape, axis: this.channelAxis, ...this.statsState() },
    };
  }

  protected abstract statsState(): Record<string, unknown>;

  /** Loads `state` (from {@link toJSON}), validating everything; `where` names the caller in errors. */
  loadState(state: Readonly<Record<string, unknown>>, where: string): void {
    const bad = (what: string): never => {
      throw new QuantError('OBSERVER_INVALID_STATE', `${where}: ${this.kind} state ${what}`);
    };
    const { count, shape, axis } = state;
    if (!Number.isSafeInteger(count) || (count as number) < 0)
      bad(`count ${String(count)} is not a non-negative integer`);
    if (count === 0) {
      this.reset();
      return;
    }
    if (!isShape(shape)) bad(`shape ${JSON.stringify(shape)} is not a shape`);
    const s = shape as number[];
    if (
      this.axisOption === null
        ? axis !== null
        : !(Number.isInteger(axis) && (axis as number) >= 0 && (axis as number) < s.length)
    ) {
      bad(
        `axis ${JSON.stringify(axis)} does not fit the axis option ${String(this.axisOption)} and shape [${s.join(', ')}]`,
      );
    }
    this.loadStats(state, where);
    this.batches = count as number;
    this.lastShape = [...s];
    this.channelAxis = axis as number | null;
  }

  /** Loads the kind-specific part of a non-empty state. */
  protected abstract loadStats(state: Readonly<Record<string, unknown>>, where: string): void;
}
