export type { HessianAccumulator, HessianState } from './hessian-accumulator.js';
export type { GptqLayerOptions, GptqLayerResult, GptqLayerStats } from './gptq-quantize-layer.js';
export type {
  CaptureInputs,
  GptqProgress,
  GptqSequentialOptions,
  GptqSequentialResult,
  GptqStage,
  GptqStageLayer,
} from './gptq-quantize-sequential.js';

export { createHessianAccumulator, restoreHessianAccumulator } from './hessian-accumulator.js';
export { gptqQuantizeLayer } from './gptq-quantize-layer.js';
export { gptqQuantizeSequential } from './gptq-quantize-sequential.js';
