import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { QuantError } from '@lowbit/dtypes';
import { chooseQParams } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import { inversePermutation, permute } from '../_internal/permute.js';
import type { FakeQuantizer } from '../fake-quantizer.js';
import { prepare } from '../prepare.js';
import type { QatActivation, QatConfig, QatResult, QatSession, QatWeight } from '../prepare.js';
import type { QatMilestoneName, QatScheduleState } from '../schedule.js';

/** Options of {@link prepareLayersModel}: a {@link QatConfig} plus adapter switches. */
export interface LayersModelQatConfig extends QatConfig {
  /**
   * Fake-quantize the input of every wrapped layer with the config's `activation` spec (per-tensor specs are the
   * ones that make sense here: the batch size changes). @defaultValue true when the config has an activation spec
   */
  readonly quantizeInputs?: boolean;
}

/** A QAT session over a `tf.LayersModel`, created by {@link prepareLayersModel}. */
export interface LayersModelQatSession {
  /** The framework-agnostic session underneath (weights in lowbit layout: `[out, in]`, `[out, in, kh, kw]`). */
  readonly core: QatSession;
  /** Names of the wrapped Dense / Conv2D layers. */
  readonly layerNames: readonly string[];
  /**
   * The learned parameters as `tf.Variable`s (LSQ scales, LSQ+ offsets; empty without learning). Add them to the
   * optimizer's variable list: `optimizer.minimize(loss, false, [...modelVars, ...session.variables])`.
   */
  readonly variables: readonly tf.Variable[];
  /** The schedule state now. */
  readonly state: QatScheduleState;
  /** Training mode, used when a layer call carries no `training` flag (observers run only in training). @defaultValue true */
  training: boolean;
  /** Advances the schedule one step (call once per training step, before the forward pass). */
  step(): QatMilestoneName[];
  /** Quantized kernels (`<layer>/kernel`, lowbit layout) and input activation parameters (`<layer>/input`). */
  finalize(): QatResult;
  /** Unwraps the layers (restores their `call`) and disposes the parameter variables. */
  dispose(): void;
}

interface LayerVariableLike {
  read(): tf.Variable;
  readonly shape: readonly number[];
}

interface LayerLike {
  readonly name: string;
  getClassName(): string;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  kernel?: LayerVariableLike | null;
}

/** Layout of a tfjs kernel relative to lowbit's: `toCore` permutes tfjs -> lowbit. */
const LAYOUTS: Readonly<Record<string, { opType: 'linear' | 'conv'; toCore: readonly number[] }>> = {
  // Dense kernel [in, out] -> [out, in]
  Dense: { opType: 'linear', toCore: [1, 0] },
  // Conv2D kernel [kh, kw, in, out] -> [out, in, kh, kw]
  Conv2D: { opType: 'conv', toCore: [3, 2, 0, 1] },
};

interface Wrapped {
  readonly layer: LayerLike;
  readonly originalCall: LayerLike['call'];
}

interface WeightBinding {
  readonly layer: LayerLike;
  readonly kernel: LayerVariableLike;
  readonly name: string;
  readonly toCore: readonly number[];
  readonly fromCore: readonly number[];
  fq: FakeQuantizer | null;
  scaleVar: tf.Variable | null;
  offsetVar: tf.Variable | null;
}

interface InputBinding {
  fq: FakeQuantizer | null;
  scaleVar: tf.Variable | null;
  offsetVar: tf.Variable | null;
}

function coreKernel(b: WeightBinding): Tensor {
  const v = b.kernel.read();
  return permute(v.dataSync() as Float32Array, v.shape, b.toCore);
}

/**
 * Prepares a `tf.LayersModel` for quantization-aware training: the kernels of its `Dense` and `Conv2D` layers
 * (and optionally their inputs) are fake-quantized inside each layer call by `tf.customGrad` ops whose forward
 * and backward are `@lowbit/qat`'s fake quantizers (straight-through gradients, LSQ / LSQ+ for the parameters).
 * Train with your own optimizer and data (`model.fit`, or `optimizer.minimize` with {@link
 * LayersModelQatSession.variables} added when scales are learned), call `step()` once per training step, then
 * `finalize()`.
 *
 * Layouts: a tfjs Dense kernel is `[in, out]` and a Conv2D kernel `[kh, kw, in, out]`; the quantizers and the
 * exported tensors use lowbit's `[out, in]` and `[out, in, kh, kw]`, so per-channel means per output unit /
 * filter and per-block blocks run along the input axis. When batch-norm statistics freeze (milestone 4),
 * `BatchNormalization` layers run in inference mode (running statistics, no updates) during training.
 *
 * Tested with the pure-JS CPU backend (`@tensorflow/tfjs-backend-cpu`). The quantizers read tensors to the CPU
 * (`dataSync`), so other backends work but pay a download per layer call.
 *
 * @throws QuantError `QAT_INVALID_ARGUMENT` when the model has no Dense / Conv2D layer or is not built.
 */
