import { describe, expect, test } from 'vitest';
import { getPreset, resolveTensorSpec, validateConfig } from '../src/index.js';
import type { QuantizationConfig } from '../src/index.js';
import { errorOf, spec } from './helpers.js';

const int8 = spec();
const int4 = spec({ dtype: 'int4', granularity: { type: 'per_block', blockSize: 32 } });
const uint8 = spec({ dtype: 'uint8', qscheme: 'asymmetric' });
const fp8 = spec({ dtype: 'float8_e4m3fn' });

const big = [128, 256];

const config: QuantizationConfig = {
  version: 1,
  global: int8,
  byOpType: { conv: int4, Gemm: fp8, embedding: null },
  byOpName: {
    're:layers\\.\\d+\\.attn\\..*': uint8,
    're:layers\\..*': null,
    'layers.3.attn.q': fp8,
    lm_head: null,
  },
};

describe('resolveTensorSpec precedence', () => {
  test('the config is valid', () => {
    expect(validateConfig(config)).toBe(config);
  });

  test('global when nothing else matches', () => {
    const r = resolveTensorSpec(config, { name: 'fc1', opType: 'linear', shape: big });
    expect(r).toEqual({
      spec: int8,
      source: 'global',
      key: null,
      reason:
        'quantized as int8 symmetric per_channel: no byOpName or byOpType rule matched, so the global spec applies',
    });
  });

  test('op type beats global; the op kind covers other spellings', () => {
    expect(resolveTensorSpec(config, { name: 'c1', opType: 'conv', shape: big })).toMatchObject({
      spec: int4,
      source: 'op_type',
      key: 'conv',
      reason: "quantized as int4 symmetric per_block(32): op type 'conv' is listed in byOpType",
    });
    expect(resolveTensorSpec(config, { name: 'c2', opType: 'Conv2d', shape: big })).toMatchObject({
      spec: int4,
      key: 'conv',
      reason: "quantized as int4 symmetric per_block(32): op type 'Conv2d' is of op kind 'conv', listed in byOpType",
    });
    // An exact op type key beats the kind: 'Gemm' is listed itself.
    expect(resolveTensorSpec(config, { name: 'g', opType: 'Gemm', shape: big })).toMatchObject({
      spec: fp8,
      key: 'Gemm',
    });
  });

  test('null at the op type level skips', () => {
    expect(resolveTensorSpec(config, { name: 'tok', opType: 'Embedding', shape: big })).toEqual({
      spec: null,
      skipReason: 'disabled_by_op_type',
      source: 'op_type',
      key: 'embedding',
      reason: "skipped: op type 'Embedding' is of op kind 'embedding', listed in byOpType with a null spec",
    });
  });

  test('name beats op type; exact beats regex; first matching regex wins', () => {
    expect(resolveTensorSpec(config, { name: 'layers.3.attn.q', opType: 'conv', shape: big })).toMatchObject({
      spec: fp8,
      source: 'name',
      key: 'layers.3.attn.q',
      reason: "quantized as float8_e4m3fn symmetric per_channel: op name 'layers.3.attn.q' is listed in byOpName",
    });
    expect(resolveTensorSpec(config, { name: 'layers.2.attn.k', opType: 'conv', shape: big })).toMatchObject({
      spec: uint8,
      key: 're:layers\\.\\d+\\.attn\\..*',
      reason:
        "quantized as uint8 asymmetric per_channel: op name 'layers.2.attn.k' matches byOpName pattern 're:layers\\.\\d+\\.attn\\..*'",
    });
    expect(resolveTensorSpec(config, { name: 'layers.2.mlp.up', opType: 'conv', shape: big })).toEqual({
      spec: null,
      skipReason: 'disabled_by_name',
      source: 'name',
      key: 're:layers\\..*',
      reason: "skipped: op name 'layers.2.mlp.up' matches byOpName pattern 're:layers\\..*' with a null spec",
    });
    expect(resolveTensorSpec(config, { name: 'lm_head', opType: 'linear', shape: big })).toMatchObject({
      spec: null,
      skipReason: 'disabled_by_name',
      reason: "skipped: op name 'lm_head' is listed in byOpName with a null spec",
    });
  });

  test('regexes match the whole name', () => {
    expect(resolveTensorSpec(config, { name: 'model.layers.2.attn.k', opType: 'linear', shape: big }).source).toBe(
      'global',
    );
  });

  test('regex order is the key order', () => {
    const swapped: QuantizationConfig = {
      version: 1,
      global: null,
      byOpName: { 're:layers\\..*': null, 're:layers\\.\\d+\\.attn\\..*': uint8 },
    };
    expect(resolveTensorSpec(swapped, { name: 'layers.2.attn.k', opType: 'linear', shape: big })).toMatchObject({
      skipReason: 'disabled_by_name',
    });
  });

  test('null global', () => {
    expect(resolveTensorSpec({ version: 1, global: null }, { name: 'x', opType: 'linear', shape: big })).toEqual({
      spec: null,
      skipReason: 'disabled_globally',
      source: 'global',
      key: null,
      reason: 'skipped: no byOpName or byOpType rule matched and the global spec is null',
    });
  });
});

