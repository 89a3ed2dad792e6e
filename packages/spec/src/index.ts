export type {
  Granularity,
  PerBlockGranularity,
  PerChannelGranularity,
  PerTensorGranularity,
  QFormulation,
  QScheme,
  QuantizationSpec,
  ScaleDType,
} from './quantization-spec.js';
export type { QuantizedTensor } from './quantized-tensor.js';
export type { DefaultAxes, OpKind } from './op-kind.js';
export type { QuantRange } from './quant-range.js';
export type {
  AppliedResolution,
  QuantizationConfig,
  SkippedResolution,
  SkipReason,
  SpecResolution,
  SpecSource,
  TensorInfo,
} from './quantization-config.js';
export type { ParseResult, SpecIssue } from './spec-issue.js';
export type { PresetName } from './presets.js';

export { defaultAxes, opKindOf } from './op-kind.js';
export { quantRange } from './quant-range.js';
export { validateSpec } from './validate-spec.js';
export { validateConfig } from './validate-config.js';
export { resolveBlockShape, resolveGranularityAxes } from './block-shape.js';
export { DEFAULT_MIN_SIZE, REGEX_KEY_PREFIX } from './quantization-config.js';
export { resolveTensorSpec } from './resolve-tensor-spec.js';
export { PRESETS, getPreset, listPresets } from './presets.js';
export { parseConfig, parseSpec } from './parse.js';
export { serializeConfig, serializeSpec } from './serialize.js';
export { describeSpec, specKey } from './describe-spec.js';
