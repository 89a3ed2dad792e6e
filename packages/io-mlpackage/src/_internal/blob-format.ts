/**
 * MIL blob storage v2 (`weight.bin`): a 64-byte header (count, version 2, reserved), then for each blob a 64-byte
 * metadata record (sentinel 0xDEADBEEF, BlobDataType, sizeInBytes, data offset, padding_size_in_bits, reserved)
 * followed by its data, every record starting on a 64-byte boundary. Little-endian throughout.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { MilDType } from './mil-types.js';
import { milDTypeByBlob } from './mil-types.js';
import { fileError, wrapFsError } from './errors.js';

export const BLOB_HEADER_SIZE = 64;
export const BLOB_METADATA_SIZE = 64;
export const BLOB_ALIGNMENT = 64;
export const BLOB_SENTINEL = 0xdeadbeef;
export const BLOB_VERSION = 2;

/** One metadata record as read from the file. Reserved fields are ignored. */
export interface BlobRecord {
  /** Offset of the metadata record (what `BlobFileValue.offset` points at). */
  readonly metadataOffset: number;
  /** `BlobDataType` number. */
  readonly blobType: number;
  /** The MIL dtype stored. */
  readonly dtype: MilDType;
  /** Bytes of data (including the partial last byte of sub-byte types). */
  readonly sizeInBytes: number;
  /** Absolute offset of the data. */
  readonly dataOffset: number;
  /** Unused high bits of the last byte (sub-byte types only; 0 otherwise). */
  readonly paddingBits: number;
  /** Number of elements the data holds. */
  readonly elementCount: number;
}

/** Rounds up to the next multiple of 64. */
export function align64(n: number): number {
  return Math.ceil(n / BLOB_ALIGNMENT) * BLOB_ALIGNMENT;
}

function u64(view: DataView, at: number): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  return hi * 4294967296 + lo;
}