describe('resolveTensorSpec size threshold', () => {
  test('default 2048: only larger tensors are quantized (coremltools weight_threshold)', () => {
    const w8 = getPreset('w8');
    expect(resolveTensorSpec(w8, { name: 'a', opType: 'linear', shape: [32, 32] })).toEqual({
      spec: null,
      skipReason: 'below_min_size',
      source: 'global',
      key: null,
      reason: 'skipped: 1,024 elements is below the 2,048-element threshold',
    });
    expect(resolveTensorSpec(w8, { name: 'a', opType: 'linear', shape: [32, 64] }).reason).toBe(
      'skipped: 2,048 elements is not above the 2,048-element threshold',
    );
    expect(resolveTensorSpec(w8, { name: 'a', opType: 'linear', shape: [32, 65] }).spec).toEqual(w8.global);
  });

  test('the threshold applies after every level, including explicit names', () => {
    const r = resolveTensorSpec(
      { ...config, minSize: 10_000 },
      { name: 'layers.3.attn.q', opType: 'linear', shape: [64, 64] },
    );
    expect(r).toMatchObject({
      spec: null,
      skipReason: 'below_min_size',
      source: 'name',
      key: 'layers.3.attn.q',
      reason: 'skipped: 4,096 elements is below the 10,000-element threshold',
    });
  });

  test('minSize 0 quantizes everything but empty tensors', () => {
    const all: QuantizationConfig = { version: 1, global: int8, minSize: 0 };
    expect(resolveTensorSpec(all, { name: 's', opType: 'other', shape: [1] }).spec).toEqual(int8);
    expect(resolveTensorSpec(all, { name: 's', opType: 'other', shape: [0, 4] })).toMatchObject({
      skipReason: 'below_min_size',
    });
  });

  test('a disabled tensor reports the disabling, not the size', () => {
    expect(resolveTensorSpec(config, { name: 'lm_head', opType: 'linear', shape: [2, 2] })).toMatchObject({
      skipReason: 'disabled_by_name',
    });
  });
});

describe('resolveTensorSpec bad input', () => {
  test('malformed tensor descriptions', () => {
    expect(
      errorOf(() => resolveTensorSpec(config, { name: 'x', opType: 'linear', shape: [2, -1] }), 'SPEC_INVALID'),
    ).toContain('resolveTensorSpec: tensor must be { name: string, opType: string, shape: non-negative integers[] }');
    errorOf(() => resolveTensorSpec(config, { name: 3, opType: 'linear', shape: [2] } as never), 'SPEC_INVALID');
    errorOf(() => resolveTensorSpec(null as never, { name: 'x', opType: 'linear', shape: [2] }), 'CONFIG_INVALID');
  });

  test('an invalid regex key is reported', () => {
    const bad = { version: 1, global: null, byOpName: { 're:(': int8 } } as const;
    expect(
      errorOf(() => resolveTensorSpec(bad, { name: 'x', opType: 'linear', shape: [2] }), 'CONFIG_INVALID'),
    ).toContain("byOpName key 're:(' is not a valid regular expression");
    expect(errorOf(() => validateConfig(bad), 'CONFIG_INVALID')).toContain(
      'byOpName["re:("]: \'(\' is not a valid JavaScript regular expression',
    );
  });
});
