import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseConfig, parseSpec, serializeConfig, serializeSpec, validateConfig, validateSpec } from '../src/index.js';
import type { ParseResult, QuantizationConfig, QuantizationSpec } from '../src/index.js';
import { validConfig, validSpec } from './arbitraries.js';
import { spec } from './helpers.js';

function value<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.issues, null, 2)}`);
  return result.value;
}

function issues<T>(result: ParseResult<T>): { path: string; code: string; message: string }[] {
  if (result.ok) throw new Error(`expected issues, got ${JSON.stringify(result.value)}`);
  return result.issues.map((i) => ({ ...i }));
}

describe('parseSpec', () => {
  test('canonical input comes back unchanged', () => {
    const s = spec({
      dtype: 'int4',
      granularity: { type: 'per_block', axis: 1, blockSize: 32 },
      scaleDtype: 'float16',
      floatRange: [-2, null],
    });
    expect(value(parseSpec(s))).toEqual(s);
  });

  test('defaults: version 1, symmetric, zp, per_tensor', () => {
    expect(value(parseSpec({ dtype: 'int8' }))).toEqual({
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_tensor' },
    });
  });

  test("coreai-opt's dict spelling", () => {
    const parsed = parseSpec({
      dtype: 'torch.int4',
      qscheme: 'QuantizationScheme.SYMMETRIC_WITH_CLIPPING',
      qformulation: 'MINVAL',
      granularity: { type: 'PER_BLOCK', block_size: [-1, 32], axis: null },
      scale_dtype: null,
      float_range: [null, null],
      fake_quantize_cls: 'default',
      range_calculator_cls: 'minmax',
    });
    expect(value(parsed)).toEqual({
      version: 1,
      dtype: 'int4',
      qscheme: 'symmetric_with_clipping',
      qformulation: 'minval',
      granularity: { type: 'per_block', blockSize: [0, 32] },
      floatRange: [null, null],
    });
    expect(parsed.warnings.map((w) => w.path)).toEqual(['fake_quantize_cls', 'range_calculator_cls']);
  });

  test.each([
    ['torch.int8', 'int8'],
    ['float8_e4m3', 'float8_e4m3fn'],
    ['torch.float8_e4m3fn', 'float8_e4m3fn'],
    ['float4_e2m1fn_x2', 'float4_e2m1fn'],
    ['UINT8', 'uint8'],
  ])('dtype alias %s -> %s', (given, canonical) => {
    const isFloat = canonical.startsWith('float');
    expect(
      value(parseSpec({ dtype: given, granularity: isFloat ? 'per_channel' : { type: 'per_tensor' } })).dtype,
    ).toBe(canonical);
  });

  test('scale dtype aliases and coremltools modes', () => {
    const mx = value(
      parseSpec({
        dtype: 'float4_e2m1fn_x2',
        granularity: { type: 'per_block', block_size: 32 },
        scale_dtype: 'torch.float8_e8m0',
      }),
    );
    expect(mx).toMatchObject({
      dtype: 'float4_e2m1fn',
      scaleDtype: 'float8_e8m0fnu',
      granularity: { type: 'per_block', blockSize: 32 },
    });
    expect(value(parseSpec({ dtype: 'int8', qscheme: 'linear_symmetric' })).qscheme).toBe('symmetric_with_clipping');
    expect(value(parseSpec({ dtype: 'uint8', qscheme: 'LINEAR' })).qscheme).toBe('asymmetric');
    expect(value(parseSpec({ dtype: 'int8', granularity: 'PerChannelGranularity' })).granularity).toEqual({
      type: 'per_channel',
    });
  });

  test('every problem is reported, with paths as written', () => {
    const found = issues(
      parseSpec({
        dtype: 'int3',
        qscheme: 'sym',
        granularity: { type: 'per_block', block_size: [1, -2, 'x'], axis: 'one' },
        float_range: [1, -1],
        bogus: true,
      }),
    );
    expect(found.map((i) => i.path)).toEqual([
      'bogus',
      'dtype',
      'qscheme',
      'granularity.axis',
      'granularity.block_size[1]',
      'granularity.block_size[2]',
      'float_range[0]',
      'float_range[1]',
    ]);
    expect(found.every((i) => i.code === 'SPEC_INVALID')).toBe(true);
    expect(found[1]?.message).toContain("dtype 'int3' is not a registered dtype; valid: 'int2'");
    expect(found[0]?.message).toContain("bogus is not a field of a QuantizationSpec; valid fields: 'version'");
  });

  test('combination problems', () => {
    const found = issues(parseSpec({ dtype: 'float8_e4m3', qscheme: 'asymmetric', qformulation: 'minval' }));
    expect(found.map((i) => [i.path, i.code])).toEqual([
      ['qscheme', 'SPEC_UNSUPPORTED_COMBINATION'],
      ['qformulation', 'SPEC_UNSUPPORTED_COMBINATION'],
    ]);
    expect(issues(parseSpec({ dtype: 'int8', scale_dtype: 'float8_e8m0' }))[0]).toMatchObject({
      path: 'scale_dtype',
      code: 'SPEC_UNSUPPORTED_COMBINATION',
    });
    expect(issues(parseSpec({ dtype: 'int8', qparam_calculator_cls: 'moving_average' }))[0]).toMatchObject({
      path: 'qparam_calculator_cls',
      code: 'SPEC_UNSUPPORTED_COMBINATION',
    });
  });

  test('both spellings of one field is an issue', () => {
    expect(issues(parseSpec({ dtype: 'int8', scaleDtype: 'float16', scale_dtype: 'float16' }))[0]?.message).toBe(
      "scale_dtype repeats scaleDtype; give 'scaleDtype' once",
    );
  });

  test('hostile input', () => {
    for (const bad of [undefined, null, 0, 'int8', [], [{ dtype: 'int8' }], () => 1, Symbol('x'), 10n, new Date(0)]) {
      const result = parseSpec(bad);
      expect(result.ok).toBe(false);
    }
    expect(issues(parseSpec(Object.create(null) as object))[0]?.path).toBe('dtype');
    expect(issues(parseSpec({ dtype: 'int8', ['__proto__']: 1, constructor: 2 })).map((i) => i.path)).toEqual([
      '__proto__',
      'constructor',
    ]);
    const proto = JSON.parse('{"dtype":"int8","__proto__":{"qscheme":"asymmetric"}}') as unknown;
    expect(issues(parseSpec(proto))[0]?.path).toBe('__proto__');
  });

  test('fc.anything() never throws, and an ok result always validates', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withNullPrototype: true,
        }),
        (input) => {
          const result = parseSpec(input);
          if (result.ok) expect(validateSpec(result.value)).toBe(result.value);
          else expect(result.issues.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('near-valid random objects never throw', () => {
    const field = fc.oneof(
      fc.anything(),
      fc.constantFrom('int8', 'INT4', 'symmetric', 'zp', 'per_block', 32, -1, [0, 32], null),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            dtype: field,
            qscheme: field,
            qformulation: field,
            granularity: fc.oneof(field, fc.record({ type: field, axis: field, block_size: field })),
            scale_dtype: field,
            float_range: fc.oneof(field, fc.tuple(field, field)),
          },
          { requiredKeys: [] },
        ),
        (input) => {
          const result = parseSpec(input);
          if (result.ok) validateSpec(result.value);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('round trip: parse(serialize(x)) deep-equals x, through JSON text too', () => {
    fc.assert(
      fc.property(validSpec, (s) => {
        expect(validateSpec(s)).toBe(s);
        expect(value(parseSpec(serializeSpec(s)))).toEqual(s);
        expect(value(parseSpec(JSON.parse(JSON.stringify(serializeSpec(s))) as unknown))).toEqual(s);
      }),
    );
  });
});

describe('parseConfig', () => {
  test('canonical input', () => {
    const config: QuantizationConfig = {
      version: 1,
      global: spec(),
      byOpType: { conv: null },
      byOpName: { 're:layers\\.\\d+\\..*': spec({ dtype: 'int4' }), lm_head: null },
      minSize: 0,
    };
    expect(value(parseConfig(config))).toEqual(config);
  });

  test('a coreai-opt config dict', () => {
    const weight = { dtype: 'torch.int8', qscheme: 'symmetric', granularity: { type: 'per_channel', axis: 0 } };
    const activation = { dtype: 'torch.int8', qscheme: 'symmetric', granularity: { type: 'per_tensor' } };
    const parsed = parseConfig({
      quantization_config: {
        global_config: { op_state_spec: { weight }, op_input_spec: { '*': activation }, op_output_spec: { '*': null } },
        module_type_configs: {
          'torch.nn.modules.linear.Linear': { op_state_spec: { weight: { ...weight, dtype: 'int4' } } },
          'torch.nn.modules.conv.Conv2d': null,
          'my.custom.Block': null,
        },
        module_name_configs: { 'layers.*.attn': null, lm_head: { op_state_spec: { weight: null } } },
        weight_threshold: 1024,
        execution_mode: 'GRAPH',
      },
    });
    const canonicalWeight = {
      version: 1,
      dtype: 'int8',
      qscheme: 'symmetric',
      qformulation: 'zp',
      granularity: { type: 'per_channel', axis: 0 },
    };
    expect(value(parsed)).toEqual({
      version: 1,
      global: canonicalWeight,
      activation: { ...canonicalWeight, granularity: { type: 'per_tensor' } },
      byOpType: { linear: { ...canonicalWeight, dtype: 'int4' }, conv: null, 'my.custom.Block': null },
      byOpName: { 're:layers.*.attn': null, lm_head: null },
      minSize: 1024,
    });
    expect(parsed.warnings.map((w) => w.path)).toEqual([
      'quantization_config.execution_mode',
      'quantization_config.global_config.op_output_spec',
    ]);
  });

  test('coremltools-style config with a plain spec per op type', () => {
    const parsed = parseConfig({
      global_config: { dtype: 'int8', qscheme: 'linear_symmetric', granularity: 'per_channel' },
      op_type_configs: { conv: null },
      op_name_configs: { conv_1_weight: { dtype: 'uint8', qscheme: 'linear' } },
    });
    expect(value(parsed)).toMatchObject({
      global: { qscheme: 'symmetric_with_clipping' },
      byOpType: { conv: null },
      byOpName: { conv_1_weight: { dtype: 'uint8', qscheme: 'asymmetric' } },
    });
  });

  test('every problem, with nested paths', () => {
    const found = issues(
      parseConfig({
        version: 2,
        global: { dtype: 'int8', granularity: { type: 'per_block', blockSize: 0 } },
        byOpType: { conv: { dtype: 'int8', granularity: { type: 'per_block', blockSize: -4 } }, linear: 'w8' },
        byOpName: { 're:(': null, ok: null },
        minSize: -1,
        extra: 1,
      }),
    );
    expect(found.map((i) => [i.path, i.code])).toEqual([
      ['extra', 'CONFIG_INVALID'],
      ['version', 'CONFIG_INVALID'],
      ['global.granularity.blockSize', 'SPEC_INVALID'],
      ['byOpType.conv.granularity.blockSize', 'SPEC_INVALID'],
      ['byOpType.linear', 'SPEC_INVALID'],
      ['byOpName["re:("]', 'CONFIG_INVALID'],
      ['minSize', 'CONFIG_INVALID'],
    ]);
    expect(found[3]?.message).toBe(
      'byOpType.conv.granularity.blockSize is -4; it must be a positive integer, or an array of non-negative integers (one per dimension, 0 = the whole dimension)',
    );
  });

  test('module type keys that collapse to one op kind', () => {
    const found = issues(parseConfig({ module_type_configs: { 'torch.nn.Conv1d': null, 'torch.nn.Conv2d': null } }));
    expect(found[0]?.message).toContain("maps to the same op kind 'conv'");
  });

  test('hostile input never throws', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withNullPrototype: true }), (input) => {
        const result = parseConfig(input);
        if (result.ok) expect(validateConfig(result.value)).toBe(result.value);
      }),
      { numRuns: 500 },
    );
    const entry = fc.oneof(
      fc.anything(),
      fc.constant(null),
      fc.constant({ dtype: 'int8' }),
      fc.record({ op_state_spec: fc.anything() }),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            global_config: entry,
            byOpType: fc.oneof(fc.anything(), fc.dictionary(fc.string(), entry)),
            module_name_configs: fc.oneof(fc.anything(), fc.dictionary(fc.string(), entry)),
            minSize: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (input) => {
          const result = parseConfig(input);
          if (result.ok) validateConfig(result.value);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('round trip: parse(serialize(x)) deep-equals x, regex keys preserved', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        expect(validateConfig(config)).toBe(config);
        expect(value(parseConfig(serializeConfig(config)))).toEqual(config);
        const text = JSON.stringify(serializeConfig(config));
        expect(value(parseConfig(JSON.parse(text) as unknown))).toEqual(config);
      }),
    );
  });

  test('serialize is canonical: fixed field order, fresh objects', () => {
    const s = {
      granularity: { blockSize: [1, 32], type: 'per_block' },
      qformulation: 'zp',
      dtype: 'int4',
      qscheme: 'symmetric',
      version: 1,
    } as unknown as QuantizationSpec;
    const out = serializeSpec(s);
    expect(JSON.stringify(out)).toBe(
      '{"version":1,"dtype":"int4","qscheme":"symmetric","qformulation":"zp","granularity":{"type":"per_block","blockSize":[1,32]}}',
    );
    expect(out.granularity).not.toBe(s.granularity);
  });
});
