import { readFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { evalError } from './_internal/errors.js';

/** A decoded IDX file of unsigned bytes (the MNIST / Fashion-MNIST format): dimensions and elements. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Images of an IDX3 file: `count` images of `rows x cols` bytes, row-major, one after another. */
export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

/** Images and their labels, as read by {@link readIdxDataset}. */
export interface IdxDataset {
  readonly images: IdxImages;
  readonly labels: Uint8Array;
  /** The files read. */
  readonly imagesPath: string;
  readonly labelsPath: string;
}

const MAX_DIMS = 8;

/**
 * Parses IDX bytes (gzipped or raw; gzip is detected by its magic number): a big-endian header
 * `0x00 0x00 <type> <ndims>`, `ndims` 32-bit sizes, then the elements. Only unsigned bytes (type 0x08) are
 * supported, which is what MNIST-style datasets use.
 *
 * @throws QuantError `IDX_MALFORMED` for a bad magic number, an unsupported element type, or a size that does
 *   not match the data (naming `label` and the byte offset).
 */
export function parseIdx(bytes: Uint8Array, label = 'IDX data'): IdxArray {
  const FN = 'parseIdx';
  if (!(bytes instanceof Uint8Array)) throw evalError('MILEVAL_INVALID_ARGUMENT', FN, 'bytes must be a Uint8Array');
  let raw = bytes;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = new Uint8Array(gunzipSync(raw));
    } catch (e) {
      throw evalError('IDX_MALFORMED', FN, `${label} looks gzipped but does not decompress (${(e as Error).message})`);
    }
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw evalError('IDX_MALFORMED', FN, `${label} does not start with the IDX magic 00 00 <type> <ndims> (byte 0)`);
  }
  if (raw[2] !== 0x08) {
    throw evalError(
      'IDX_MALFORMED',
      FN,
      `${label} has element type 0x${(raw[2] as number).toString(16)} at byte 2; only unsigned bytes (0x08) are supported`,
    );
  }
  const nd = raw[3] as number;
  if (nd < 1 || nd > MAX_DIMS)
    throw evalError('IDX_MALFORMED', FN, `${label} declares ${nd} dimensions at byte 3; expected 1..${MAX_DIMS}`);
  const header = 4 + 4 * nd;
  if (raw.length < header)
    throw evalError('IDX_MALFORMED', FN, `${label} is ${raw.length} bytes, shorter than its ${header}-byte header`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < nd; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (raw.length - header !== count) {
    throw evalError(
      'IDX_MALFORMED',
      FN,
      `${label}: dimensions [${dims.join(', ')}] need ${count} bytes after the ${header}-byte header, the data has ${raw.length - header}`,
    );
  }
  return { dims, data: raw.subarray(header) };
}

/** Encodes unsigned bytes as an IDX file (type 0x08), gzipped unless `gzip: false`. Deterministic output. */
export function encodeIdx(
  dims: readonly number[],
  data: Uint8Array,
  options: { readonly gzip?: boolean } = {},
): Uint8Array {
  const FN = 'encodeIdx';
  if (dims.length < 1 || dims.length > MAX_DIMS || dims.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff)) {
    throw evalError(
      'MILEVAL_INVALID_ARGUMENT',
      FN,
      `dims must be 1..${MAX_DIMS} non-negative 32-bit integers, got [${dims.join(', ')}]`,
    );
  }
  const count = dims.reduce((a, c) => a * c, 1);
  if (!(data instanceof Uint8Array) || data.length !== count) {
    throw evalError(
      'MILEVAL_INVALID_ARGUMENT',
      FN,
      `data must be a Uint8Array of ${count} bytes for dims [${dims.join(', ')}]`,
    );
  }
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return options.gzip === false ? out : new Uint8Array(gzipSync(out, { level: 9 }));
}

async function readBytes(path: string, fn: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw evalError(
      'IDX_MALFORMED',
      fn,
      `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** Converts a parsed IDX3 array into images. */
export function idxToImages(idx: IdxArray, label = 'IDX data'): IdxImages {
  if (idx.dims.length !== 3)
    throw evalError(
      'IDX_MALFORMED',
      'readIdxImages',
      `${label} has ${idx.dims.length} dimensions; images need 3 (count, rows, cols)`,
    );
  const [count, rows, cols] = idx.dims as [number, number, number];
  return { count, rows, cols, data: idx.data };
}

/** Reads an IDX3 image file (gzipped or raw), e.g. `t10k-images-idx3-ubyte.gz`. */
export async function readIdxImages(path: string): Promise<IdxImages> {
  return idxToImages(parseIdx(await readBytes(path, 'readIdxImages'), path), path);
}

/** Reads an IDX1 label file (gzipped or raw), e.g. `t10k-labels-idx1-ubyte.gz`. */
export async function readIdxLabels(path: string): Promise<Uint8Array> {
  const idx = parseIdx(await readBytes(path, 'readIdxLabels'), path);
  if (idx.dims.length !== 1)
    throw evalError('IDX_MALFORMED', 'readIdxLabels', `${path} has ${idx.dims.length} dimensions; labels need 1`);
  return idx.data;
}

/**
 * Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` from a directory (the
 * MNIST / Fashion-MNIST naming; `prefix` `t10k` for the test set, `train` for the training set) and checks that
 * the counts agree.
 *
 * @throws QuantError `IDX_MALFORMED` when a file is missing (listing what the directory has) or the counts differ.
 */
export async function readIdxDataset(dir: string, prefix = 't10k'): Promise<IdxDataset> {
  const FN = 'readIdxDataset';
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw evalError(
      'IDX_MALFORMED',
      FN,
      `cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const find = (kind: string): string => {
    const base = `${prefix}-${kind}-ubyte`;
    const hit = names.find((n) => n === base || n === `${base}.gz`);
    if (hit === undefined) {
      throw evalError(
        'IDX_MALFORMED',
        FN,
        `${dir} has no ${base}[.gz]; it holds ${names.filter((n) => n.includes('ubyte')).join(', ') || 'no IDX files'}`,
      );
    }
    return join(dir, hit);
  };
  const imagesPath = find('images-idx3');
  const labelsPath = find('labels-idx1');
  const images = await readIdxImages(imagesPath);
  const labels = await readIdxLabels(labelsPath);
  if (labels.length !== images.count) {
    throw evalError(
      'IDX_MALFORMED',
      FN,
      `${imagesPath} holds ${images.count} images but ${labelsPath} holds ${labels.length} labels`,
    );
  }
  return { images, labels, imagesPath, labelsPath };
}
