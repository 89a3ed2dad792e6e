import { QuantError } from '@lowbit/dtypes';
import { compileRegexKey } from './_internal/config-reader.js';
import { isPlainRecord } from './_internal/path.js';
import { formatCount, show } from './_internal/show.js';
import { describeSpec } from './describe-spec.js';
import { opKindOf } from './op-kind.js';
import { DEFAULT_MIN_SIZE, REGEX_KEY_PREFIX } from './quantization-config.js';
import type { QuantizationConfig, SpecResolution, SpecSource, TensorInfo } from './quantization-config.js';
import type { QuantizationSpec } from './quantization-spec.js';

type Table = Readonly<Record<string, QuantizationSpec | null>>;

const compiledPatterns = new WeakMap<Table, readonly (readonly [string, RegExp])[]>();

function patternsOf(table: Table): readonly (readonly [string, RegExp])[] {
  let patterns = compiledPatterns.get(table);
  if (patterns === undefined) {
    const list: (readonly [string, RegExp])[] = [];
    for (const key of Object.keys(table)) {
      if (!key.startsWith(REGEX_KEY_PREFIX)) continue;
      const regex = compileRegexKey(key);
      if (regex === null) {
        throw new QuantError(
          'CONFIG_INVALID',
          `resolveTensorSpec: byOpName key '${key}' is not a valid regular expression; validate configs with validateConfig or parseConfig`,
          { details: { key } },
        );
      }
      list.push([key, regex]);
    }
    patterns = list;
    compiledPatterns.set(table, patterns);
  }
  return patterns;
}

interface Match {
  readonly spec: QuantizationSpec | null;
  readonly source: SpecSource;
  readonly key: string | null;
  /** Completes "…because <why>". */
  readonly why: string;
}

function findMatch(config: QuantizationConfig, tensor: TensorInfo): Match {
  const byName = config.byOpName;
  if (byName !== undefined) {
    if (Object.hasOwn(byName, tensor.name)) {
      return {
        spec: byName[tensor.name] ?? null,
        source: 'name',
        key: tensor.name,
        why: `op name '${tensor.name}' is listed in byOpName`,
      };
    }
    for (const [key, regex] of patternsOf(byName)) {
      if (regex.test(tensor.name)) {
        return {
          spec: byName[key] ?? null,
          source: 'name',
          key,
          why: `op name '${tensor.name}' matches byOpName pattern '${key}'`,
        };
      }
    }
  }
  const byType = config.byOpType;
  if (byType !== undefined) {
    if (Object.hasOwn(byType, tensor.opType)) {
      return {
        spec: byType[tensor.opType] ?? null,
        source: 'op_type',
        key: tensor.opType,
        why: `op type '${tensor.opType}' is listed in byOpType`,
      };
    }
    const kind = opKindOf(tensor.opType);
    if (kind !== 'other' && Object.hasOwn(byType, kind)) {
      return {
        spec: byType[kind] ?? null,
        source: 'op_type',
        key: kind,
        why: `op type '${tensor.opType}' is of op kind '${kind}', listed in byOpType`,
      };
    }
  }
  return {
    spec: config.global,
    source: 'global',
    key: null,
    why: 'no byOpName or byOpType rule matched, so the global spec applies',
  };
}

function checkTensor(tensor: TensorInfo): number {
  const ok =
    isPlainRecord(tensor) &&
    typeof tensor.name === 'string' &&
    typeof tensor.opType === 'string' &&
    Array.isArray(tensor.shape) &&
    tensor.shape.every((d: unknown) => typeof d === 'number' && Number.isInteger(d) && d >= 0);
  if (!ok) {
    throw new QuantError(
      'SPEC_INVALID',
      `resolveTensorSpec: tensor must be { name: string, opType: string, shape: non-negative integers[] }, given ${show(tensor)}`,
      { details: { tensor } },
    );
  }
  return tensor.shape.reduce((n, d) => n * d, 1);
}

/**
 * Decides which spec a tensor gets under a config, and says why in a sentence for reports.
 *
 * Precedence: `byOpName` exact key > first matching `re:` key (in key order) > `byOpType` (the op type as
 * given, then its op kind, so a `'linear'` key covers `'Gemm'` and `'torch.nn.modules.linear.Linear'`) >
 * `global`. A `null` at the deciding level skips the tensor (`disabled_by_name`, `disabled_by_op_type`,
 * `disabled_globally`). Then the size threshold applies to every tensor, whichever level matched (as in
 * coremltools): a tensor with `minSize` (default 2048) elements or fewer is skipped as `below_min_size`.
 *
 * The config is trusted here (check it once with `validateConfig` or `parseConfig`); only the tensor
 * description is checked.
 *
 * @example
 * ```ts
 * resolveTensorSpec(getPreset('w8'), { name: 'fc1', opType: 'linear', shape: [32, 32] }).reason
 * // "skipped: 1,024 elements is below the 2,048-element threshold"
 * ```
 * @throws QuantError `SPEC_INVALID` for a malformed tensor description; `CONFIG_INVALID` for an invalid `re:` key.
 */
export function resolveTensorSpec(config: QuantizationConfig, tensor: TensorInfo): SpecResolution {
  if (!isPlainRecord(config)) {
    throw new QuantError(
      'CONFIG_INVALID',
      `resolveTensorSpec: config must be a QuantizationConfig object, given ${show(config)}`,
    );
  }
  const numel = checkTensor(tensor);
  const match = findMatch(config, tensor);
  const { source, key } = match;
  if (match.spec === null) {
    if (source === 'name') {
      return {
        spec: null,
        skipReason: 'disabled_by_name',
        source,
        key,
        reason: `skipped: ${match.why} with a null spec`,
      };
    }
    if (source === 'op_type') {
      return {
        spec: null,
        skipReason: 'disabled_by_op_type',
        source,
        key,
        reason: `skipped: ${match.why} with a null spec`,
      };
    }
    return {
      spec: null,
      skipReason: 'disabled_globally',
      source,
      key,
      reason: 'skipped: no byOpName or byOpType rule matched and the global spec is null',
    };
  }
  const minSize = config.minSize ?? DEFAULT_MIN_SIZE;
  if (numel <= minSize) {
    const relation = numel < minSize ? 'is below' : 'is not above';
    return {
      spec: null,
      skipReason: 'below_min_size',
      source,
      key,
      reason: `skipped: ${formatCount(numel)} elements ${relation} the ${formatCount(minSize)}-element threshold`,
    };
  }
  return { spec: match.spec, source, key, reason: `quantized as ${describeSpec(match.spec)}: ${match.why}` };
}
