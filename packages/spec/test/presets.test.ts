import { isQuantError } from '@lowbit/dtypes';
import { describe, expect, test } from 'vitest';
import { PRESETS, describeSpec, getPreset, listPresets, quantRange, specKey, validateConfig } from '../src/index.js';
import { errorOf, spec } from './helpers.js';

describe('presets', () => {
  test('the list', () => {
    expect(listPresets()).toEqual(['w8', 'w8_coreml', 'w4', 'w4_per_block', 'w8a8', 'fp8', 'mxfp4', 'nvfp4']);
  });

  test.each(listPresets())('%s validates and is frozen', (name) => {
    const config = getPreset(name);
    expect(validateConfig(config)).toBe(config);
    expect(config).toBe(PRESETS[name]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.global)).toBe(true);
    expect(Object.isFrozen(config.global?.granularity)).toBe(true);
    expect(() => {
      (config as { minSize?: number }).minSize = 1;
    }).toThrow(TypeError);
  });

  test('contents', () => {
    const label = (name: string): string => describeSpec(getPreset(name).global ?? spec());
    expect(label('w8')).toBe('int8 symmetric per_channel');
    expect(label('w8_coreml')).toBe('int8 symmetric_with_clipping per_channel');
    expect(label('w4')).toBe('int4 symmetric per_channel');
    expect(label('w4_per_block')).toBe('int4 symmetric per_block(32)');
    expect(label('fp8')).toBe('float8_e4m3fn symmetric per_channel');
    expect(label('mxfp4')).toBe('float4_e2m1fn symmetric per_block(32) float8_e8m0fnu scales');
    expect(label('nvfp4')).toBe('float4_e2m1fn symmetric per_block(16) float8_e4m3fn scales');
    const w8a8 = getPreset('w8a8');
    expect(w8a8.global).toEqual(getPreset('w8').global);
    expect(w8a8.activation).toEqual(spec({ granularity: { type: 'per_tensor' } }));
    expect(quantRange(getPreset('w8_coreml').global ?? spec())).toEqual({ qmin: -127, qmax: 127 });
  });

  test('unknown preset lists the names', () => {
    expect(errorOf(() => getPreset('w3'), 'SPEC_UNKNOWN_PRESET')).toBe(
      "getPreset: 'w3' is not a preset; valid: 'w8', 'w8_coreml', 'w4', 'w4_per_block', 'w8a8', 'fp8', 'mxfp4', 'nvfp4'",
    );
    for (const bad of ['toString', '__proto__', 'constructor']) {
      try {
        getPreset(bad);
        expect.unreachable();
      } catch (error) {
        expect(isQuantError(error)).toBe(true);
      }
    }
  });
});

describe('describeSpec / specKey', () => {
  test('labels', () => {
    expect(
      describeSpec(
        spec({
          dtype: 'uint8',
          qscheme: 'asymmetric',
          qformulation: 'minval',
          granularity: { type: 'per_channel', axis: 0 },
        }),
      ),
    ).toBe('uint8 asymmetric minval per_channel(axis=0)');
    expect(describeSpec(spec({ granularity: { type: 'per_block', axis: 0, blockSize: [4, 0] } }))).toBe(
      'int8 symmetric per_block([4, 0], axis=0)',
    );
    expect(
      describeSpec(spec({ granularity: { type: 'per_tensor' }, floatRange: [null, 6], scaleDtype: 'float32' })),
    ).toBe('int8 symmetric per_tensor range [auto, 6]');
  });

  test('keys are equal exactly for specs that quantize the same way', () => {
    expect(specKey(spec())).toBe('int8/symmetric/zp/per_channel/float32/-');
    expect(specKey(spec({ scaleDtype: 'float32', floatRange: [null, null] }))).toBe(specKey(spec()));
    expect(specKey(spec({ granularity: { type: 'per_block', axis: 1, blockSize: 32 } }))).toBe(
      'int8/symmetric/zp/per_block:32@1/float32/-',
    );
    const variants = [
      spec(),
      spec({ dtype: 'int4' }),
      spec({ qscheme: 'asymmetric' }),
      spec({ qformulation: 'minval' }),
      spec({ granularity: { type: 'per_channel', axis: 1 } }),
      spec({ granularity: { type: 'per_block', blockSize: 32 } }),
      spec({ granularity: { type: 'per_block', blockSize: [1, 32] } }),
      spec({ scaleDtype: 'float16' }),
      spec({ floatRange: [-1, null] }),
      spec({ floatRange: [-1, 1] }),
    ];
    expect(new Set(variants.map(specKey)).size).toBe(variants.length);
  });
});
