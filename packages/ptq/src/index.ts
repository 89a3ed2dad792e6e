/**
 * @lowbit/ptq: post-training quantization. Data-free weight-only round-to-nearest over any model given as named
 * weight tensors (in memory or streamed), with a report of every tensor; and activation calibration from
 * observers. Nothing is registered or mutated at import time.
 */
export type { ActivationQParams, Calibrator, CalibratorJSON, CalibratorOptions } from './calibrator.js';
export type { ClipRatioSummary, PtqReport, PtqTensorReport, PtqTensorStatus, PtqTotals } from './ptq-report.js';
export type { QuantizeWeightsResult } from './quantize-weights.js';
export type {
  PtqProgress,
  PtqStreamItem,
  QuantizeWeightsOptions,
  RangeSearchOptions,
} from './quantize-weights-stream.js';
export type { WeightTensor } from './weight-tensor.js';

export { createCalibrator, restoreCalibrator } from './calibrator.js';
export { quantizeWeights } from './quantize-weights.js';
export { quantizeWeightsStream } from './quantize-weights-stream.js';
