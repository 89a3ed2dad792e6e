import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { QuantError } from '@lowbit/dtypes';
import { getPreset, listPresets, parseConfig } from '@lowbit/spec';
import type { QuantizationConfig, QuantizationSpec } from '@lowbit/spec';

/** Op types whose weights lowbit quantizes by default, as coremltools' `linear_quantize_weights` does. */
export const WEIGHT_OP_TYPES = ['linear', 'conv', 'conv_transpose', 'matmul', 'gather'] as const;

/** coremltools' defaults: int8 per-channel symmetric with clipping ([-127, 127], scale amax/127). */
export const COREMLTOOLS_DEFAULT_SPEC: QuantizationSpec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric_with_clipping',
  qformulation: 'zp',
  granularity: { type: 'per_channel' },
};

/** A config applying `spec` to the weights of the weight-bearing op types only. */
export function weightOpsConfig(spec: QuantizationSpec, minSize?: number): QuantizationConfig {
  return {
    version: 1,
    global: null,
    byOpType: Object.fromEntries(WEIGHT_OP_TYPES.map((t) => [t, spec])),
    ...(minSize === undefined ? {} : { minSize }),
  };
}

/**
 * The config a command runs with: `--config file.json` (validated; every problem is listed), else
 * `--preset name` applied to linear / conv / conv_transpose / matmul / gather weights, else coremltools'
 * defaults.
 * @throws QuantError `CLI_USAGE` for a bad preset or both options, `CONFIG_INVALID` for a bad file.
 */
export async function loadConfig(
  preset: string | undefined,
  configPath: string | undefined,
  cwd: string,
  command: string,
  minSize?: number,
): Promise<{ config: QuantizationConfig; label: string }> {
  const loaded = await loadBaseConfig(preset, configPath, cwd, command);
  if (minSize === undefined) return loaded;
  return { config: { ...loaded.config, minSize }, label: `${loaded.label}, weights of more than ${minSize} elements` };
}

async function loadBaseConfig(
  preset: string | undefined,
  configPath: string | undefined,
  cwd: string,
  command: string,
): Promise<{ config: QuantizationConfig; label: string }> {
  if (preset !== undefined && configPath !== undefined) {
    throw new QuantError('CLI_USAGE', `lowbit ${command}: give --preset or --config, not both`);
  }
  if (configPath !== undefined) {
    const path = resolve(cwd, configPath);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new QuantError(
        'CONFIG_INVALID',
        `lowbit ${command}: cannot read config ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const parsed = parseConfig(json);
    if (!parsed.ok) {
      const issues = parsed.issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n');
      throw new QuantError('CONFIG_INVALID', `lowbit ${command}: ${path} is not a valid config:\n${issues}`);
    }
    return { config: parsed.value, label: `config ${configPath}` };
  }
  if (preset !== undefined) {
    if (!(listPresets() as readonly string[]).includes(preset)) {
      throw new QuantError(
        'CLI_USAGE',
        `lowbit ${command}: unknown preset "${preset}"; presets are ${listPresets().join(', ')}`,
      );
    }
    const config = getPreset(preset);
    if (!config.global) throw new QuantError('CLI_USAGE', `lowbit ${command}: preset "${preset}" quantizes no weights`);
    return { config: weightOpsConfig(config.global, config.minSize), label: `preset ${preset}` };
  }
  return {
    config: weightOpsConfig(COREMLTOOLS_DEFAULT_SPEC),
    label: 'coremltools defaults (int8 per-channel, symmetric with clipping)',
  };
}
