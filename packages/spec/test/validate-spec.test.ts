import { createDTypeRegistry, getDType, isQuantError } from '@lowbit/dtypes';
import { describe, expect, test } from 'vitest';
import { validateSpec } from '../src/index.js';
import type { QuantizationSpec } from '../src/index.js';
import { errorOf, spec } from './helpers.js';

describe('validateSpec: accepted', () => {
  test.each([
    spec(),
    spec({ dtype: 'uint4', qscheme: 'asymmetric', qformulation: 'minval', granularity: { type: 'per_tensor' } }),
    spec({ dtype: 'int4', granularity: { type: 'per_block', blockSize: 32 }, scaleDtype: 'float16' }),
    spec({ granularity: { type: 'per_block', blockSize: [1, 0, 32] } }),
    spec({ granularity: { type: 'per_channel', axis: -1 } }),
    spec({ dtype: 'float4_e2m1fn', granularity: { type: 'per_block', blockSize: 32 }, scaleDtype: 'float8_e8m0fnu' }),
    spec({ dtype: 'float8_e4m3fn', scaleDtype: 'float8_e8m0fnu' }),
    spec({ floatRange: [-1, 2] }),
    spec({ floatRange: [null, 0.5] }),
    spec({ floatRange: [0, null] }),
    spec({ floatRange: [null, null] }),
  ])('%#', (value) => {
    expect(validateSpec(value)).toBe(value);
  });
});

