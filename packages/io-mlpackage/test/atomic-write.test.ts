import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createProgramBuilder, listWeights, readMlPackage, readWeight, writeMlPackage } from '../src/index.js';
import { SUPERPOINT, hashDir, randomWeights, useTempDir } from './helpers.js';
import { quantErrorCodeAsync as codeOf } from '../../../tools/lib/quant-error-code.js';

const tmp = useTempDir();

test('a failure in the middle of the blobs leaves no output and no temporary directory; the input is unchanged', async () => {
  const hash = await hashDir(SUPERPOINT);
  const pkg = await readMlPackage(SUPERPOINT);
  const out = join(tmp.dir, 'fail.mlpackage');
  let calls = 0;
  const code = await codeOf(
    writeMlPackage(pkg, out, {
      onProgress: (p) => {
        if (p.phase === 'blobs' && ++calls === 12) throw new Error('simulated crash');
      },
    }),
  );
  expect(code).toBe('MLPACKAGE_WRITE_FAILED');
  expect(calls).toBe(12);
  expect(await readdir(tmp.dir)).toEqual([]);
  expect(await hashDir(SUPERPOINT)).toBe(hash);
});

test('a failure at commit time keeps an existing output intact', async () => {
  const pkg = await readMlPackage(SUPERPOINT);
  const out = join(tmp.dir, 'keep.mlpackage');
  await writeMlPackage(pkg, out);
  const before = await hashDir(out);
  const code = await codeOf(
    writeMlPackage(pkg, out, {
      overwrite: true,
      onProgress: (p) => {
        if (p.phase === 'commit' && p.done === 0) throw new Error('simulated crash');
      },
    }),
  );
  expect(code).toBe('MLPACKAGE_WRITE_FAILED');
  expect(await hashDir(out)).toBe(before);
  expect((await readdir(tmp.dir)).sort()).toEqual(['keep.mlpackage']);
});

test('existing output needs overwrite; the input itself needs inPlace; output inside the input is refused', async () => {
  const b = createProgramBuilder({ opset: 'iOS16' });
  const x = b.input('x', 'float32', [1, 16]);
  b.output(b.linear(x, b.constant('w', randomWeights(64, 5, false), [4, 16])));
  const pkg = b.build();
  const out = join(tmp.dir, 'exists.mlpackage');
  await mkdir(out);
  await writeFile(join(out, 'junk.txt'), 'x');
  expect(await codeOf(writeMlPackage(pkg, out))).toBe('MLPACKAGE_OUTPUT_EXISTS');
  await writeMlPackage(pkg, out, { overwrite: true });
  expect((await readdir(out)).sort()).toEqual(['Data', 'Manifest.json']);
  const re = await readMlPackage(out);
  expect(await codeOf(writeMlPackage(re, out))).toBe('MLPACKAGE_OUTPUT_EXISTS');
  expect(await codeOf(writeMlPackage(re, out, { overwrite: true }))).toBe('MLPACKAGE_OUTPUT_EXISTS');
  expect(await codeOf(writeMlPackage(re, join(out, 'Data', 'nested.mlpackage'), { overwrite: true }))).toBe(
    'MLPACKAGE_OUTPUT_EXISTS',
  );
  const w = await readWeight(re, 'w');
  const res = await writeMlPackage(re, out, { inPlace: true });
  expect(res.path).toBe(out);
  const again = await readMlPackage(out);
  expect(await readWeight(again, 'w')).toEqual(w);
  expect(listWeights(again)).toHaveLength(1);
  expect((await readdir(tmp.dir)).filter((f) => f.includes('lowbit-'))).toEqual([]);
});

test('an unusable output directory is MLPACKAGE_WRITE_FAILED', async () => {
  const pkg = await readMlPackage(SUPERPOINT);
  await writeFile(join(tmp.dir, 'a-file'), 'x');
  expect(await codeOf(writeMlPackage(pkg, join(tmp.dir, 'a-file', 'out.mlpackage')))).toBe('MLPACKAGE_WRITE_FAILED');
});
