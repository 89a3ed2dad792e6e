/** Shared test helpers: fixture paths, temporary directories (per test file), a tiny reference quantizer, hashing. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { float16BitsToFloat32, float32ToFloat16Bits, packBits } from '@lowbit/dtypes';
import type { QuantizedTensor } from '@lowbit/spec';
import { afterAll, beforeAll } from 'vitest';

export const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/mlpackage/', import.meta.url));
export const SUPERPOINT = join(FIXTURES, 'superpoint-fp16/superpoint.mlpackage');
export const YOLO = join(FIXTURES, 'yolov8n-palettized-pipeline/yolov8n.mlpackage');
export const MATMUL = join(FIXTURES, 'matmul-softmax-noweights/model.mlpackage');

/** A fresh temporary directory; remove it with the returned function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lowbit-io-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The temporary directory of one test file, from {@link useTempDir}. */
export interface FileTempDir {
  /** The directory's path; exists from before the file's first test until after its last. */
  readonly dir: string;
  /** A fresh path `<dir>/<prefix><counter>.mlpackage`; the counter is shared by all calls of this file. */
  nextPackagePath(prefix: string): string;
}

/** Registers `beforeAll`/`afterAll` hooks that create and remove a temporary directory for the calling test file. */
export function useTempDir(): FileTempDir {
  let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;
  let n = 0;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });
  const dirOf = (): string => {
    if (tmp === undefined) throw new Error('useTempDir: the directory exists only while the tests of the file run');
    return tmp.dir;
  };
  return {
    get dir() {
      return dirOf();
    },
    nextPackagePath: (prefix) => join(dirOf(), `${prefix}${n++}.mlpackage`),
  };
}

/** SHA-256 over every file (path and content) below `dir`. */
export async function hashDir(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      h.update(r);
      if (e.isDirectory()) await walk(r);
      else h.update(await readFile(join(dir, r)));
    }
  };
  await walk('');
  return h.digest('hex');
}

/** Rounds to the nearest float16 value (test-side, independent of the package). */
export function f16(x: number): number {
  return float16BitsToFloat32(float32ToFloat16Bits(x));
}

/**
 * Test-only round-to-nearest quantizer (symmetric for signed dtypes, zero point qmax/2 for unsigned) over blocks
 * of `blockShape`. Scales are rounded to `scaleDtype` first, so the codes match the stored scales.
 */
export function quantizeForTest(
  w: Float32Array,
  shape: readonly number[],
  blockShape: readonly number[],
  dtype: 'int8' | 'uint8' | 'int4' | 'uint4',
  scaleDtype: 'float16' | 'float32' = 'float16',
): QuantizedTensor {
  const bits = dtype.endsWith('8') ? 8 : 4;
  const signed = dtype.startsWith('int');
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const zp = signed ? 0 : Math.floor(qmax / 2);
  const half = signed ? qmax : zp;
  const nb = shape.map((d, i) => d / (blockShape[i] as number));
  const blockCount = nb.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const blockOf = (flat: number) => {
    let blk = 0;
    for (let a = 0; a < shape.length; a++) {
      const ia = Math.floor(flat / (strides[a] as number)) % (shape[a] as number);
      blk = blk * (nb[a] as number) + Math.floor(ia / (blockShape[a] as number));
    }
    return blk;
  };
  const amax = new Float64Array(blockCount);
  for (let i = 0; i < w.length; i++) amax[blockOf(i)] = Math.max(amax[blockOf(i)] as number, Math.abs(w[i] as number));
  const scales = new Float32Array(blockCount);
  for (let b = 0; b < blockCount; b++) {
    const s = (amax[b] as number) === 0 ? 1 : (amax[b] as number) / half;
    scales[b] = scaleDtype === 'float16' ? f16(s) : Math.fround(s);
  }
  const codes = new Int32Array(w.length);
  const lo = signed ? -qmax : 0;
  const hi = signed ? qmax : qmax - 1;
  for (let i = 0; i < w.length; i++) {
    const q = Math.round((w[i] as number) / (scales[blockOf(i)] as number)) + zp;
    codes[i] = Math.min(hi, Math.max(lo, q));
  }
  const data = bits === 8 ? (signed ? Int8Array.from(codes) : Uint8Array.from(codes)) : packBits(codes, 4, { signed });
  const t: QuantizedTensor = {
    dtype,
    shape: [...shape],
    blockShape: [...blockShape],
    spec: {
      version: 1,
      dtype,
      qscheme: 'symmetric_with_clipping',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    },
    data,
    scales,
    ...(signed ? {} : { zeroPoints: new Int32Array(blockCount).fill(zp) }),
  };
  return t;
}

/** Test-side dequantization by formula: scale * (code - zp), rounded to float16 when the weight is float16. */
export function dequantizeForTest(
  t: QuantizedTensor,
  codes: ArrayLike<number>,
  outDtype: 'float16' | 'float32',
): Float32Array {
  const shape = t.shape;
  const nb = shape.map((d, i) => d / (t.blockShape[i] as number));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    let blk = 0;
    for (let a = 0; a < shape.length; a++) {
      const ia = Math.floor(i / (strides[a] as number)) % (shape[a] as number);
      blk = blk * (nb[a] as number) + Math.floor(ia / (t.blockShape[a] as number));
    }
    const s = outDtype === 'float16' ? f16(t.scales[blk] as number) : (t.scales[blk] as number);
    const v = Math.fround(s * ((codes[i] as number) - (t.zeroPoints?.[blk] ?? 0)));
    out[i] = outDtype === 'float16' ? f16(v) : v;
  }
  return out;
}

/** Deterministic pseudo-random weights in [-1, 1) (xorshift), optionally rounded to float16. */
export function randomWeights(n: number, seed: number, half = true): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const v = (x / 4294967296) * 2 - 1;
    out[i] = half ? f16(v) : v;
  }
  return out;
}
