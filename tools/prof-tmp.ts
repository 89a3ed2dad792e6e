import { quantize, dequantize } from '@lowbit/kernels';
const N = 4096;
const data = new Float32Array(N * N);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 2;
const t = { data, shape: [N, N] };
const s8 = { version: 1, dtype: 'int8', qscheme: 'symmetric', qformulation: 'zp', granularity: { type: 'per_channel' } } as const;
const s4 = { version: 1, dtype: 'int4', qscheme: 'symmetric', qformulation: 'zp', granularity: { type: 'per_block', blockSize: 32 } } as const;
const f8 = { version: 1, dtype: 'float8_e4m3fn', qscheme: 'symmetric', qformulation: 'zp', granularity: { type: 'per_channel' } } as const;
const copy = new Float32Array(N * N);
for (let rep = 0; rep < 5; rep++) {
  const t0 = performance.now(); copy.set(data);
  const t1 = performance.now(); const q = quantize(t, s8, { opKind: 'linear' });
  const t2 = performance.now(); dequantize(q);
  const t3 = performance.now(); quantize(t, s4, { opKind: 'linear' });
  const t4 = performance.now(); quantize(t, f8, { opKind: 'linear' });
  const t5 = performance.now();
  console.log(`copy ${(t1 - t0).toFixed(1)} int8 ${(t2 - t1).toFixed(1)} deq ${(t3 - t2).toFixed(1)} int4b32 ${(t4 - t3).toFixed(1)} fp8 ${(t5 - t4).toFixed(1)}`);
}
