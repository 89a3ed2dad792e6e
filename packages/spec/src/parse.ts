import type { DTypeRegistry } from '@lowbit/dtypes';
import { readConfig } from './_internal/config-reader.js';
import { newContext, readSpec } from './_internal/spec-reader.js';
import type { ReadContext } from './_internal/spec-reader.js';
import type { QuantizationConfig } from './quantization-config.js';
import type { QuantizationSpec } from './quantization-spec.js';
import type { ParseResult } from './spec-issue.js';

function run<T>(
  fn: string,
  registry: DTypeRegistry | undefined,
  read: (ctx: ReadContext) => T | undefined,
): ParseResult<T> {
  const ctx = newContext(true, registry);
  let value: T | undefined;
  try {
    value = read(ctx);
  } catch (error) {
    ctx.issues.push({
      path: '',
      code: fn === 'parseSpec' ? 'SPEC_INVALID' : 'CONFIG_INVALID',
      message: `${fn}: the input could not be read (${error instanceof Error ? error.message : 'unknown error'})`,
    });
  }
  if (value === undefined || ctx.issues.length > 0) return { ok: false, issues: ctx.issues, warnings: ctx.warnings };
  return { ok: true, value, warnings: ctx.warnings };
}

/**
 * Validates an untrusted JSON value as a {@link QuantizationSpec} and returns it in canonical camelCase form, or
 * every problem found (each with its JSON path). Never throws.
 *
 * Also accepts coreai-opt's spelling: `scale_dtype`, `float_range`; enum values in any case, with or without an
 * enum prefix (`QuantizationScheme.SYMMETRIC`); coremltools modes (`linear_symmetric` ->
 * `symmetric_with_clipping`, `linear` -> `asymmetric`); dtype aliases (`torch.int8`, `float8_e4m3`,
 * `float4_e2m1fn_x2`, `float8_e8m0`); `null` for absent optional fields; granularity as a string
 * (`"per_channel"`) or class name (`PerBlockGranularity`), `block_size`, `-1` entries meaning the whole axis
 * (stored as 0). Defaults: `version` 1, `qscheme` symmetric, `qformulation` zp, granularity per_tensor. `dtype`
 * is required. coreai-opt calculator keys are accepted at their default values (with a warning).
 */
export function parseSpec(json: unknown, registry?: DTypeRegistry): ParseResult<QuantizationSpec> {
  return run('parseSpec', registry, (ctx) => readSpec(json, '', ctx));
}

/**
 * Validates an untrusted JSON value as a {@link QuantizationConfig}: canonical form out, or every problem found.
 * Never throws.
 *
 * Also accepts coreai-opt / coremltools dicts: an outer `quantization_config` wrapper; `global_config`;
 * `op_type_configs` / `module_type_configs` (keys such as `torch.nn.modules.linear.Linear` or `conv2d` become
 * op kinds, `linear`, `conv`); `op_name_configs` / `module_name_configs` (keys containing regex syntax
 * `* + ? [ ] ( ) { } | ^ $ \` become `re:` patterns, others stay exact names); `weight_threshold` /
 * `weight_num_threshold` / `min_size` for `minSize`; ModuleQuantizerConfig entries
 * (`{"op_state_spec": {"weight": spec}, "op_input_spec": {"*": spec}}`: the weight spec is used, and the global
 * entry's input spec becomes `activation`). A missing `global` means null (nothing quantized by default).
 */
export function parseConfig(json: unknown, registry?: DTypeRegistry): ParseResult<QuantizationConfig> {
  return run('parseConfig', registry, (ctx) => readConfig(json, ctx));
}
