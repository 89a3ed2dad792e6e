import { QuantError } from '@lowbit/dtypes';
import { quoteList } from './_internal/show.js';
import type { QuantizationConfig } from './quantization-config.js';
import type { QuantizationSpec } from './quantization-spec.js';

/** Names of the built-in presets. */
export type PresetName = 'w8' | 'w8_coreml' | 'w4' | 'w4_per_block' | 'w8a8' | 'fp8' | 'mxfp4' | 'nvfp4';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function weights(spec: QuantizationSpec): QuantizationConfig {
  return { version: 1, global: spec };
}

const INT8_PER_CHANNEL: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_channel' },
};

/**
 * The built-in configs, frozen. Weight axes are left to the op kind (see `defaultAxes`); every preset keeps the
 * default 2048-element threshold.
 *
 * | preset | weights | activations |
 * |---|---|---|
 * | `w8` | int8 symmetric per-channel (scale amax/127.5, coreai-opt's `w8`) | - |
 * | `w8_coreml` | int8 symmetric_with_clipping per-channel (amax/127, coremltools' default) | - |
 * | `w4` | int4 symmetric per-channel (coreai-opt's `w4`) | - |
 * | `w4_per_block` | int4 symmetric, blocks of 32 along the input axis | - |
 * | `w8a8` | as `w8` | int8 symmetric per-tensor |
 * | `fp8` | float8_e4m3fn per-channel, scale amax/448 | - |
 * | `mxfp4` | float4_e2m1fn, blocks of 32, float8_e8m0fnu (power-of-two) scales, OCP MX | - |
 * | `nvfp4` | float4_e2m1fn, blocks of 16, float8_e4m3fn scales (single-level NVFP4) | - |
 */
export const PRESETS: Readonly<Record<PresetName, QuantizationConfig>> = deepFreeze({
  w8: weights(INT8_PER_CHANNEL),
  w8_coreml: weights({ ...INT8_PER_CHANNEL, qscheme: 'symmetric_with_clipping' }),
  w4: weights({ ...INT8_PER_CHANNEL, dtype: 'int4' }),
  w4_per_block: weights({ ...INT8_PER_CHANNEL, dtype: 'int4', granularity: { type: 'per_block', blockSize: 32 } }),
  w8a8: {
    version: 1,
    global: INT8_PER_CHANNEL,
    activation: { ...INT8_PER_CHANNEL, granularity: { type: 'per_tensor' } },
  },
  fp8: weights({ ...INT8_PER_CHANNEL, dtype: 'float8_e4m3fn' }),
  mxfp4: weights({
    ...INT8_PER_CHANNEL,
    dtype: 'float4_e2m1fn',
    granularity: { type: 'per_block', blockSize: 32 },
    scaleDtype: 'float8_e8m0fnu',
  }),
  nvfp4: weights({
    ...INT8_PER_CHANNEL,
    dtype: 'float4_e2m1fn',
    granularity: { type: 'per_block', blockSize: 16 },
    scaleDtype: 'float8_e4m3fn',
  }),
});

const NAMES = Object.freeze(Object.keys(PRESETS) as PresetName[]);

/** Names of the built-in presets, in documentation order. */
export function listPresets(): readonly PresetName[] {
  return NAMES;
}

/**
 * A built-in config by name (frozen; spread it to modify).
 * @throws QuantError `SPEC_UNKNOWN_PRESET` listing the valid names.
 */
export function getPreset(name: PresetName | (string & {})): QuantizationConfig {
  if (typeof name === 'string' && Object.hasOwn(PRESETS, name)) return PRESETS[name as PresetName];
  throw new QuantError(
    'SPEC_UNKNOWN_PRESET',
    `getPreset: ${typeof name === 'string' ? `'${name}'` : String(typeof name)} is not a preset; valid: ${quoteList(NAMES)}`,
    { details: { name, valid: NAMES } },
  );
}
