import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { posix } from 'node:path';
import type { Manifest, ManifestItem, MlPackage } from './ml-package.js';
import type { CoreMLModel, MilValue } from './proto-types.js';
import { BlobFileWriter } from './_internal/blob-format.js';
import { withSession } from './_internal/blob-session.js';
import { encodeMessage } from './_internal/codec.js';
import { ioError, wrapFsError } from './_internal/errors.js';
import { serializeManifest } from './_internal/manifest.js';
import { packedBytes } from './_internal/mil-types.js';
import { PENDING_PREFIX, pendingBlobs, resolveBlobPath, sourceBlobFiles } from './_internal/package-state.js';
import { forEachValue } from './_internal/value-walk.js';

/** Progress of {@link writeMlPackage}: throwing from the callback aborts the write (nothing is left behind). */
export interface WriteProgress {
  readonly phase: 'blobs' | 'model' | 'files' | 'commit';
  /** Items done in this phase. */
  readonly done: number;
  /** Items in this phase. */
  readonly total: number;
}

/** Options of {@link writeMlPackage}. */
export interface WriteMlPackageOptions {
  /** Replace an existing output package. @defaultValue false */
  readonly overwrite?: boolean;
  /** Allow writing over the package the input was read from. @defaultValue false */
  readonly inPlace?: boolean;
  /** Called as the write proceeds (for progress bars). An exception thrown here aborts the write cleanly. */
  readonly onProgress?: (progress: WriteProgress) => void;
}

/** One file of a written package. */
export interface WrittenFile {
  /** Path relative to the package directory, `/`-separated. */
  readonly path: string;
  readonly bytes: number;
}

/** What {@link writeMlPackage} wrote. */
export interface WriteResult {
  /** Absolute path of the package. */
  readonly path: string;
  readonly files: readonly WrittenFile[];
  /** Sum of all file sizes. */
  readonly totalBytes: number;
  /** Size of the root model file. */
  readonly modelBytes: number;
  /** Sum of the blob files' sizes. */
  readonly weightBytes: number;
  /** Blobs written (shared blobs counted once). */
  readonly blobCount: number;
}

const FN = 'writeMlPackage';
const DEFAULT_BLOB_FILE = '@model_path/weights/weight.bin';

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function listFiles(root: string, rel = '', depth = 0): Promise<string[]> {
  if (depth > 32) return [];
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      out.push(`${r}/`);
      out.push(...(await listFiles(root, r, depth + 1)));
    } else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Blob references of the model in program order, each with a mutable target for its new location. */
function collectBlobValues(model: CoreMLModel): MilValue[] {
  const out: MilValue[] = [];
  forEachValue(model, (v) => {
    if (v.blobFileValue !== undefined) out.push(v);
  });
  return out;
}

/**
 * Writes a package: `Manifest.json`, the root model (re-encoded; fields lowbit does not model are written back
 * unchanged), blob files holding exactly the blobs still referenced (offsets updated, reserved fields zeroed),
 * and every other file of the source package copied. The write is atomic: everything goes into a temporary
 * sibling directory that is renamed into place at the end; on any failure the temporary directory is removed
 * and no partial package is left. The input package is never modified.
 *
 * @throws QuantError `MLPACKAGE_OUTPUT_EXISTS` (output exists without `overwrite`, or is the input without
 *   `inPlace`), `MLPACKAGE_WRITE_FAILED`.
 * @example
 * ```ts
 * const result = await writeMlPackage(pkg, 'out.mlpackage', { overwrite: true });
 * console.log(result.weightBytes);
 * ```
 */
