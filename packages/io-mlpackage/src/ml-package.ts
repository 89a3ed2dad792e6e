import type { CoreMLModel, MilBlock, MilProgram } from './proto-types.js';

/** Deployment targets lowbit knows, by the MIL opset they select (`CoreML5` = iOS15 ... `CoreML9` = iOS26). */
export type OpsetTarget = 'iOS15' | 'iOS16' | 'iOS17' | 'iOS18' | 'iOS26';

/** One entry of `Manifest.json` `itemInfoEntries`. */
export interface ManifestItem {
  readonly author: string;
  readonly description: string;
  readonly name: string;
  /** Path relative to the package's `Data/` directory. */
  readonly path: string;
}

/** The validated content of `Manifest.json`. */
export interface Manifest {
  /** `major.minor.patch`; lowbit reads and writes `1.0.0`. */
  readonly fileFormatVersion: string;
  /** Items by identifier. */
  readonly itemInfoEntries: Readonly<Record<string, ManifestItem>>;
  /** Identifier of the root model item. */
  readonly rootModelIdentifier: string;
}

/** One function of an ML Program, with its active block. */
export interface MlFunctionInfo {
  /** Where the program sits: `''` for the root model, `pipeline.models[0]` inside a pipeline. */
  readonly modelPath: string;
  /** Function name (`main`). */
  readonly name: string;
  /** Active opset string, e.g. `CoreML6`. */
  readonly opset: string;
  /** The deployment target of that opset, or null for an opset lowbit does not know. */
  readonly target: OpsetTarget | null;
  /** The active block (`blockSpecializations[opset]`). */
  readonly block: MilBlock;
  /** Number of ops of each type in the block, nested blocks included. */
  readonly opTypeCounts: Readonly<Record<string, number>>;
}

/** One ML Program found in the package (the root model, or a model inside a pipeline). */
export interface MlProgramInfo {
  /** `''` for the root model, `pipeline.models[1]` (and deeper) inside pipelines. */
  readonly modelPath: string;
  /** `specificationVersion` of the Model message that holds the program. */
  readonly specificationVersion: number;
  readonly program: MilProgram;
  readonly functions: readonly MlFunctionInfo[];
}

/**
 * A Core ML model package in memory: the manifest, the decoded root model and where its ML Programs are.
 * Weights stay on disk and are read by offset when needed. Treat it as immutable: every transforming function
 * (`compressWeights`, `decompressWeights`, `upgradeOpset`, `quantizeActivations`) returns a new package and
 * leaves its input untouched.
 */
export interface MlPackage {
  /** Directory the package was read from, or null for a package built in memory. */
  readonly sourcePath: string | null;
  readonly manifest: Manifest;
  /** Path of the root model file relative to `Data/` (e.g. `com.apple.CoreML/model.mlmodel`). */
  readonly rootModelPath: string;
  /** Path of the weights directory relative to `Data/` (e.g. `com.apple.CoreML/weights`). */
  readonly weightsPath: string;
  /** The decoded root `Model` message. */
  readonly model: CoreMLModel;
  /** `specificationVersion` of the root model. */
  readonly specificationVersion: number;
  /** Every ML Program in the package, root first, then pipeline members in order. */
  readonly programs: readonly MlProgramInfo[];
}
