import { open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { posix } from 'node:path';
import type { MlPackage } from './ml-package.js';
import type { CoreMLModel } from './proto-types.js';
import { decodeMessage } from './_internal/codec.js';
import { fileError, wrapFsError } from './_internal/errors.js';
import { parseManifest } from './_internal/manifest.js';
import { makePackage, resolveBlobPath } from './_internal/package-state.js';
import { forEachValue } from './_internal/value-walk.js';
import { WireError } from './_internal/wire.js';

/** Options of {@link readMlPackage}. */
export interface ReadMlPackageOptions {
  /** Largest `model.mlmodel` accepted, in bytes. @defaultValue 1 GiB */
  readonly maxModelBytes?: number;
}

const FN = 'readMlPackage';
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

async function readSmallFile(
  path: string,
  label: string,
  max: number,
  code: 'MLPACKAGE_INVALID_MANIFEST' | 'MLPACKAGE_MALFORMED_PROTOBUF',
): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw wrapFsError(e, code, FN, label, 'cannot open');
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fileError(code, FN, label, null, 'is not a regular file');
    if (st.size > max) throw fileError(code, FN, label, null, `is ${st.size} bytes, larger than the ${max}-byte limit`);
    const buf = new Uint8Array(st.size);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await fh.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } catch (e) {
    throw wrapFsError(e, code, FN, label, 'cannot read');
  } finally {
    await fh.close();
  }
}

/** Decodes a serialized `CoreML.Specification.Model`; `label` names the file in errors. */
export function decodeModelBytes(bytes: Uint8Array, label: string, fn: string): CoreMLModel {
  try {
    return decodeMessage(bytes, 'Model') as unknown as CoreMLModel;
  } catch (e) {
    if (e instanceof WireError) throw fileError('MLPACKAGE_MALFORMED_PROTOBUF', fn, label, e.offset, e.message);
    throw e;
  }
}

/**
 * Reads a `.mlpackage` directory: validates `Manifest.json`, decodes the root model and locates every ML Program
 * (also inside pipelines). Weights are not loaded; read them with `readWeight`.
 *
 * @throws QuantError `MLPACKAGE_NOT_FOUND`, `MLPACKAGE_INVALID_MANIFEST`, `MLPACKAGE_UNSUPPORTED_VERSION`,
 *   `MLPACKAGE_MALFORMED_PROTOBUF` (naming the file and byte offset).
 * @example
 * ```ts
 * const pkg = await readMlPackage('model.mlpackage');
 * console.log(pkg.specificationVersion, pkg.programs[0]?.functions[0]?.opset);
 * ```
 */
export async function readMlPackage(path: string, options: ReadMlPackageOptions = {}): Promise<MlPackage> {
  const dir = resolve(path);
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) {
      throw fileError(
        'MLPACKAGE_UNSUPPORTED',
        FN,
        path,
        null,
        'is a file; an .mlpackage is a directory (single-file .mlmodel models are not supported)',
      );
    }
  } catch (e) {
    throw wrapFsError(e, 'MLPACKAGE_NOT_FOUND', FN, path, 'cannot open package');
  }
  const manifestBytes = await readSmallFile(
    join(dir, 'Manifest.json'),
    'Manifest.json',
    MAX_MANIFEST_BYTES,
    'MLPACKAGE_INVALID_MANIFEST',
  ).catch((e: unknown) => {
    if ((e as { code?: string }).code === 'MLPACKAGE_NOT_FOUND') {
      throw fileError(
        'MLPACKAGE_INVALID_MANIFEST',
        FN,
        `${path}/Manifest.json`,
        null,
        'a valid manifest does not exist (every .mlpackage has Manifest.json at its root)',
      );
    }
    throw e;
  });
  const manifest = parseManifest(new TextDecoder().decode(manifestBytes), 'Manifest.json', FN);
  const rootItem = manifest.itemInfoEntries[manifest.rootModelIdentifier];
  const rootModelPath = posix.normalize((rootItem as { path: string }).path);
  const label = `Data/${rootModelPath}`;
  const modelBytes = await readSmallFile(
    join(dir, 'Data', ...rootModelPath.split('/')),
    label,
    options.maxModelBytes ?? 1024 ** 3,
    'MLPACKAGE_MALFORMED_PROTOBUF',
  );
  const model = decodeModelBytes(modelBytes, label, FN);
  const weightsItem = Object.values(manifest.itemInfoEntries).find(
    (it) => it.name === 'weights' && it.author === 'com.apple.CoreML',
  );
  const weightsPath =
    weightsItem !== undefined ? posix.normalize(weightsItem.path) : posix.join(posix.dirname(rootModelPath), 'weights');
  const blobFiles = new Set<string>();
  forEachValue(model, (v) => {
    const ref = v.blobFileValue;
    if (ref !== undefined)
      blobFiles.add(resolveBlobPath({ rootModelPath, weightsPath }, ref.fileName ?? '', `${FN}: ${label}`));
  });
  return makePackage(
    { sourcePath: dir, manifest, rootModelPath, weightsPath, model },
    new Map(),
    blobFiles,
    `${FN}: ${label}`,
  );
}