describe('validateSpec: every error path names the field, the given value and what is valid', () => {
  test('unknown dtype lists the registered element dtypes', () => {
    const message = errorOf(() => validateSpec(spec({ dtype: 'int3' })), 'SPEC_INVALID');
    expect(message).toMatch(/^validateSpec: dtype 'int3' is not a registered dtype; valid: /);
    for (const name of ['int2', 'uint8', 'float8_e4m3fn', 'float4_e2m1fn', 'float6_e3m2fn'])
      expect(message).toContain(`'${name}'`);
    expect(message).not.toContain("'float8_e8m0fnu'");
  });

  test('non-string and missing dtype', () => {
    expect(errorOf(() => validateSpec(spec({ dtype: 8 })), 'SPEC_INVALID')).toContain(
      'dtype must be a dtype name, given 8',
    );
    const { dtype: _dtype, ...rest } = spec();
    expect(errorOf(() => validateSpec(rest as QuantizationSpec), 'SPEC_INVALID')).toContain('dtype is missing');
  });

  test('dtypes that cannot hold elements', () => {
    const e8m0 = errorOf(() => validateSpec(spec({ dtype: 'float8_e8m0fnu' })), 'SPEC_UNSUPPORTED_COMBINATION');
    expect(e8m0).toContain("dtype 'float8_e8m0fnu' cannot hold quantized elements");
    expect(e8m0).toContain('scaleDtype');
    expect(errorOf(() => validateSpec(spec({ dtype: 'float32' })), 'SPEC_UNSUPPORTED_COMBINATION')).toContain(
      'source format',
    );
  });

  test('bad qscheme and qformulation list the valid values', () => {
    const scheme = errorOf(() => validateSpec(spec({ qscheme: 'SYMMETRIC' })), 'SPEC_INVALID');
    expect(scheme).toBe(
      "validateSpec: qscheme is 'SYMMETRIC'; valid: 'symmetric', 'symmetric_with_clipping', 'asymmetric'",
    );
    expect(errorOf(() => validateSpec(spec({ qformulation: 'offset' })), 'SPEC_INVALID')).toBe(
      "validateSpec: qformulation is 'offset'; valid: 'zp', 'minval'",
    );
  });

  test('float dtypes accept only symmetric / zp', () => {
    const asym = errorOf(
      () => validateSpec(spec({ dtype: 'float8_e4m3fn', qscheme: 'asymmetric' })),
      'SPEC_UNSUPPORTED_COMBINATION',
    );
    expect(asym).toContain("qscheme 'asymmetric' is not supported for the float dtype 'float8_e4m3fn'");
    expect(asym).toContain("valid: 'symmetric'");
    const clip = errorOf(
      () => validateSpec(spec({ dtype: 'float4_e2m1fn', qscheme: 'symmetric_with_clipping' })),
      'SPEC_UNSUPPORTED_COMBINATION',
    );
    expect(clip).toContain("qscheme 'symmetric_with_clipping'");
    const minval = errorOf(
      () => validateSpec(spec({ dtype: 'float8_e5m2', qformulation: 'minval' })),
      'SPEC_UNSUPPORTED_COMBINATION',
    );
    expect(minval).toContain("qformulation 'minval' is not supported for the float dtype 'float8_e5m2'; valid: 'zp'");
  });

  test('low-precision float scales are refused for integer dtypes (coreai-opt rule)', () => {
    const message = errorOf(() => validateSpec(spec({ scaleDtype: 'float8_e8m0fnu' })), 'SPEC_UNSUPPORTED_COMBINATION');
    expect(message).toContain("scaleDtype 'float8_e8m0fnu' is not supported for the integer dtype 'int8'");
    expect(message).toContain("valid: 'float32', 'float16'");
    errorOf(() => validateSpec(spec({ dtype: 'uint4', scaleDtype: 'float8_e4m3fn' })), 'SPEC_UNSUPPORTED_COMBINATION');
  });

  test('unknown scaleDtype', () => {
    expect(errorOf(() => validateSpec(spec({ scaleDtype: 'bfloat16' })), 'SPEC_INVALID')).toBe(
      "validateSpec: scaleDtype is 'bfloat16'; valid: 'float32', 'float16', 'float8_e8m0fnu', 'float8_e4m3fn'",
    );
  });

  test('floatRange rules', () => {
    expect(errorOf(() => validateSpec(spec({ floatRange: [0.5, 2] })), 'SPEC_INVALID')).toContain(
      'floatRange[0] (min) is 0.5; it must be <= 0',
    );
    expect(errorOf(() => validateSpec(spec({ floatRange: [-2, -1] })), 'SPEC_INVALID')).toContain(
      'floatRange[1] (max) is -1; it must be >= 0',
    );
    expect(errorOf(() => validateSpec(spec({ floatRange: [0, 0] })), 'SPEC_INVALID')).toContain('min must be < max');
    expect(errorOf(() => validateSpec(spec({ floatRange: [Number.NaN, 1] })), 'SPEC_INVALID')).toContain(
      'floatRange[0] is NaN; it must be a finite number or null',
    );
    expect(errorOf(() => validateSpec(spec({ floatRange: [1] })), 'SPEC_INVALID')).toContain(
      'floatRange is [1]; it must be [min, max]',
    );
  });

  test('granularity shapes', () => {
    expect(errorOf(() => validateSpec(spec({ granularity: { type: 'per_row' } })), 'SPEC_INVALID')).toBe(
      "validateSpec: granularity.type is 'per_row'; valid: 'per_tensor', 'per_channel', 'per_block'",
    );
    expect(errorOf(() => validateSpec(spec({ granularity: 'per_channel' })), 'SPEC_INVALID')).toContain(
      "granularity must be { type: 'per_tensor' }",
    );
    expect(
      errorOf(() => validateSpec(spec({ granularity: { type: 'per_channel', axis: 0.5 } })), 'SPEC_INVALID'),
    ).toContain('granularity.axis must be an integer axis');
    expect(
      errorOf(() => validateSpec(spec({ granularity: { type: 'per_tensor', axis: 0 } })), 'SPEC_INVALID'),
    ).toContain('per_tensor granularity has no axis');
    expect(
      errorOf(() => validateSpec(spec({ granularity: { type: 'per_channel', blockSize: 4 } })), 'SPEC_INVALID'),
    ).toContain('per_channel granularity has no block size');
    expect(errorOf(() => validateSpec(spec({ granularity: { type: 'per_block' } })), 'SPEC_INVALID')).toContain(
      'granularity.blockSize is missing',
    );
    for (const bad of [0, -32, 2.5]) {
      expect(
        errorOf(() => validateSpec(spec({ granularity: { type: 'per_block', blockSize: bad } })), 'SPEC_INVALID'),
      ).toContain(`granularity.blockSize is ${bad}; it must be a positive integer`);
    }
    expect(
      errorOf(() => validateSpec(spec({ granularity: { type: 'per_block', blockSize: [1, -1] } })), 'SPEC_INVALID'),
    ).toContain(
      'granularity.blockSize[1] is -1; entries must be non-negative integers, 0 meaning the whole dimension (coreai-opt writes -1',
    );
    expect(
      errorOf(
        () => validateSpec(spec({ granularity: { type: 'per_block', axis: 1, blockSize: [1, 32] } })),
        'SPEC_INVALID',
      ),
    ).toContain('granularity.axis is 1, but blockSize is an array');
    expect(
      errorOf(() => validateSpec(spec({ granularity: { type: 'per_block', blockSize: [] } })), 'SPEC_INVALID'),
    ).toContain('empty array');
  });

  test('version and unknown fields', () => {
    expect(errorOf(() => validateSpec(spec({ version: 2 })), 'SPEC_INVALID')).toBe(
      'validateSpec: version is 2; the only valid version is 1',
    );
    const snake = errorOf(
      () => validateSpec({ ...spec(), scale_dtype: 'float16' } as QuantizationSpec),
      'SPEC_INVALID',
    );
    expect(snake).toContain(
      "scale_dtype is not a field of a QuantizationSpec (write 'scaleDtype'; parse accepts 'scale_dtype')",
    );
    expect(snake).toContain("valid fields: 'version', 'dtype'");
  });

  test('non-objects', () => {
    for (const bad of [null, 3, 'int8', [spec()]]) {
      expect(errorOf(() => validateSpec(bad as unknown as QuantizationSpec), 'SPEC_INVALID')).toContain(
        'the spec must be an object',
      );
    }
  });

  test('every problem is in details.issues; the message counts the rest', () => {
    try {
      validateSpec(spec({ dtype: 'int3', qscheme: 'nope', granularity: { type: 'per_block', blockSize: 0 } }));
      expect.unreachable();
    } catch (error) {
      expect(isQuantError(error)).toBe(true);
      const e = error as { message: string; details: { issues: { path: string }[] } };
      expect(e.details.issues.map((issue) => issue.path)).toEqual(['dtype', 'qscheme', 'granularity.blockSize']);
      expect(e.message).toContain('(and 2 more problems, listed in error.details.issues)');
    }
  });

  test('custom registries are honoured', () => {
    const registry = createDTypeRegistry([getDType('int8')]);
    expect(validateSpec(spec(), registry)).toBeTruthy();
    const message = errorOf(() => validateSpec(spec({ dtype: 'int4' }), registry), 'SPEC_INVALID');
    expect(message).toBe("validateSpec: dtype 'int4' is not a registered dtype; valid: 'int8'");
  });
});

test('an explicit undefined optional field counts as absent', () => {
  const value = { ...spec(), scaleDtype: undefined, floatRange: undefined } as unknown as QuantizationSpec;
  expect(validateSpec(value)).toBe(value);
  expect(
    errorOf(() => validateSpec({ ...spec(), dtype: undefined } as unknown as QuantizationSpec), 'SPEC_INVALID'),
  ).toContain('dtype is missing');
});
