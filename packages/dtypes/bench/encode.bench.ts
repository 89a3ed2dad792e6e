import { bench, describe } from 'vitest';
import { getDType } from '../src/index.js';
import type { CodeArray } from '../src/index.js';

/** 16M elements: the size the throughput target (>= 200 M elements/s) is stated for. */
const N = 16 * 1024 * 1024;

/** Seeded standard-normal values: a 32-bit xorshift generator feeding the Box-Muller transform. */
function seededNormal(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const uniform = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

const values = seededNormal(N, 20240607);
const decoded = new Float32Array(N);
const options = { time: 2000, iterations: 5, warmupIterations: 2 } as const;

for (const name of ['int8', 'float8_e4m3fn', 'float4_e2m1fn']) {
  const dtype = getDType(name);
  const Ctor = dtype.codeArray === 'Int8Array' ? Int8Array : Uint8Array;
  const codes: CodeArray = new Ctor(N);
  dtype.encodeArray(values, { out: codes });
  describe(`${name} (16M seeded N(0,1) values; M elements/s = 16.777 / mean seconds)`, () => {
    bench(
      `${name} encodeArray Float32Array -> codes`,
      () => {
        dtype.encodeArray(values, { out: codes });
      },
      options,
    );
    bench(
      `${name} decodeArray codes -> Float32Array`,
      () => {
        dtype.decodeArray(codes, decoded);
      },
      options,
    );
  });
}
