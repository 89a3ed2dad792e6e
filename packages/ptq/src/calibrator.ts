import { isQuantError, QuantError } from '@lowbit/dtypes';
import { createElementQuantizer, qparamsFromRange } from '@lowbit/kernels';
import type { QParams, Tensor } from '@lowbit/kernels';
import { createObserver, OBSERVER_KINDS, restoreObserver } from '@lowbit/observers';
import type { Observer, ObserverJSON, ObserverKind, ObserverOptions } from '@lowbit/observers';
import type { QuantizationSpec } from '@lowbit/spec';

/** Options of {@link createCalibrator}. */
export interface CalibratorOptions {
  /** Activation spec, per-tensor. @defaultValue int8 symmetric per-tensor (`float8_e4m3fn` works too) */
  readonly spec?: QuantizationSpec;
  /** Observer kind or full observer options (no `axis`). mse/entropy get `spec` unless given. @defaultValue 'minmax' */
  readonly observer?: ObserverKind | ObserverOptions;
  /** Fixed ranges by tensor name, used instead of observation (e.g. sigmoid outputs `[0, 1]`). */
  readonly overrides?: Readonly<Record<string, readonly [number, number]>>;
}

/** Calibrated parameters of one activation tensor. */
export interface ActivationQParams {
  readonly spec: QuantizationSpec;
  readonly qparams: QParams;
  /** The range the parameters come from (before the spec adds 0 and symmetrizes). */
  readonly range: readonly [number, number];
  /** Observer kind that produced the range, or `'override'`. */
  readonly observerKind: string;
}

/** JSON form of a calibrator. */
export interface CalibratorJSON {
  readonly format: 'lowbit-calibrator';
  readonly version: 1;
  readonly spec: QuantizationSpec;
  readonly observer: ObserverOptions;
  readonly overrides: Readonly<Record<string, readonly [number, number]>>;
  readonly observers: Readonly<Record<string, ObserverJSON>>;
}

/**
 * Collects activation statistics while the caller runs its own model, then turns them into per-tensor
 * quantization parameters.
 */
export interface Calibrator {
  /** Names observed so far, in first-seen order. */
  readonly names: readonly string[];
  /**
   * Feeds one batch of the activation `name`.
   * @throws QuantError `OBSERVER_INVALID_ARGUMENT` for NaN/Inf or malformed tensors; `PTQ_INVALID_ARGUMENT` for a bad name.
   */
  observe(name: string, tensor: Tensor): void;
  /**
   * Parameters for every observed or overridden name.
   * @throws QuantError `OBSERVER_EMPTY` (naming the tensor) when a name only ever received empty tensors.
   */
  finalize(): Record<string, ActivationQParams>;
  /**
   * Folds in another calibrator with the same spec, observer and overrides (e.g. from another worker); returns this.
   * @throws QuantError `OBSERVER_MERGE_MISMATCH` when settings differ.
   */
  merge(other: Calibrator): this;
  /** Plain-JSON snapshot; {@link restoreCalibrator} rebuilds it. */
  toJSON(): CalibratorJSON;
}

const DEFAULT_SPEC: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_tensor' },
};

function bad(message: string): QuantError {
  return new QuantError('PTQ_INVALID_ARGUMENT', message);
}

function resolveObserver(
  option: CalibratorOptions['observer'],
  spec: QuantizationSpec,
  where: string,
): ObserverOptions {
  const o: Record<string, unknown> =
    option === undefined
      ? { kind: 'minmax' }
      : typeof option === 'string'
        ? { kind: option }
        : { ...(option as object) };
  if (!(OBSERVER_KINDS as readonly unknown[]).includes(o['kind'])) {
    throw bad(`${where}: observer kind ${JSON.stringify(o['kind'])} is not one of ${OBSERVER_KINDS.join(', ')}`);
  }
  if (o['axis'] !== undefined) throw bad(`${where}: activation observers are per-tensor; remove the axis option`);
  if ((o['kind'] === 'mse' || o['kind'] === 'entropy') && o['spec'] === undefined) o['spec'] = spec;
  const options = JSON.parse(JSON.stringify(o)) as ObserverOptions;
  createObserver(options); // validates now rather than at the first observe
  return options;
}

