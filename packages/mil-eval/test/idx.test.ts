import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isQuantError } from '@lowbit/dtypes';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { encodeIdx, parseIdx, readIdxDataset } from '../src/index.js';

test('encodeIdx / parseIdx round-trip any dims and bytes, gzipped or raw', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.integer(),
      (dims, gzip, seed) => {
        const n = dims.reduce((a, c) => a * c, 1);
        const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
        const parsed = parseIdx(encodeIdx(dims, data, { gzip }));
        expect(parsed.dims).toEqual(dims);
        expect(Array.from(parsed.data)).toEqual(Array.from(data));
      },
    ),
  );
});

test('the header is big-endian 00 00 08 <ndims> followed by the sizes', () => {
  const bytes = encodeIdx([2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6), { gzip: false });
  expect(Array.from(bytes)).toEqual([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
});

test('malformed files are rejected with IDX_MALFORMED', () => {
  const good = encodeIdx([2, 2], Uint8Array.of(1, 2, 3, 4), { gzip: false });
  const cases: Uint8Array[] = [
    good.subarray(0, good.length - 1), // truncated data
    Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 0), // bad magic
    Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 0), // float elements
    Uint8Array.of(0, 0, 8, 3, 0, 0), // header cut short
    Uint8Array.of(0x1f, 0x8b, 1, 2, 3), // broken gzip
    new Uint8Array(gzipSync(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 5, 1))), // size larger than data
  ];
  for (const bytes of cases) {
    let caught: unknown;
    try {
      parseIdx(bytes, 'case');
    } catch (e) {
      caught = e;
    }
    expect(isQuantError(caught) && caught.code).toBe('IDX_MALFORMED');
  }
});

test('readIdxDataset pairs images and labels and names missing files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'idx-'));
  try {
    await writeFile(
      join(dir, 'calib-images-idx3-ubyte.gz'),
      encodeIdx([2, 2, 2], Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
    );
    await writeFile(join(dir, 'calib-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.of(7, 9), { gzip: false }));
    const ds = await readIdxDataset(dir, 'calib');
    expect(ds.images).toMatchObject({ count: 2, rows: 2, cols: 2 });
    expect(Array.from(ds.labels)).toEqual([7, 9]);
    await expect(readIdxDataset(dir, 't10k')).rejects.toThrow(/no t10k-images-idx3-ubyte/);
    await writeFile(join(dir, 'bad-images-idx3-ubyte'), encodeIdx([3, 1, 1], Uint8Array.of(1, 2, 3), { gzip: false }));
    await writeFile(join(dir, 'bad-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.of(1, 2), { gzip: false }));
    await expect(readIdxDataset(dir, 'bad')).rejects.toThrow(/3 images but .* 2 labels/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