async function readExact(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** An open blob file: reads metadata and data by offset, never the whole file. */
export class BlobFileReader {
  readonly file: string;
  readonly label: string;
  readonly size: number;
  private readonly fh: FileHandle;
  private readonly records = new Map<number, BlobRecord>();
  private header: { count: number; version: number } | undefined;

  private constructor(file: string, label: string, fh: FileHandle, size: number) {
    this.file = file;
    this.label = label;
    this.fh = fh;
    this.size = size;
  }

  /** Opens `file`; `label` names it in error messages. */
  static async open(file: string, label: string, fn: string): Promise<BlobFileReader> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (e) {
      throw wrapFsError(e, 'MLPACKAGE_MALFORMED_BLOB', fn, label, 'cannot open blob file');
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw fileError('MLPACKAGE_MALFORMED_BLOB', fn, label, null, 'blob file is not a regular file');
      return new BlobFileReader(file, label, fh, st.size);
    } catch (e) {
      await fh.close();
      throw wrapFsError(e, 'MLPACKAGE_MALFORMED_BLOB', fn, label, 'cannot stat blob file');
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** Reads and checks the 64-byte storage header. */
  async readHeader(fn: string): Promise<{ count: number; version: number }> {
    if (this.header !== undefined) return this.header;
    if (this.size < BLOB_HEADER_SIZE) {
      throw fileError(
        'MLPACKAGE_MALFORMED_BLOB',
        fn,
        this.label,
        this.size,
        `file is ${this.size} bytes, shorter than the 64-byte storage header`,
      );
    }
    const buf = await readExact(this.fh, 0, BLOB_HEADER_SIZE);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const count = view.getUint32(0, true);
    const version = view.getUint32(4, true);
    if (version !== BLOB_VERSION) {
      throw fileError(
        'MLPACKAGE_MALFORMED_BLOB',
        fn,
        this.label,
        4,
        `storage version ${version}, only version 2 (MIL blob storage v2) is supported`,
      );
    }
    this.header = { count, version };
    return this.header;
  }

  /** Reads and validates the metadata record at `offset`. */
  async readRecord(offset: number, fn: string): Promise<BlobRecord> {
    const cached = this.records.get(offset);
    if (cached !== undefined) return cached;
    await this.readHeader(fn);
    const err = (at: number, msg: string) => fileError('MLPACKAGE_MALFORMED_BLOB', fn, this.label, at, msg);
    if (!Number.isSafeInteger(offset) || offset < BLOB_HEADER_SIZE || offset % BLOB_ALIGNMENT !== 0) {
      throw err(offset, `blob offset ${offset} is not a 64-aligned offset after the header`);
    }
    if (offset + BLOB_METADATA_SIZE > this.size) {
      throw err(offset, `blob metadata at ${offset} runs past the end of the file (${this.size} bytes)`);
    }
    const buf = await readExact(this.fh, offset, BLOB_METADATA_SIZE);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const sentinel = view.getUint32(0, true);
    if (sentinel !== BLOB_SENTINEL) {
      throw err(
        offset,
        `invalid sentinel 0x${sentinel.toString(16).padStart(8, '0')} in blob metadata, expected 0xdeadbeef`,
      );
    }
    const blobType = view.getUint32(4, true);
    const dtype = milDTypeByBlob(blobType);
    if (dtype === undefined) throw err(offset + 4, `unknown blob data type ${blobType} (valid: 1-17)`);
    const sizeInBytes = u64(view, 8);
    const dataOffset = u64(view, 16);
    if (dataOffset < offset + BLOB_METADATA_SIZE || dataOffset > this.size || sizeInBytes > this.size - dataOffset) {
      throw err(offset + 8, `blob data [${dataOffset}, +${sizeInBytes}) lies outside the file (${this.size} bytes)`);
    }
    let paddingBits = 0;
    let elementCount: number;
    if (dtype.bits < 8) {
      paddingBits = u64(view, 24);
      const bits = dtype.bits;
      if (
        paddingBits >= 8 ||
        (8 % bits === 0 && paddingBits % bits !== 0) ||
        (sizeInBytes * 8 - paddingBits) % bits !== 0 ||
        (sizeInBytes === 0 && paddingBits !== 0)
      ) {
        throw err(
          offset + 24,
          `padding_size_in_bits ${paddingBits} is not valid for ${dtype.name} data of ${sizeInBytes} bytes`,
        );
      }
      elementCount = (sizeInBytes * 8 - paddingBits) / bits;
    } else {
      const eb = dtype.bits / 8;
      if (sizeInBytes % eb !== 0)
        throw err(offset + 8, `sizeInBytes ${sizeInBytes} is not a multiple of the ${dtype.name} element size ${eb}`);
      elementCount = sizeInBytes / eb;
    }
    const rec: BlobRecord = {
      metadataOffset: offset,
      blobType,
      dtype,
      sizeInBytes,
      dataOffset,
      paddingBits,
      elementCount,
    };
    this.records.set(offset, rec);
    return rec;
  }

  /** Reads a blob's data bytes. */
  async readData(rec: BlobRecord, fn: string): Promise<Uint8Array> {
    const data = await readExact(this.fh, rec.dataOffset, rec.sizeInBytes);
    if (data.length !== rec.sizeInBytes) {
      throw fileError(
        'MLPACKAGE_MALFORMED_BLOB',
        fn,
        this.label,
        rec.dataOffset + data.length,
        'file ended inside blob data',
      );
    }
    return data;
  }

  /** Walks every metadata record from offset 64 as the reference reader does. */
  async walk(fn: string): Promise<BlobRecord[]> {
    const { count } = await this.readHeader(fn);
    const out: BlobRecord[] = [];
    let at = BLOB_HEADER_SIZE;
    for (let i = 0; i < count; i++) {
      if (at + BLOB_METADATA_SIZE > this.size) {
        throw fileError(
          'MLPACKAGE_MALFORMED_BLOB',
          fn,
          this.label,
          at,
          `header says ${count} blobs but the file ends after ${i}`,
        );
      }
      const rec = await this.readRecord(at, fn);
      out.push(rec);
      at = align64(rec.dataOffset + rec.sizeInBytes);
    }
    return out;
  }
}

/** Appends blobs to a new blob file through a file handle. */
export class BlobFileWriter {
  private readonly fh: FileHandle;
  private pos = BLOB_HEADER_SIZE;
  private count = 0;

  private constructor(fh: FileHandle) {
    this.fh = fh;
  }

  static async create(file: string): Promise<BlobFileWriter> {
    const fh = await open(file, 'wx');
    const w = new BlobFileWriter(fh);
    await w.writeHeader();
    return w;
  }

  private async writeHeader(): Promise<void> {
    const header = new Uint8Array(BLOB_HEADER_SIZE);
    const view = new DataView(header.buffer);
    view.setUint32(0, this.count, true);
    view.setUint32(4, BLOB_VERSION, true);
    await this.fh.write(header, 0, header.length, 0);
  }

  /** Appends one blob; returns its metadata offset. */
  async append(blobType: number, data: Uint8Array, paddingBits: number): Promise<number> {
    const metaOffset = align64(this.pos);
    const meta = new Uint8Array(metaOffset - this.pos + BLOB_METADATA_SIZE);
    const view = new DataView(meta.buffer);
    const m = metaOffset - this.pos;
    const dataOffset = metaOffset + BLOB_METADATA_SIZE;
    view.setUint32(m, BLOB_SENTINEL, true);
    view.setUint32(m + 4, blobType, true);
    view.setUint32(m + 8, data.length % 4294967296, true);
    view.setUint32(m + 12, Math.floor(data.length / 4294967296), true);
    view.setUint32(m + 16, dataOffset % 4294967296, true);
    view.setUint32(m + 20, Math.floor(dataOffset / 4294967296), true);
    view.setUint32(m + 24, paddingBits, true);
    await this.fh.write(meta, 0, meta.length, this.pos);
    await this.fh.write(data, 0, data.length, dataOffset);
    this.pos = dataOffset + data.length;
    this.count++;
    return metaOffset;
  }

  get blobCount(): number {
    return this.count;
  }

  /** Writes the final header and closes; returns the file size. */
  async finish(): Promise<number> {
    await this.writeHeader();
    await this.fh.sync();
    await this.fh.close();
    return this.pos;
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