export async function writeMlPackage(
  pkg: MlPackage,
  outPath: string,
  options: WriteMlPackageOptions = {},
): Promise<WriteResult> {
  const out = resolve(outPath);
  const source = pkg.sourcePath;
  if (source !== null && (isInside(out, source) || isInside(source, out))) {
    if (out !== source) {
      throw ioError(
        'MLPACKAGE_OUTPUT_EXISTS',
        FN,
        `output ${outPath} overlaps the input package ${source}; choose a path outside it`,
        { path: out },
      );
    }
    if (options.inPlace !== true) {
      throw ioError(
        'MLPACKAGE_OUTPUT_EXISTS',
        FN,
        `output ${outPath} is the input package; pass { inPlace: true } to replace it`,
        { path: out },
      );
    }
  } else if ((await exists(out)) && options.overwrite !== true) {
    throw ioError(
      'MLPACKAGE_OUTPUT_EXISTS',
      FN,
      `output ${outPath} already exists; pass { overwrite: true } to replace it`,
      { path: out },
    );
  }
  const parent = dirname(out);
  try {
    const st = await stat(parent);
    if (!st.isDirectory()) throw new Error(`${parent} is not a directory`);
  } catch (e) {
    throw wrapFsError(e, 'MLPACKAGE_WRITE_FAILED', FN, outPath, 'output directory is not usable');
  }
  const tmp = join(parent, `.${basename(out)}.lowbit-tmp-${randomUUID()}`);
  const progress = options.onProgress ?? (() => undefined);
  const files: WrittenFile[] = [];
  let blobCount = 0;
  try {
    await mkdir(tmp);
    const model = structuredClone(pkg.model);
    const values = collectBlobValues(model);
    const pending = pendingBlobs(pkg);
    const writers = new Map<string, { writer: BlobFileWriter; fileName: string }>();
    const moved = new Map<string, number>();
    let done = 0;
    try {
      await withSession(pkg, FN, async (session) => {
        for (const v of values) {
          const ref = v.blobFileValue as NonNullable<MilValue['blobFileValue']>;
          const fileName = ref.fileName ?? '';
          const isPending = fileName.startsWith(PENDING_PREFIX);
          const targetName = isPending ? DEFAULT_BLOB_FILE : fileName;
          const key = isPending
            ? fileName
            : `${resolveBlobPath(pkg, fileName, `${FN}: Data/${pkg.rootModelPath}`)}#${ref.offset ?? 0}`;
          const targetRel = resolveBlobPath(pkg, targetName, `${FN}: Data/${pkg.rootModelPath}`);
          let w = writers.get(targetRel);
          if (w === undefined) {
            await mkdir(join(tmp, 'Data', ...posix.dirname(targetRel).split('/')), { recursive: true });
            w = {
              writer: await BlobFileWriter.create(join(tmp, 'Data', ...targetRel.split('/'))),
              fileName: targetName,
            };
            writers.set(targetRel, w);
          }
          const known = moved.get(`${targetRel}|${key}`);
          let offset: number;
          if (known !== undefined) offset = known;
          else {
            let blobType: number;
            let data: Uint8Array;
            let paddingBits = 0;
            if (isPending) {
              const p = pending.get(fileName);
              if (p === undefined) throw ioError('MLPACKAGE_WRITE_FAILED', FN, `in-memory blob ${fileName} is missing`);
              blobType = p.dtype.blob;
              data = p.data;
              if (p.dtype.bits < 8) paddingBits = data.length * 8 - p.count * p.dtype.bits;
              if (data.length !== packedBytes(p.count, p.dtype.bits))
                throw ioError('MLPACKAGE_WRITE_FAILED', FN, `in-memory blob ${fileName} has a wrong size`);
            } else {
              const raw = await session.read(v, `${FN}: Data/${pkg.rootModelPath}: blob value`);
              blobType = raw.dtype.blob;
              data = raw.bytes as Uint8Array;
              if (raw.dtype.bits < 8) paddingBits = data.length * 8 - raw.count * raw.dtype.bits;
            }
            offset = await w.writer.append(blobType, data, paddingBits);
            moved.set(`${targetRel}|${key}`, offset);
            blobCount++;
          }
          ref.fileName = w.fileName;
          ref.offset = offset;
          progress({ phase: 'blobs', done: ++done, total: values.length });
        }
      });
    } finally {
      for (const [rel, w] of writers) {
        const size = await w.writer.finish().catch(async (e: unknown) => {
          await w.writer.abort();
          throw e;
        });
        files.push({ path: `Data/${rel}`, bytes: size });
      }
    }
    const weightBytes = files.reduce((a, f) => a + f.bytes, 0);
    // Root model
    progress({ phase: 'model', done: 0, total: 1 });
    const modelBytes = encodeMessage(model, 'Model');
    await mkdir(join(tmp, 'Data', ...posix.dirname(pkg.rootModelPath).split('/')), { recursive: true });
    await writeFileSynced(join(tmp, 'Data', ...pkg.rootModelPath.split('/')), modelBytes);
    files.push({ path: `Data/${pkg.rootModelPath}`, bytes: modelBytes.length });
    progress({ phase: 'model', done: 1, total: 1 });
    // Manifest (a weights item is added when blobs are written and none exists)
    let manifest: Manifest = pkg.manifest;
    const hasWeightsItem = Object.values(manifest.itemInfoEntries).some(
      (it) => it.name === 'weights' && it.author === 'com.apple.CoreML',
    );
    if (!hasWeightsItem && writers.size > 0) {
      const item: ManifestItem = {
        author: 'com.apple.CoreML',
        description: 'CoreML Model Weights',
        name: 'weights',
        path: pkg.weightsPath,
      };
      manifest = { ...manifest, itemInfoEntries: { ...manifest.itemInfoEntries, [randomUUID().toUpperCase()]: item } };
    }
    for (const item of Object.values(manifest.itemInfoEntries)) {
      if (item.name === 'weights') await mkdir(join(tmp, 'Data', ...item.path.split('/')), { recursive: true });
    }
    const manifestBytes = new TextEncoder().encode(serializeManifest(manifest));
    await writeFileSynced(join(tmp, 'Manifest.json'), manifestBytes);
    files.push({ path: 'Manifest.json', bytes: manifestBytes.length });
    // Other files of the source package
    if (source !== null) {
      const skip = new Set<string>(['Manifest.json', `Data/${pkg.rootModelPath}`]);
      for (const rel of sourceBlobFiles(pkg)) skip.add(`Data/${rel}`);
      for (const rel of writers.keys()) skip.add(`Data/${rel}`);
      const all = await listFiles(source);
      const toCopy = all.filter((f) => !skip.has(f));
      let copied = 0;
      for (const rel of toCopy) {
        const dst = join(tmp, ...rel.split('/'));
        if (rel.endsWith('/')) {
          await mkdir(dst, { recursive: true });
        } else {
          await mkdir(dirname(dst), { recursive: true });
          await copyFile(join(source, ...rel.split('/')), dst);
          files.push({ path: rel, bytes: (await stat(dst)).size });
        }
        progress({ phase: 'files', done: ++copied, total: toCopy.length });
      }
    }
    // Commit: move any existing output aside, rename the temporary directory into place, drop the old one.
    progress({ phase: 'commit', done: 0, total: 1 });
    let old: string | undefined;
    if (await exists(out)) {
      old = join(parent, `.${basename(out)}.lowbit-old-${randomUUID()}`);
      await rename(out, old);
    }
    try {
      await rename(tmp, out);
    } catch (e) {
      if (old !== undefined) await rename(old, out).catch(() => undefined);
      throw e;
    }
    if (old !== undefined) await rm(old, { recursive: true, force: true });
    progress({ phase: 'commit', done: 1, total: 1 });
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      path: out,
      files,
      totalBytes: files.reduce((a, f) => a + f.bytes, 0),
      modelBytes: modelBytes.length,
      weightBytes,
      blobCount,
    };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw wrapFsError(e, 'MLPACKAGE_WRITE_FAILED', FN, outPath, 'write failed, nothing was written');
  }
}

async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.write(bytes, 0, bytes.length, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
