/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Shared read-only fixtures beside the repository (never copied into it). */
const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'fashion-mnist');

function readIdx(file: string): { dims: number[]; bytes: Uint8Array } {
  const buf = gunzipSync(readFileSync(join(FIXTURES, file)));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  const rank = magic & 0xff;
  if (magic >>> 8 !== 0x08) throw new Error(`${file}: not an unsigned-byte IDX file (magic ${magic.toString(16)})`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, bytes: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * rank) };
}

/** `count` images from `offset` as float pixels in [0, 1] (row-major [count, 784]) and their labels. */
export function loadFashionMnist(
  split: 'train' | 't10k',
  offset: number,
  count: number,
): { images: Float32Array; labels: Uint8Array } {
  const img = readIdx(`${split}-images-idx3-ubyte.gz`);
  const lab = readIdx(`${split}-labels-idx1-ubyte.gz`);
  const size = (img.dims[1] ?? 0) * (img.dims[2] ?? 0);
  const images = new Float32Array(count * size);
  for (let i = 0; i < count * size; i++) images[i] = (img.bytes[offset * size + i] as number) / 255;
  return { images, labels: lab.bytes.slice(offset, offset + count) };
}
