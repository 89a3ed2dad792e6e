/**
 * The main job (`pnpm demo`): what every lowbit number format and every preset does to real-valued tensors.
 *
 * 1. For every dtype: its properties, and the round-trip error of a seeded N(0,1) tensor of 1M values encoded
 *    with one per-tensor abs-max scale (x / s -> code -> value * s, s = amax / max representable).
 * 2. For every preset: SQNR, max error and bits per weight (scales and zero points included) on a seeded
 *    N(0,1) weight matrix and a heavy-tailed Student-t (3 degrees of freedom) one, treated as a linear layer.
 */
import { getDType, listDTypes } from '@lowbit/dtypes';
import type { DType } from '@lowbit/dtypes';
import { chooseQParams, fakeQuantize, maxAbsError, sqnr } from '@lowbit/kernels';
import { describeSpec, getPreset, listPresets } from '@lowbit/spec';
import type { QuantizationSpec } from '@lowbit/spec';
import { normalArray, studentTArray } from './lib/random.js';
import { compact, fixed, formatTable } from './lib/table.js';

const started = performance.now();
const log = (line = ''): void => console.log(line);

function dtypeRoundTrip(dtype: DType, x: Float32Array): { sqnr: number; maxErr: number } | null {
  if (dtype.kind === 'float' && (!dtype.hasZero || !dtype.signed)) return null; // scale formats (E8M0)
  let amax = 0;
  for (const v of x) amax = Math.max(amax, Math.abs(v));
  if (dtype.kind === 'int') {
    const spec: QuantizationSpec = { version: 1, dtype: dtype.name, qscheme: 'symmetric', qformulation: 'zp', granularity: { type: 'per_tensor' } };
    const approx = fakeQuantize({ data: x, shape: [x.length] }, spec).data;
    return { sqnr: sqnr(x, approx), maxErr: maxAbsError(x, approx) };
  }
  const s = Math.fround(amax / dtype.qmax);
  const scaled = x.map((v) => v / s);
  const back = dtype.decodeArray(dtype.encodeArray(scaled)).map((v) => v * s);
  return { sqnr: sqnr(x, back), maxErr: maxAbsError(x, back) };
}

log('lowbit demo: number formats and presets');
log('='.repeat(40));
log();
log('1. Every dtype: properties and round trip of 1M seeded N(0,1) values with a per-tensor abs-max scale');
log();
const x1m = normalArray(1 << 20, 42);
const dtypeRows = listDTypes().map((name) => {
  const d = getDType(name);
  const rt = dtypeRoundTrip(d, x1m);
  const float = d.kind === 'float';
  return [
    name,
    d.bits,
    d.kind,
    float ? compact(d.qmin) : String(d.qmin),
    float ? compact(d.qmax) : String(d.qmax),
    float ? compact(d.minNormal) : '-',
    float ? compact(d.minSubnormal) : '-',
    float ? `${d.hasNaN ? 'NaN' : ''}${d.hasNaN && d.hasInf ? '/' : ''}${d.hasInf ? 'Inf' : ''}` || 'none' : 'none',
    rt ? fixed(rt.sqnr, 2) : 'n/a (scale format)',
    rt ? rt.maxErr.toExponential(2) : '-',
  ];
});
log(formatTable(['dtype', 'bits', 'kind', 'min', 'max', 'min normal', 'min subnormal', 'specials', 'SQNR dB', 'max abs err'], dtypeRows));
log();

const ROWS = 1024;
const COLS = 4096;
log(`2. Every preset on a ${ROWS}x${COLS} linear weight (SQNR in dB, bits per weight include scales and zero points)`);
log();
const distributions = [
  { name: 'N(0,1)', data: normalArray(ROWS * COLS, 0) },
  { name: 'Student-t(3)', data: studentTArray(ROWS * COLS, 3, 0) },
];
const SCALE_BITS: Record<string, number> = { float32: 32, float16: 16, float8_e8m0fnu: 8, float8_e4m3fn: 8 };
const presetRows: (string | number)[][] = [];
for (const name of listPresets()) {
  const spec = getPreset(name).global;
  if (!spec) continue;
  const cells: (string | number)[] = [name, describeSpec(spec)];
  let bitsPerWeight = 0;
  for (const dist of distributions) {
    const tensor = { data: dist.data, shape: [ROWS, COLS] };
    const qp = chooseQParams(tensor, spec, { opKind: 'linear' });
    const approx = fakeQuantize(tensor, spec, { opKind: 'linear', qparams: qp }).data;
    cells.push(fixed(sqnr(dist.data, approx), 2), maxAbsError(dist.data, approx).toExponential(2));
    const blocks = qp.scales.length;
    const overhead = blocks * (SCALE_BITS[spec.scaleDtype ?? 'float32'] ?? 32) + (qp.zeroPoints ? blocks * getDType(spec.dtype).bits : 0);
    bitsPerWeight = getDType(spec.dtype).bits + overhead / (ROWS * COLS);
  }
  cells.push(fixed(bitsPerWeight, 3));
  presetRows.push(cells);
}
log(
  formatTable(
    ['preset', 'weight spec', 'SQNR N(0,1)', 'max err N(0,1)', 'SQNR t(3)', 'max err t(3)', 'bits/weight'],
    presetRows,
  ),
);
log();
log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
