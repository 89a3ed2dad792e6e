import { BlobFileReader } from './_internal/blob-format.js';

/** One metadata record of a blob file. */
export interface BlobFileEntry {
  /** Offset of the 64-byte metadata record (what `BlobFileValue.offset` holds). */
  readonly metadataOffset: number;
  /** Stored dtype (lowbit name) and its `BlobDataType` number. */
  readonly dtype: string;
  readonly blobType: number;
  readonly sizeInBytes: number;
  readonly dataOffset: number;
  /** Unused high bits of the last byte (sub-byte dtypes only). */
  readonly paddingBits: number;
  readonly elementCount: number;
}

/** Summary of a MIL blob storage v2 file. */
export interface BlobFileSummary {
  readonly size: number;
  readonly version: number;
  readonly count: number;
  readonly entries: readonly BlobFileEntry[];
}

/**
 * Walks a `weight.bin` (MIL blob storage v2) the way Core ML's reader does: header, then every metadata record
 * from offset 64, each on a 64-byte boundary. Reads only the 64-byte records, never the data.
 *
 * @throws QuantError `MLPACKAGE_MALFORMED_BLOB` naming the byte offset of the first inconsistency.
 */
export async function inspectBlobFile(path: string): Promise<BlobFileSummary> {
  const FN = 'inspectBlobFile';
  const reader = await BlobFileReader.open(path, path, FN);
  try {
    const header = await reader.readHeader(FN);
    const recs = await reader.walk(FN);
    return {
      size: reader.size,
      version: header.version,
      count: header.count,
      entries: recs.map((r) => ({
        metadataOffset: r.metadataOffset,
        dtype: r.dtype.name,
        blobType: r.blobType,
        sizeInBytes: r.sizeInBytes,
        dataOffset: r.dataOffset,
        paddingBits: r.paddingBits,
        elementCount: r.elementCount,
      })),
    };
  } finally {
    await reader.close();
  }
}
