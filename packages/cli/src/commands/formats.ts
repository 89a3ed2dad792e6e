import { getDType, listDTypes } from '@lowbit/dtypes';
import type { DType } from '@lowbit/dtypes';
import { fakeQuantize, maxAbsError, sqnr } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';
import { flag } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { compact, fixed, formatTable } from '../format-table.js';
import { normalArray } from '../seeded-random.js';

/** Round-trip error of `x` through one dtype with a per-tensor abs-max scale, or null for scale-only formats. */
export function dtypeRoundTrip(dtype: DType, x: Float32Array): { sqnr: number; maxAbsError: number } | null {
  if (dtype.kind === 'float' && (!dtype.hasZero || !dtype.signed)) return null; // E8M0 holds scales only
  if (dtype.kind === 'int' || dtype.bits <= 8) {
    const spec: QuantizationSpec = {
      version: 1,
      dtype: dtype.name,
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    };
    const approx = fakeQuantize({ data: x, shape: [x.length] }, spec).data;
    return { sqnr: sqnr(x, approx), maxAbsError: maxAbsError(x, approx) };
  }
  // 16- and 32-bit floats are casts: scale by amax / max, encode, decode.
  let amax = 0;
  for (const v of x) amax = Math.max(amax, Math.abs(v));
  const s = Math.fround(amax / dtype.qmax);
  const back = dtype.decodeArray(dtype.encodeArray(x.map((v) => v / s))).map((v) => v * s);
  return { sqnr: sqnr(x, back), maxAbsError: maxAbsError(x, back) };
}

/** Rows of the formats table (exported for the demo). */
export function formatsRows(samples = 1 << 20, seed = 42): (string | number)[][] {
  const x = normalArray(samples, seed);
  return listDTypes().map((name) => {
    const d = getDType(name);
    const rt = dtypeRoundTrip(d, x);
    const float = d.kind === 'float';
    const specials = float ? [d.hasNaN ? 'NaN' : '', d.hasInf ? 'Inf' : ''].filter(Boolean).join('/') : '';
    return [
      name,
      d.bits,
      d.kind,
      float ? compact(d.qmin) : String(d.qmin),
      float ? compact(d.qmax) : String(d.qmax),
      float ? compact(d.minNormal) : '-',
      float ? compact(d.minSubnormal) : '-',
      specials || 'none',
      rt ? fixed(rt.sqnr, 2) : '-',
      rt ? rt.maxAbsError.toExponential(2) : '-',
    ];
  });
}

/** Column names of {@link formatsRows}. */
export const FORMATS_HEADER = [
  'dtype',
  'bits',
  'kind',
  'min',
  'max',
  'min normal',
  'min subnormal',
  'specials',
  'SQNR dB',
  'max abs err',
] as const;

/** `lowbit formats`: every registered number format, its limits and its round-trip error on N(0,1) data. */
export const formatsCommand: Command = {
  name: 'formats',
  summary: 'list every number format with its limits and round-trip error on N(0,1) data',
  help: `usage: lowbit formats [--json]

Lists every registered dtype (int2..int8, uint2..uint8, float8/6/4, e8m0, float16, bfloat16, float32) with its
bits, range, smallest normal and subnormal values and special values, and the round-trip error (SQNR in dB,
max abs error) of 1M seeded N(0,1) values encoded with one per-tensor abs-max scale. E8M0 holds scales only
and has no round trip.

options:
  --json   print JSON instead of a table
`,
  options: { json: { type: 'boolean' } },
  async run(args, env) {
    const rows = formatsRows();
    if (flag(args, 'json')) {
      env.out(
        `${JSON.stringify(
          rows.map((r) => Object.fromEntries(FORMATS_HEADER.map((h, i) => [h, r[i]]))),
          null,
          2,
        )}\n`,
      );
    } else {
      env.out(`${formatTable(FORMATS_HEADER, rows)}\n`);
    }
    return EXIT.ok;
  },
};
