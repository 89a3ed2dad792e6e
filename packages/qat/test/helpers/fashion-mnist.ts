/** Reads the Fashion-MNIST IDX files from the shared fixtures (gzipped, read in place, never copied). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FASHION_MNIST_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  '..',
  'shared',
  'fixtures',
  'fashion-mnist',
);

export interface Split {
  /** [count, 784] pixels scaled to [0, 1]. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

function readIdx(file: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(join(FASHION_MNIST_DIR, file))));
}

/** The first `count` examples of a split ('train' or 't10k'). */
export function loadFashionMnist(split: 'train' | 't10k', count: number): Split {
  const img = readIdx(`${split}-images-idx3-ubyte.gz`);
  const lab = readIdx(`${split}-labels-idx1-ubyte.gz`);
  const view = new DataView(img.buffer, img.byteOffset, img.byteLength);
  if (view.getUint32(0) !== 0x803 || view.getUint32(8) !== 28 || view.getUint32(12) !== 28) {
    throw new Error(`${split}: not a 28x28 IDX image file`);
  }
  const n = Math.min(count, view.getUint32(4));
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) images[i] = (img[16 + i] as number) / 255;
  const labels = lab.slice(8, 8 + n);
  return { images, labels, count: n };
}
