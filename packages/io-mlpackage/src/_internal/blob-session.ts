/** Reads tensor values of a package: immediate, pending in memory, or from blob files by offset. */
import { join } from 'node:path';
import type { MlPackage } from '../ml-package.js';
import type { MilValue } from '../proto-types.js';
import type { RawTensor } from './values.js';
import { immediateTensor, staticTensorType } from './values.js';
import { BlobFileReader } from './blob-format.js';
import type { BlobRecord } from './blob-format.js';
import { badModel, fileError } from './errors.js';
import { PENDING_PREFIX, pendingBlobs, resolveBlobPath } from './package-state.js';

/** Opens blob files lazily and keeps them open until {@link BlobSession.close}. */
export class BlobSession {
  private readonly readers = new Map<string, Promise<BlobFileReader>>();
  readonly pkg: MlPackage;
  readonly fn: string;

  constructor(pkg: MlPackage, fn: string) {
    this.pkg = pkg;
    this.fn = fn;
  }

  /** Label of the model file for messages. */
  get modelLabel(): string {
    return `Data/${this.pkg.rootModelPath}`;
  }

  /** The reader of a blob file (relative to Data/). */
  reader(rel: string): Promise<BlobFileReader> {
    let r = this.readers.get(rel);
    if (r === undefined) {
      const source = this.pkg.sourcePath;
      if (source === null) {
        r = Promise.reject(
          fileError(
            'MLPACKAGE_MALFORMED_BLOB',
            this.fn,
            `Data/${rel}`,
            null,
            'the package was built in memory and has no blob file on disk',
          ),
        );
      } else {
        r = BlobFileReader.open(join(source, 'Data', ...rel.split('/')), `Data/${rel}`, this.fn);
      }
      r.catch(() => undefined);
      this.readers.set(rel, r);
    }
    return r;
  }

  /** Reads the metadata record a blob value points at. */
  async record(fileName: string, offset: number, where: string): Promise<{ rel: string; rec: BlobRecord }> {
    const rel = resolveBlobPath(this.pkg, fileName, where);
    const reader = await this.reader(rel);
    return { rel, rec: await reader.readRecord(offset, this.fn) };
  }

  /** The elements of a tensor value, checked against its declared type. */
  async read(value: MilValue, where: string): Promise<RawTensor> {
    const imm = immediateTensor(value, where);
    if (imm !== null) return imm;
    const ref = value.blobFileValue as NonNullable<MilValue['blobFileValue']>;
    const t = staticTensorType(value.type);
    if (!t.ok) throw badModel(where, t.reason);
    const fileName = ref.fileName ?? '';
    const offset = ref.offset ?? 0;
    if (fileName.startsWith(PENDING_PREFIX)) {
      const p = pendingBlobs(this.pkg).get(fileName);
      if (p === undefined) throw badModel(where, `in-memory blob ${fileName} is missing`);
      return {
        dtype: p.dtype,
        shape: t.shape,
        count: p.count,
        bytes: p.data,
        numbers: null,
        storage: 'blob',
        blob: { fileName, offset },
      };
    }
    const { rel, rec } = await this.record(fileName, offset, where);
    const label = `Data/${rel}`;
    if (rec.dtype.mil !== t.dtype.mil) {
      throw fileError(
        'MLPACKAGE_MALFORMED_BLOB',
        this.fn,
        label,
        offset + 4,
        `blob holds ${rec.dtype.name} but ${where} declares ${t.dtype.name}`,
      );
    }
    if (rec.elementCount !== t.count) {
      throw fileError(
        'MLPACKAGE_MALFORMED_BLOB',
        this.fn,
        label,
        offset + 8,
        `blob holds ${rec.elementCount} elements but ${where} declares shape [${t.shape.join(', ')}] (${t.count})`,
      );
    }
    const reader = await this.reader(rel);
    const bytes = await reader.readData(rec, this.fn);
    return {
      dtype: t.dtype,
      shape: t.shape,
      count: t.count,
      bytes,
      numbers: null,
      storage: 'blob',
      blob: { fileName, offset },
    };
  }

  async close(): Promise<void> {
    for (const r of this.readers.values()) {
      try {
        await (await r).close();
      } catch {
        // a reader that failed to open has nothing to close
      }
    }
    this.readers.clear();
  }
}

/** Runs `body` with a session and always closes it. */
export async function withSession<T>(pkg: MlPackage, fn: string, body: (s: BlobSession) => Promise<T>): Promise<T> {
  const s = new BlobSession(pkg, fn);
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}
