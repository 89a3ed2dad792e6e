import { QuantError } from '@lowbit/dtypes';
import { quantize } from '@lowbit/kernels';
import type { QParams, Tensor } from '@lowbit/kernels';
import type { ObserverOptions } from '@lowbit/observers';
import { getPreset, resolveTensorSpec, validateConfig } from '@lowbit/spec';
import type { OpKind, QuantizationConfig, QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import { createFakeQuantizer } from './fake-quantizer.js';
import type { FakeQuantizer, ScaleLearning } from './fake-quantizer.js';
import { createQatSchedule } from './schedule.js';
import type { QatMilestoneName, QatMilestones, QatSchedule, QatScheduleState } from './schedule.js';

/** A weight of a {@link QatModel}. */
export interface QatWeight {
  /** Unique name (config `byOpName` keys match it). */
  readonly name: string;
  /** Op type or kind of the consumer (`'linear'`, `'conv'`, `'Gemm'`...): picks config rules and default axes. */
  readonly opType: OpKind | (string & {});
  /** The current float weights in lowbit's layout (`linear` `[out, in]`, `conv` `[out, in, kh, kw]`); read at `finalize()`. */
  readonly value: Tensor | (() => Tensor);
}

/** An activation point of a {@link QatModel} (a layer input or output to fake-quantize). */
export interface QatActivation {
  /** Unique name among activation points. */
  readonly name: string;
}

/** The narrow model interface QAT works on: named weights with op kinds, optional named activation points. */
export interface QatModel {
  readonly weights: readonly QatWeight[];
  readonly activations?: readonly QatActivation[];
}

/** Options of {@link prepare}. */
export interface QatConfig {
  /** Which tensors are quantized how: a `QuantizationConfig` or a preset name (`'w4'`, `'w8a8'`...). Its `activation` spec applies to every activation point. */
  readonly quantization: QuantizationConfig | (string & {});
  /** `[enableObservers, enableFakeQuant, freezeObservers, freezeBatchNorm]` step counts, or null (default: everything on from the start). */
  readonly milestones?: QatMilestones | null;
  /** Weight observer. @defaultValue `{ kind: 'moving_average', averagingConstant: 1 }` (the current weights' range) */
  readonly weightObserver?: ObserverOptions;
  /** Activation observer. @defaultValue `{ kind: 'moving_average', averagingConstant: 0.01 }` */
  readonly activationObserver?: ObserverOptions;
  /** Weight parameter learning. @defaultValue `'none'` */
  readonly weightLearning?: ScaleLearning;
  /** Activation parameter learning. @defaultValue `'none'` */
  readonly activationLearning?: ScaleLearning;
  /** Gradient scale of learned parameters. @defaultValue `'auto'` (LSQ's 1 / sqrt(N Q_P)) */
  readonly gradScale?: 'auto' | number;
}

/** The result of {@link QatSession.finalize}. */
export interface QatResult {
  /** One quantized tensor per quantized weight, in the form kernels' `quantize` returns. */
  readonly weights: ReadonlyMap<string, QuantizedTensor>;
  /** Activation quantization parameters per activation point (with the spec they are for). */
  readonly activations: ReadonlyMap<string, { readonly spec: QuantizationSpec; readonly qparams: QParams }>;
  /** Weights left in float, with the reason. */
  readonly skipped: ReadonlyMap<string, string>;
}

/** A QAT session created by {@link prepare}. */
export interface QatSession {
  /** Fake quantizer per quantized weight name. */
  readonly weights: ReadonlyMap<string, FakeQuantizer>;
  /** Fake quantizer per activation point (empty when the config has no activation spec). */
  readonly activations: ReadonlyMap<string, FakeQuantizer>;
  /** Weights left in float, with the reason from the config resolution. */
  readonly skipped: ReadonlyMap<string, string>;
  /** The schedule. */
  readonly schedule: QatSchedule;
  /** The schedule state now. */
  readonly state: QatScheduleState;
  /** Training mode of every quantizer (observers run only while training). */
  training: boolean;
  /** Advances the schedule one step and applies its milestones to every quantizer. */
  step(): QatMilestoneName[];
  /**
   * Quantizes every quantized weight with its current parameters: exactly `quantize(weight, spec, { opKind,
   * qparams })` from `@lowbit/kernels`. A weight never seen by its quantizer gets parameters from its values.
   */
  finalize(): QatResult;
}

function readValue(w: QatWeight): Tensor {
  return typeof w.value === 'function' ? w.value() : w.value;
}

/**
 * Prepares a model for quantization-aware training: resolves a spec per weight (config rules, size threshold),
 * creates one fake quantizer per quantized weight and per activation point, and a schedule.
 *
 * @example
 * ```ts
 * const session = prepare({ weights: [{ name: 'fc1', opType: 'linear', value: () => w1 }] }, {
 *   quantization: { version: 1, global: getPreset('w4').global, minSize: 0 },
 *   milestones: [0, 0, 100, -1],
 * });
 * // per step: session.step(); y = fq.forward(w1); ...; grads = fq.backward(dy, w1)
 * const { weights } = session.finalize();
 * ```
 * @throws QuantError `QAT_INVALID_ARGUMENT` for a malformed model, duplicate names or bad options;
 * `CONFIG_INVALID` / `SPEC_UNKNOWN_PRESET` for a bad config.
 */
export function prepare(model: QatModel, config: QatConfig): QatSession {
  const where = 'prepare';
  if (typeof model !== 'object' || model === null || !Array.isArray(model.weights)) {
    throw new QuantError(
      'QAT_INVALID_ARGUMENT',
      `${where}: model must be { weights: QatWeight[], activations?: QatActivation[] }`,
    );
  }
  if (typeof config !== 'object' || config === null) {
    throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: config must be { quantization, ... }`);
  }
  const qconfig: QuantizationConfig =
    typeof config.quantization === 'string' ? getPreset(config.quantization) : validateConfig(config.quantization);
  const schedule = createQatSchedule(config.milestones ?? null);
  const scheduled = schedule.milestones !== null;
  const gradScale = config.gradScale ?? 'auto';
  const weights = new Map<string, FakeQuantizer>();
  const skipped = new Map<string, string>();
  const seen = new Set<string>();
  const weightLearning = config.weightLearning ?? 'none';
  const activationLearning = config.activationLearning ?? 'none';
  for (const [i, w] of model.weights.entries()) {
    if (typeof w !== 'object' || w === null || typeof w.name !== 'string' || typeof w.opType !== 'string') {
      throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: model.weights[${i}] must be { name, opType, value }`);
    }
    if (seen.has(w.name)) {
      throw new QuantError(
        'QAT_INVALID_ARGUMENT',
        `${where}: weight name '${w.name}' appears twice; names must be unique`,
      );
    }
    seen.add(w.name);
    const value = readValue(w);
    if (typeof value !== 'object' || value === null || !Array.isArray(value.shape)) {
      throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: weight '${w.name}' has no tensor value { data, shape }`);
    }
    const resolution = resolveTensorSpec(qconfig, { name: w.name, opType: w.opType, shape: value.shape });
    if (resolution.spec === null) {
      skipped.set(w.name, resolution.reason);
      continue;
    }
    weights.set(
      w.name,
      createFakeQuantizer({
        spec: resolution.spec,
        opKind: w.opType,
        observer: config.weightObserver ?? { kind: 'moving_average', averagingConstant: 1 },
        learning: weightLearning,
        gradScale,
        observeOnce: !scheduled && weightLearning !== 'none',
      }),
    );
  }
  const activations = new Map<string, FakeQuantizer>();
  const activationSpec = qconfig.activation ?? null;
  for (const [i, a] of (model.activations ?? []).entries()) {
    if (typeof a !== 'object' || a === null || typeof a.name !== 'string') {
      throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: model.activations[${i}] must be { name }`);
    }
    if (activations.has(a.name)) {
      throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: activation name '${a.name}' appears twice`);
    }
    if (activationSpec === null) continue;
    activations.set(
      a.name,
      createFakeQuantizer({
        spec: activationSpec,
        observer: config.activationObserver ?? { kind: 'moving_average', averagingConstant: 0.01 },
        learning: activationLearning,
        gradScale,
        observeOnce: !scheduled && activationLearning !== 'none',
      }),
    );
  }
  const all = [...weights.values(), ...activations.values()];
  const apply = (): void => {
    const s = schedule.state;
    for (const q of all) {
      q.fakeQuantEnabled = s.fakeQuantEnabled;
      if (scheduled) q.observerEnabled = s.observersEnabled;
    }
  };
  apply();
  let training = true;
  return {
    weights,
    activations,
    skipped,
    schedule,
    get state() {
      return schedule.state;
    },
    get training() {
      return training;
    },
    set training(value: boolean) {
      training = value === true;
      for (const q of all) q.training = training;
    },
    step() {
      const applied = schedule.step();
      if (applied.length > 0) apply();
      return applied;
    },
    finalize() {
      const out = new Map<string, QuantizedTensor>();
      for (const w of model.weights) {
        const fq = weights.get(w.name);
        if (fq === undefined) continue;
        const tensor = readValue(w);
        let qparams = fq.qparams();
        if (qparams === null) {
          fq.observe(tensor);
          qparams = fq.qparams() as QParams;
        }
        out.set(w.name, quantize(tensor, fq.spec, { opKind: w.opType as OpKind, qparams }));
      }
      const acts = new Map<string, { spec: QuantizationSpec; qparams: QParams }>();
      for (const [name, fq] of activations) {
        const qparams = fq.qparams();
        if (qparams !== null) acts.set(name, { spec: fq.spec, qparams });
      }
      return { weights: out, activations: acts, skipped };
    },
  };
}