export function prepareLayersModel(model: LayersModel, config: LayersModelQatConfig): LayersModelQatSession {
  const where = 'prepareLayersModel';
  if (typeof model !== 'object' || model === null || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: expected a tf.LayersModel`);
  }
  const layers = model.layers as unknown as LayerLike[];
  const weights: WeightBinding[] = [];
  const batchNorms: LayerLike[] = [];
  for (const layer of layers) {
    const cls = layer.getClassName();
    if (cls === 'BatchNormalization') batchNorms.push(layer);
    const layout = LAYOUTS[cls];
    if (layout === undefined) continue;
    const kernel = layer.kernel;
    if (kernel === null || kernel === undefined) {
      throw new QuantError(
        'QAT_INVALID_ARGUMENT',
        `${where}: layer '${layer.name}' has no kernel yet; build the model first`,
      );
    }
    weights.push({
      layer,
      kernel,
      name: `${layer.name}/kernel`,
      toCore: layout.toCore,
      fromCore: inversePermutation(layout.toCore),
      fq: null,
      scaleVar: null,
      offsetVar: null,
    });
  }
  if (weights.length === 0) {
    throw new QuantError('QAT_INVALID_ARGUMENT', `${where}: the model has no Dense or Conv2D layer to quantize`);
  }
  const quantizeInputs = config.quantizeInputs ?? true;
  const qatWeights: QatWeight[] = weights.map((b) => ({
    name: b.name,
    opType: LAYOUTS[b.layer.getClassName()]!.opType,
    value: () => coreKernel(b),
  }));
  const qatActivations: QatActivation[] = quantizeInputs ? weights.map((b) => ({ name: `${b.layer.name}/input` })) : [];
  const core = prepare({ weights: qatWeights, activations: qatActivations }, config);
  const variables: tf.Variable[] = [];
  for (const b of weights) {
    b.fq = core.weights.get(b.name) ?? null;
    if (b.fq !== null && b.fq.learning !== 'none') {
      const w = coreKernel(b);
      b.fq.setQParams(chooseQParams(w, b.fq.spec, { opKind: b.fq.opKind as 'linear' }));
      b.scaleVar = tf.variable(tf.tensor1d(Float32Array.from(b.fq.scales()!)), true, `${b.name}/qat_scale`);
      variables.push(b.scaleVar);
      if (b.fq.learning === 'lsq_plus') {
        b.offsetVar = tf.variable(tf.tensor1d(Float32Array.from(b.fq.offsets()!)), true, `${b.name}/qat_offset`);
        variables.push(b.offsetVar);
      }
    }
  }
  const inputs = new Map<LayerLike, InputBinding>();
  for (const b of weights) {
    const fq = core.activations.get(`${b.layer.name}/input`) ?? null;
    inputs.set(b.layer, { fq, scaleVar: null, offsetVar: null });
  }
  let training = true;
  const wrapped: Wrapped[] = [];
  const isTraining = (kwargs: Record<string, unknown> | undefined): boolean =>
    typeof kwargs?.['training'] === 'boolean' ? (kwargs['training'] as boolean) : training;

  for (const b of weights) {
    const layer = b.layer;
    const originalCall = layer.call;
    const input = inputs.get(layer) as InputBinding;
    layer.call = function wrappedCall(this: LayerLike, x: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) {
      const train = isTraining(kwargs);
      let xs = x;
      if (input.fq !== null) {
        const single = Array.isArray(x) ? (x[0] as tf.Tensor) : x;
        const q = fakeQuantOp(input, single, null, train, variables);
        xs = Array.isArray(x) ? [q, ...x.slice(1)] : q;
      }
      if (b.fq === null) return originalCall.call(this, xs, kwargs);
      const kernelVar = b.kernel.read();
      const quantized = fakeQuantOp(b, kernelVar, b, train, variables);
      const originalRead = b.kernel.read;
      b.kernel.read = () => quantized as tf.Variable;
      try {
        return originalCall.call(this, xs, kwargs);
      } finally {
        b.kernel.read = originalRead;
      }
    };
    wrapped.push({ layer, originalCall });
  }
  for (const layer of batchNorms) {
    const originalCall = layer.call;
    layer.call = function frozenBatchNorm(
      this: LayerLike,
      x: tf.Tensor | tf.Tensor[],
      kwargs: Record<string, unknown>,
    ) {
      const frozen = core.state.batchNormFrozen;
      return originalCall.call(this, x, frozen ? { ...kwargs, training: false } : kwargs);
    };
    wrapped.push({ layer, originalCall });
  }

  return {
    core,
    layerNames: weights.map((b) => b.layer.name),
    variables,
    get state() {
      return core.state;
    },
    get training() {
      return training;
    },
    set training(value: boolean) {
      training = value === true;
    },
    step() {
      return core.step();
    },
    finalize() {
      syncFromVariables(weights);
      for (const input of inputs.values()) syncFromVariables([input]);
      return core.finalize();
    },
    dispose() {
      for (const w of wrapped) w.layer.call = w.originalCall;
      wrapped.length = 0;
      for (const v of variables) v.dispose();
      variables.length = 0;
    },
  };
}

function syncFromVariables(bindings: readonly InputBinding[]): void {
  for (const b of bindings) {
    if (b.fq === null || b.scaleVar === null) continue;
    b.fq.setScales(b.scaleVar.dataSync());
    if (b.offsetVar !== null) b.fq.setOffsets(b.offsetVar.dataSync());
  }
}

/**
 * Fake quantization of `x` as a custom-gradient op. `layout` permutes a kernel to lowbit's layout (null for
 * activations). Observation (when enabled and training) happens before the op and rewrites the parameter
 * variables; otherwise learned variables are the source of the parameters.
 */
function fakeQuantOp(
  binding: InputBinding,
  x: tf.Tensor,
  layout: WeightBinding | null,
  train: boolean,
  variables: tf.Variable[],
): tf.Tensor {
  const fq = binding.fq as FakeQuantizer;
  const shape = x.shape;
  const raw = x.dataSync() as Float32Array;
  const coreX: Tensor = layout === null ? { data: raw, shape } : permute(raw, shape, layout.toCore);
  if (fq.learning !== 'none' && binding.scaleVar === null) {
    // Activations: the parameter variables are created on the first call (the shape is known only then).
    if (fq.qparams() === null) fq.observe(coreX);
    binding.scaleVar = tf.variable(tf.tensor1d(Float32Array.from(fq.scales()!)), true);
    variables.push(binding.scaleVar);
    if (fq.learning === 'lsq_plus') {
      binding.offsetVar = tf.variable(tf.tensor1d(Float32Array.from(fq.offsets()!)), true);
      variables.push(binding.offsetVar);
    }
  }
  if (train && fq.observerEnabled) {
    fq.observe(coreX);
    if (binding.scaleVar !== null) binding.scaleVar.assign(tf.tensor1d(Float32Array.from(fq.scales()!)));
    if (binding.offsetVar !== null) binding.offsetVar.assign(tf.tensor1d(Float32Array.from(fq.offsets()!)));
  } else if (binding.scaleVar !== null) {
    fq.setScales(binding.scaleVar.dataSync());
    if (binding.offsetVar !== null) fq.setOffsets(binding.offsetVar.dataSync());
  }
  if (!fq.fakeQuantEnabled) return x;
  const back = (data: Float32Array): Float32Array =>
    layout === null ? data : permute(data, coreX.shape, layout.fromCore).data;
  const learnScale = binding.scaleVar !== null;
  const learnOffset = binding.offsetVar !== null;
  const op = tf.customGrad((...args: (tf.Tensor | ((save: tf.Tensor[]) => void))[]) => {
    const input = args[0] as tf.Tensor;
    const y = fq.forward(coreX, { observe: false });
    return {
      value: tf.tensor(back(y.data), input.shape, 'float32'),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const dCore = layout === null ? d : permute(d, shape, layout.toCore).data;
        const g = fq.backward(dCore, coreX);
        const grads: tf.Tensor[] = [tf.tensor(back(g.input), input.shape, 'float32')];
        if (learnScale) grads.push(tf.tensor1d(g.scales ?? new Float32Array(fq.numBlocks ?? 0)));
        if (learnOffset) grads.push(tf.tensor1d(g.offsets ?? new Float32Array(fq.numBlocks ?? 0)));
        return grads;
      },
    };
  });
  const opInputs: tf.Tensor[] = [x];
  if (binding.scaleVar !== null) opInputs.push(binding.scaleVar);
  if (binding.offsetVar !== null) opInputs.push(binding.offsetVar);
  return op(...opInputs);
}
