/** Hidden per-package state (blobs not yet written) and the package constructor. */
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { Manifest, MlPackage } from '../ml-package.js';
import type { CoreMLModel } from '../proto-types.js';
import type { MilDType } from './mil-types.js';
import { badModel } from './errors.js';
import { isSafeRelativePath } from './manifest.js';
import { describePrograms } from './program-walk.js';

/** Blob data held in memory until the package is written. */
export interface PendingBlob {
  readonly dtype: MilDType;
  readonly count: number;
  readonly data: Uint8Array;
}

/** File name prefix of in-memory blobs inside `BlobFileValue.fileName`. */
export const PENDING_PREFIX = '@lowbit-pending/';

interface PackageState {
  readonly pending: ReadonlyMap<string, PendingBlob>;
  /** Blob files (relative to Data/) referenced when the package was read: rewritten or dropped on write. */
  readonly sourceBlobFiles: ReadonlySet<string>;
}

const STATE = new WeakMap<MlPackage, PackageState>();

/** Parts of a package. */
export interface PackageParts {
  readonly sourcePath: string | null;
  readonly manifest: Manifest;
  readonly rootModelPath: string;
  readonly weightsPath: string;
  readonly model: CoreMLModel;
}

/** Builds an MlPackage (validating its programs) with its pending blobs. */
export function makePackage(
  parts: PackageParts,
  pending: ReadonlyMap<string, PendingBlob>,
  sourceBlobFiles: ReadonlySet<string>,
  where: string,
): MlPackage {
  const programs = describePrograms(parts.model, where);
  const pkg: MlPackage = Object.freeze({
    sourcePath: parts.sourcePath,
    manifest: parts.manifest,
    rootModelPath: parts.rootModelPath,
    weightsPath: parts.weightsPath,
    model: parts.model,
    specificationVersion: parts.model.specificationVersion ?? 0,
    programs,
  });
  STATE.set(pkg, { pending, sourceBlobFiles });
  return pkg;
}

/** Pending (in-memory) blobs of a package. */
export function pendingBlobs(pkg: MlPackage): ReadonlyMap<string, PendingBlob> {
  return STATE.get(pkg)?.pending ?? new Map();
}

/** A fresh unique pending blob name. */
export function newPendingName(): string {
  return `${PENDING_PREFIX}${randomUUID()}`;
}

/** Resolves a `BlobFileValue.fileName` to a path relative to `Data/`. */
export function resolveBlobPath(
  pkg: { rootModelPath: string; weightsPath: string },
  fileName: string,
  where: string,
): string {
  let rel: string;
  if (fileName.startsWith('@model_path/')) {
    rel = posix.normalize(posix.join(posix.dirname(pkg.rootModelPath), fileName.slice('@model_path/'.length)));
  } else {
    rel = posix.join(pkg.weightsPath, posix.basename(fileName.replace(/\\/g, '/')));
  }
  if (!isSafeRelativePath(rel) || rel.startsWith('../'))
    throw badModel(where, `blob file name "${fileName}" points outside the package`);
  return rel;
}

/** Blob files the package was read with (relative to Data/). */
export function sourceBlobFiles(pkg: MlPackage): ReadonlySet<string> {
  return STATE.get(pkg)?.sourceBlobFiles ?? new Set();
}

/** Derives a package from `base` with a new model and extra pending blobs (state carried over). */
export function derivePackage(
  base: MlPackage,
  model: CoreMLModel,
  extra: ReadonlyMap<string, PendingBlob>,
  where: string,
): MlPackage {
  const pending = new Map(pendingBlobs(base));
  for (const [k, v] of extra) pending.set(k, v);
  return makePackage(
    {
      sourcePath: base.sourcePath,
      manifest: base.manifest,
      rootModelPath: base.rootModelPath,
      weightsPath: base.weightsPath,
      model,
    },
    pending,
    sourceBlobFiles(base),
    where,
  );
}
