import { makeBinadeTables, encodeFloat32ArrayByTables } from './src/_internal/float-encode-array.js';
import { makeFloatLayout } from './src/_internal/float-layout.js';
const N = 16 * 1024 * 1024;
let s = 12345; const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
const src = new Float32Array(N); for (let i = 0; i < N; i += 2) { const r = Math.sqrt(-2 * Math.log(rnd())), t = 2 * Math.PI * rnd(); src[i] = r * Math.cos(t); src[i + 1] = r * Math.sin(t); }
const layout = makeFloatLayout('float8_e4m3fn', 4, 3, 7, true, 'fn');
const tables = makeBinadeTables(layout);
const out = new Uint8Array(N);
for (let k = 0; k < 3; k++) {
  const t = performance.now(); for (let r = 0; r < 10; r++) encodeFloat32ArrayByTables(layout, tables, src, out, true);
  console.log((10 * N / 1e6 / ((performance.now() - t) / 1000)).toFixed(0), 'M/s');
}
