/**
 * @lowbit/io-mlpackage: read, inspect, compress, decompress and write Core ML `.mlpackage` files (ML Programs,
 * also inside pipelines) without Python. Depends only on @lowbit/dtypes and @lowbit/spec; never runs a
 * quantization algorithm.
 */
import type { CompressedWeight, CompressResult, WeightReplacement } from './compress-weights.js';
import type { BlobFileEntry, BlobFileSummary } from './inspect-blob-file.js';
import type { ActivationQuantizationInfo } from './list-activation-quantization.js';
import type { Manifest, ManifestItem, MlFunctionInfo, MlPackage, MlProgramInfo, OpsetTarget } from './ml-package.js';
import type {
  BuildOptions,
  BuilderDType,
  Conv2dOptions,
  Pool2dOptions,
  ProgramBuilder,
  ProgramBuilderOptions,
  ProgramVar,
} from './program-builder.js';
import type {
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
import type { ActivationQuantization, QuantizeActivationsResult, QuantizedActivation } from './quantize-activations.js';
import type { ReadMlPackageOptions } from './read-ml-package.js';
import type { FunctionUpgradeCheck, OpsetUpgradeCheck } from './upgrade-opset.js';
import type { CompressionKind, WeightCompression, WeightConsumer, WeightInfo } from './weight-info.js';
import type { WriteMlPackageOptions, WriteProgress, WriteResult, WrittenFile } from './write-ml-package.js';
import type { WeightRef } from './_internal/find-weight.js';
import { compressWeights } from './compress-weights.js';
import { decompressWeights } from './decompress-weights.js';
import { inspectBlobFile } from './inspect-blob-file.js';
import { listActivationQuantization } from './list-activation-quantization.js';
import { listWeights } from './list-weights.js';
import { decodeModel, encodeModel } from './model-codec.js';
import { createProgramBuilder } from './program-builder.js';
import { quantizeActivations } from './quantize-activations.js';
import { readMlPackage } from './read-ml-package.js';
import { readWeight } from './read-weight.js';
import { checkOpsetUpgrade, upgradeOpset } from './upgrade-opset.js';
import { writeMlPackage } from './write-ml-package.js';

export type {
  ActivationQuantization,
  ActivationQuantizationInfo,
  ArrayFeatureType,
  BlobFileEntry,
  BlobFileSummary,
  BuildOptions,
  BuilderDType,
  CompressedWeight,
  CompressionKind,
  CompressResult,
  Conv2dOptions,
  CoreMLModel,
  FeatureDescription,
  FeatureType,
  FunctionDescription,
  FunctionUpgradeCheck,
  Manifest,
  ManifestItem,
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
  MlFunctionInfo,
  MlPackage,
  MlProgramInfo,
  ModelDescription,
  ModelMetadata,
  OpsetTarget,
  OpsetUpgradeCheck,
  Pipeline,
  PipelineWrapper,
  Pool2dOptions,
  ProgramBuilder,
  ProgramBuilderOptions,
  ProgramVar,
  ProtoMessage,
  ProtoUnknownField,
  QuantizeActivationsResult,
  QuantizedActivation,
  ReadMlPackageOptions,
  WeightCompression,
  WeightConsumer,
  WeightInfo,
  WeightRef,
  WeightReplacement,
  WriteMlPackageOptions,
  WriteProgress,
  WriteResult,
  WrittenFile,
};

export {
  checkOpsetUpgrade,
  compressWeights,
  createProgramBuilder,
  decodeModel,
  decompressWeights,
  encodeModel,
  inspectBlobFile,
  listActivationQuantization,
  listWeights,
  quantizeActivations,
  readMlPackage,
  readWeight,
  upgradeOpset,
  writeMlPackage,
};
