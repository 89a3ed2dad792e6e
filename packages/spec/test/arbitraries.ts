import fc from 'fast-check';
import type { Granularity, QuantizationConfig, QuantizationSpec } from '../src/index.js';

const noNegZero = (x: number): number => (Object.is(x, -0) ? 0 : x);

const granularity: fc.Arbitrary<Granularity> = fc.oneof(
  fc.constant<Granularity>({ type: 'per_tensor' }),
  fc
    .option(fc.integer({ min: -4, max: 3 }), { nil: undefined })
    .map<Granularity>((axis) => (axis === undefined ? { type: 'per_channel' } : { type: 'per_channel', axis })),
  fc
    .record({
      axis: fc.option(fc.integer({ min: -4, max: 3 }), { nil: undefined }),
      blockSize: fc.integer({ min: 1, max: 256 }),
    })
    .map<Granularity>(({ axis, blockSize }) =>
      axis === undefined ? { type: 'per_block', blockSize } : { type: 'per_block', axis, blockSize },
    ),
  fc
    .array(fc.nat({ max: 64 }), { minLength: 1, maxLength: 4 })
    .map<Granularity>((blockSize) => ({ type: 'per_block', blockSize })),
);

const floatRange = fc
  .tuple(
    fc.option(fc.double({ min: -1e6, max: 0, noNaN: true }).map(noNegZero), { nil: null }),
    fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }).map(noNegZero), { nil: null }),
  )
  .filter(([min, max]) => min === null || max === null || min < max);

/** Valid canonical specs over the built-in dtypes. */
export const validSpec: fc.Arbitrary<QuantizationSpec> = fc
  .record({
    dtype: fc.constantFrom(
      'int2',
      'uint2',
      'int4',
      'uint4',
      'int8',
      'uint8',
      'float8_e4m3fn',
      'float8_e5m2',
      'float4_e2m1fn',
      'float6_e2m3fn',
    ),
    qscheme: fc.constantFrom('symmetric', 'symmetric_with_clipping', 'asymmetric'),
    qformulation: fc.constantFrom('zp', 'minval'),
    granularity,
    scaleDtype: fc.option(fc.constantFrom('float32', 'float16', 'float8_e8m0fnu', 'float8_e4m3fn'), { nil: undefined }),
    floatRange: fc.option(floatRange, { nil: undefined }),
  })
  .map(({ dtype, qscheme, qformulation, granularity: g, scaleDtype, floatRange: range }) => {
    const isFloat = dtype.startsWith('float');
    const out: Record<string, unknown> = {
      version: 1,
      dtype,
      qscheme: isFloat ? 'symmetric' : qscheme,
      qformulation: isFloat ? 'zp' : qformulation,
      granularity: g,
    };
    if (scaleDtype !== undefined && (isFloat || scaleDtype === 'float32' || scaleDtype === 'float16'))
      out.scaleDtype = scaleDtype;
    if (range !== undefined) out.floatRange = range;
    return out as unknown as QuantizationSpec;
  });

const entry = fc.option(validSpec, { nil: null, freq: 3 });
const name = fc.oneof(
  fc.stringMatching(/^[a-z_][a-z0-9_.]{0,12}$/),
  fc.constantFrom(
    're:layers\\.\\d+\\..*',
    're:.*attn.*',
    're:(q|k|v)_proj',
    '/model/layers.0/MatMul',
    '__proto__',
    'constructor',
  ),
);

/** Valid canonical configs. */
export const validConfig: fc.Arbitrary<QuantizationConfig> = fc
  .record(
    {
      global: entry,
      activation: entry,
      byOpType: fc.dictionary(fc.constantFrom('linear', 'conv', 'Gemm', 'MatMul', 'embedding', 'softmax'), entry, {
        maxKeys: 4,
      }),
      byOpName: fc.dictionary(name, entry, { maxKeys: 5 }),
      minSize: fc.nat({ max: 1 << 20 }),
    },
    { requiredKeys: ['global'] },
  )
  .map((fields) => ({ version: 1, ...fields }) as QuantizationConfig);
