/**
 * @lowbit/qat: quantization-aware training without a framework. Fake quantizers with straight-through and
 * LSQ / LSQ+ gradients, observer-driven ranges, a coremltools-style milestone schedule, and `finalize()` to
 * `QuantizedTensor`s. The TensorFlow.js adapter lives in `@lowbit/qat/tfjs`. Nothing happens at import time.
 */
export type {
  FakeQuantizer,
  FakeQuantizerForwardOptions,
  FakeQuantizerGradients,
  FakeQuantizerOptions,
  ScaleLearning,
} from './fake-quantizer.js';
export type { QatMilestoneName, QatMilestones, QatSchedule, QatScheduleState } from './schedule.js';
export type { QatActivation, QatConfig, QatModel, QatResult, QatSession, QatWeight } from './prepare.js';

export { createFakeQuantizer } from './fake-quantizer.js';
export { createQatSchedule } from './schedule.js';
export { prepare } from './prepare.js';