function checkOverrides(
  overrides: CalibratorOptions['overrides'],
  where: string,
): Record<string, readonly [number, number]> {
  const out: Record<string, readonly [number, number]> = {};
  if (overrides === undefined) return out;
  if (typeof overrides !== 'object' || overrides === null)
    throw bad(`${where}: overrides must be { name: [min, max] }`);
  for (const [name, r] of Object.entries(overrides)) {
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !r.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
      r[0] > r[1]
    ) {
      throw bad(`${where}: overrides['${name}'] = ${JSON.stringify(r)}; expected [min, max] with finite min <= max`);
    }
    out[name] = [r[0] as number, r[1] as number];
  }
  return out;
}

class CalibratorImpl implements Calibrator {
  readonly spec: QuantizationSpec;
  readonly observerOptions: ObserverOptions;
  readonly overrides: Readonly<Record<string, readonly [number, number]>>;
  readonly observers = new Map<string, Observer>();
  readonly shapes = new Map<string, readonly number[]>();

  constructor(
    spec: QuantizationSpec,
    observerOptions: ObserverOptions,
    overrides: Record<string, readonly [number, number]>,
  ) {
    this.spec = spec;
    this.observerOptions = observerOptions;
    this.overrides = overrides;
  }

  get names(): readonly string[] {
    return [...this.observers.keys()];
  }

  observe(name: string, tensor: Tensor): void {
    if (typeof name !== 'string' || name.length === 0) throw bad(`calibrator.observe: name must be a non-empty string`);
    let o = this.observers.get(name);
    const fresh = o === undefined;
    o ??= createObserver(this.observerOptions);
    o.observe(tensor);
    if (fresh) this.observers.set(name, o);
    if (tensor.data.length > 0) this.shapes.set(name, [...tensor.shape]);
  }

  finalize(): Record<string, ActivationQParams> {
    const out: Record<string, ActivationQParams> = {};
    const kind = this.observerOptions.kind;
    for (const [name, o] of this.observers) {
      if (Object.hasOwn(this.overrides, name)) continue;
      if (o.count === 0) {
        throw new QuantError(
          'OBSERVER_EMPTY',
          `calibrator.finalize: activation '${name}' only received empty tensors; feed it data or give it an override`,
        );
      }
      const r = o.range(this.spec);
      const range: [number, number] = [r.min[0] as number, r.max[0] as number];
      out[name] = {
        spec: this.spec,
        qparams: qparamsFromRange([range[0]], [range[1]], this.spec, this.shapes.get(name) ?? [1]),
        range,
        observerKind: kind,
      };
    }
    for (const [name, range] of Object.entries(this.overrides)) {
      out[name] = {
        spec: this.spec,
        qparams: qparamsFromRange([range[0]], [range[1]], this.spec, this.shapes.get(name) ?? [1]),
        range: [range[0], range[1]],
        observerKind: 'override',
      };
    }
    return out;
  }

  merge(other: Calibrator): this {
    const where = 'calibrator.merge';
    if (!(other instanceof CalibratorImpl)) {
      throw new QuantError('OBSERVER_MERGE_MISMATCH', `${where}: can only merge calibrators made by createCalibrator`);
    }
    for (const [what, a, b] of [
      ['spec', this.spec, other.spec],
      ['observer', this.observerOptions, other.observerOptions],
      ['overrides', this.overrides, other.overrides],
    ] as const) {
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        throw new QuantError(
          'OBSERVER_MERGE_MISMATCH',
          `${where}: ${what} differ (${JSON.stringify(a)} vs ${JSON.stringify(b)})`,
        );
      }
    }
    for (const [name, o] of other.observers) {
      const mine = this.observers.get(name);
      if (mine === undefined) this.observers.set(name, restoreObserver(o.toJSON()));
      else mine.merge(o);
      const shape = other.shapes.get(name);
      if (shape !== undefined) this.shapes.set(name, shape);
    }
    return this;
  }

  toJSON(): CalibratorJSON {
    const observers: Record<string, ObserverJSON> = {};
    for (const [name, o] of this.observers) observers[name] = o.toJSON();
    return {
      format: 'lowbit-calibrator',
      version: 1,
      spec: this.spec,
      observer: this.observerOptions,
      overrides: this.overrides,
      observers,
    };
  }
}

