/**
 * @lowbit/io-mlpackage: read, inspect, compress, decompress and write Core ML `.mlpackage` files (ML Programs,
 * also inside pipelines) without Python. Depends only on @lowbit/dtypes and @lowbit/spec; never runs a
 * quantization algorithm.
 */
export type { CompressedWeight, CompressResult, WeightReplacement } from './compress-weights.js';
export type { BlobFileEntry, BlobFileSummary } from './inspect-blob-file.js';
export type { ActivationQuantizationInfo } from './list-activation-quantization.js';
export type { Manifest, ManifestItem, MlFunctionInfo, MlPackage, MlProgramInfo, OpsetTarget } from './ml-package.js';
export type {
  BuildOptions,
  BuilderDType,
  Conv2dOptions,
  Pool2dOptions,
  ProgramBuilder,
  ProgramBuilderOptions,
  ProgramVar,
} from './program-builder.js';
export type {
  ArrayFeatureType,
  CoreMLModel,
  FeatureDescription,
  FeatureType,
  FunctionDescription,
  MilArgument,
  MilBinding,
  MilBlobFileValue,
  MilBlock,
  MilDictionaryType,
  MilDictionaryValue,
  MilDimension,
  MilFunction,
  MilImmediateValue,
  MilListType,
  MilNamedValueType,
  MilOperation,
  MilProgram,
  MilStateType,
  MilTensorType,
  MilTensorValue,
  MilTupleType,
  MilValue,
  MilValueList,
  MilValueType,
  ModelDescription,
  ModelMetadata,
  Pipeline,
  PipelineWrapper,
  ProtoMessage,
  ProtoUnknownField,
} from './proto-types.js';
export type { ActivationQuantization, QuantizeActivationsResult, QuantizedActivation } from './quantize-activations.js';
export type { ReadMlPackageOptions } from './read-ml-package.js';
export type { FunctionUpgradeCheck, OpsetUpgradeCheck } from './upgrade-opset.js';
export type { CompressionKind, WeightCompression, WeightConsumer, WeightInfo } from './weight-info.js';
export type { WriteMlPackageOptions, WriteProgress, WriteResult, WrittenFile } from './write-ml-package.js';
export type { WeightRef } from './_internal/find-weight.js';

export { compressWeights } from './compress-weights.js';
export { decompressWeights } from './decompress-weights.js';
export { inspectBlobFile } from './inspect-blob-file.js';
export { listActivationQuantization } from './list-activation-quantization.js';
export { listWeights } from './list-weights.js';
export { decodeModel, encodeModel } from './model-codec.js';
export { createProgramBuilder } from './program-builder.js';
export { quantizeActivations } from './quantize-activations.js';
export { readMlPackage } from './read-ml-package.js';
export { readWeight } from './read-weight.js';
export { checkOpsetUpgrade, upgradeOpset } from './upgrade-opset.js';
export { writeMlPackage } from './write-ml-package.js';
