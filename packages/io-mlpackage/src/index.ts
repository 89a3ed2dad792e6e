/**
 * @lowbit/io-mlpackage: read, inspect, compress, decompress and write Core ML `.mlpackage` files (ML Programs,
 * also inside pipelines) without Python. Depends only on @lowbit/dtypes and @lowbit/spec; never runs a
 * quantization algorithm.
 */
import type { Manifest, ManifestItem, MlFunctionInfo, MlPackage, MlProgramInfo, OpsetTarget } from './ml-package.js';
import type { ReadMlPackageOptions } from './read-ml-package.js';
import type { CompressionKind, WeightCompression, WeightConsumer, WeightInfo } from './weight-info.js';
import type { WeightRef } from './_internal/find-weight.js';
import { listWeights } from './list-weights.js';
import { readMlPackage } from './read-ml-package.js';
import { readWeight } from './read-weight.js';

export type {
  CompressionKind,
  Manifest,
  ManifestItem,
  MlFunctionInfo,
  MlPackage,
  MlProgramInfo,
  OpsetTarget,
  ReadMlPackageOptions,
  WeightCompression,
  WeightConsumer,
  WeightInfo,
  WeightRef,
};

export { listWeights, readMlPackage, readWeight };