/**
 * Creates an activation calibrator: run your model on sample data, hand each activation to
 * `observe(name, tensor)`, then `finalize()` gives per-tensor parameters (W8A8's "A8").
 *
 * @example
 * ```ts
 * const cal = createCalibrator({ observer: 'percentile', overrides: { 'gate.sigmoid': [0, 1] } });
 * for (const batch of samples) for (const [name, act] of runModel(batch)) cal.observe(name, act);
 * const params = cal.finalize(); // { 'fc1.out': { spec, qparams, range, observerKind: 'percentile' }, ... }
 * ```
 * @throws QuantError `PTQ_INVALID_ARGUMENT` for a non per-tensor or unusable spec, an unknown observer or bad overrides.
 */
export function createCalibrator(options: CalibratorOptions = {}): Calibrator {
  const where = 'createCalibrator';
  if (typeof options !== 'object' || options === null) throw bad(`${where}: options must be an object`);
  const spec = options.spec ?? DEFAULT_SPEC;
  try {
    createElementQuantizer(spec);
  } catch (e) {
    throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: spec is not usable: ${(e as Error).message}`, { cause: e });
  }
  if (spec.granularity.type !== 'per_tensor') {
    throw bad(`${where}: activation specs must be per_tensor, given ${spec.granularity.type}`);
  }
  const plainSpec = JSON.parse(JSON.stringify(spec)) as QuantizationSpec;
  let observer: ObserverOptions;
  try {
    observer = resolveObserver(options.observer, plainSpec, where);
  } catch (e) {
    if (isQuantError(e) && e.code !== 'PTQ_INVALID_ARGUMENT') {
      throw new QuantError('PTQ_INVALID_ARGUMENT', `${where}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  return new CalibratorImpl(plainSpec, observer, checkOverrides(options.overrides, where));
}

/**
 * Rebuilds a calibrator from {@link Calibrator.toJSON} output (after a JSON round trip, say).
 * @throws QuantError `OBSERVER_INVALID_STATE` for malformed input.
 */
export function restoreCalibrator(json: unknown): Calibrator {
  const where = 'restoreCalibrator';
  const j = json as Partial<CalibratorJSON> | null;
  if (typeof j !== 'object' || j === null || j.format !== 'lowbit-calibrator' || j.version !== 1) {
    throw new QuantError(
      'OBSERVER_INVALID_STATE',
      `${where}: expected { format: 'lowbit-calibrator', version: 1, ... }`,
    );
  }
  let cal: CalibratorImpl;
  try {
    cal = createCalibrator({
      ...(j.spec === undefined ? {} : { spec: j.spec }),
      ...(j.observer === undefined ? {} : { observer: j.observer }),
      ...(j.overrides === undefined ? {} : { overrides: j.overrides }),
    }) as CalibratorImpl;
  } catch (e) {
    throw new QuantError('OBSERVER_INVALID_STATE', `${where}: ${(e as Error).message}`, { cause: e });
  }
  const observers = j.observers ?? {};
  if (typeof observers !== 'object' || observers === null) {
    throw new QuantError('OBSERVER_INVALID_STATE', `${where}: observers must be an object`);
  }
  for (const [name, oj] of Object.entries(observers)) {
    const o = restoreObserver(oj);
    if (
      o.kind !== cal.observerOptions.kind ||
      JSON.stringify(o.toJSON().options) !== JSON.stringify(createObserver(cal.observerOptions).toJSON().options)
    ) {
      throw new QuantError(
        'OBSERVER_INVALID_STATE',
        `${where}: observer '${name}' does not match the calibrator's observer options`,
      );
    }
    cal.observers.set(name, o);
    const shape = o.toJSON().state['shape'];
    if (Array.isArray(shape)) cal.shapes.set(name, shape as number[]);
  }
  return cal;
}
