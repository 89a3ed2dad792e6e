import { getDType } from './src/index.js';
const N = 16 * 1024 * 1024;
let s = 12345; const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
const src = new Float32Array(N); for (let i = 0; i < N; i += 2) { const r = Math.sqrt(-2 * Math.log(rnd())), t = 2 * Math.PI * rnd(); src[i] = r * Math.cos(t); src[i + 1] = r * Math.sin(t); }
for (const name of ['int8', 'float8_e4m3fn', 'float4_e2m1fn', 'int8', 'float8_e4m3fn', 'float4_e2m1fn']) {
  const d = getDType(name); const out = d.codeArray === 'Int8Array' ? new Int8Array(N) : new Uint8Array(N);
  for (let r = 0; r < 3; r++) d.encodeArray(src, { out });
  const t = performance.now(); for (let r = 0; r < 10; r++) d.encodeArray(src, { out });
  console.log(name, (10 * N / 1e6 / ((performance.now() - t) / 1000)).toFixed(0), 'M/s');
}
