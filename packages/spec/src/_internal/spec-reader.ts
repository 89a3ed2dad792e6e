import type { DType, DTypeRegistry, QuantErrorCode } from '@lowbit/dtypes';
import type { Granularity, QFormulation, QScheme, QuantizationSpec, ScaleDType } from '../quantization-spec.js';
import type { SpecIssue } from '../spec-issue.js';
import { normalizeDTypeName } from './dtype-names.js';
import { isPlainRecord, joinPath, own } from './path.js';
import { elementDTypeNames, findDType, isElementDType, knownDTypeNames } from './registry.js';
import { quoteList, show } from './show.js';

/** Shared state of one validation or parse pass. */
export interface ReadContext {
  /** Accept coreai-opt spellings, aliases and defaults (parse) instead of the exact canonical form (validate). */
  readonly lenient: boolean;
  readonly registry: DTypeRegistry | undefined;
  readonly issues: SpecIssue[];
  readonly warnings: SpecIssue[];
}

/** Creates an empty context. */
export function newContext(lenient: boolean, registry: DTypeRegistry | undefined): ReadContext {
  return { lenient, registry, issues: [], warnings: [] };
}

/** Records one issue. */
export function report(ctx: ReadContext, path: string, code: QuantErrorCode, message: string): void {
  ctx.issues.push({ path, code, message });
}

/** Records one warning. */
export function warn(ctx: ReadContext, path: string, message: string): void {
  ctx.warnings.push({ path, code: 'SPEC_INVALID', message });
}

/** Valid values, in documentation order. */
export const QSCHEMES: readonly QScheme[] = ['symmetric', 'symmetric_with_clipping', 'asymmetric'];
export const QFORMULATIONS: readonly QFormulation[] = ['zp', 'minval'];
export const GRANULARITY_TYPES: readonly Granularity['type'][] = ['per_tensor', 'per_channel', 'per_block'];
export const SCALE_DTYPES: readonly ScaleDType[] = ['float32', 'float16', 'float8_e8m0fnu', 'float8_e4m3fn'];
const INT_SCALE_DTYPES: readonly ScaleDType[] = ['float32', 'float16'];

const SPEC_FIELDS = ['version', 'dtype', 'qscheme', 'qformulation', 'granularity', 'scaleDtype', 'floatRange'];
const SPEC_ALIASES: ReadonlyMap<string, string> = new Map([
  ['scale_dtype', 'scaleDtype'],
  ['float_range', 'floatRange'],
]);
/** coreai-opt spec keys lowbit has no field for, with the values that mean "the default behaviour". */
const COREAI_CALCULATOR_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ['fake_quantize_cls', ['default']],
  ['qparam_calculator_cls', ['default', 'static']],
  ['range_calculator_cls', ['default', 'minmax']],
]);
const QSCHEME_ALIASES: ReadonlyMap<string, QScheme> = new Map([
  ['linear_symmetric', 'symmetric_with_clipping'],
  ['linear', 'asymmetric'],
  ['affine', 'asymmetric'],
]);

function at(path: string, field: string): string {
  return joinPath(path, field);
}

/** Strips an enum prefix (`QuantizationScheme.SYMMETRIC` -> `symmetric`). */
function enumValue(text: string): string {
  const lastDot = text.lastIndexOf('.');
  return (lastDot >= 0 ? text.slice(lastDot + 1) : text).trim().toLowerCase();
}

interface FieldValue {
  readonly path: string;
  readonly value: unknown;
}

/** Collects the fields of an object, mapping aliases in lenient mode and reporting unknown or doubled keys. */
function collectFields(
  input: Record<string, unknown>,
  path: string,
  ctx: ReadContext,
  valid: readonly string[],
  aliases: ReadonlyMap<string, string>,
  what: string,
  code: QuantErrorCode,
  skip?: (key: string, value: unknown, keyPath: string) => boolean,
): Map<string, FieldValue> {
  const fields = new Map<string, FieldValue>();
  for (const key of Object.keys(input)) {
    const value = own(input, key);
    // An explicit `undefined` is the same as an absent field (JSON cannot carry it anyway).
    if (value === undefined) continue;
    const keyPath = at(path, key);
    if (skip?.(key, value, keyPath) === true) continue;
    const canonical = ctx.lenient ? (aliases.get(key) ?? key) : key;
    if (!valid.includes(canonical)) {
      const hint =
        !ctx.lenient && aliases.has(key) ? ` (write '${aliases.get(key) ?? ''}'; parse accepts '${key}')` : '';
      report(ctx, keyPath, code, `${keyPath} is not a field of ${what}${hint}; valid fields: ${quoteList(valid)}`);
      continue;
    }
    const previous = fields.get(canonical);
    if (previous !== undefined) {
      report(ctx, keyPath, code, `${keyPath} repeats ${previous.path}; give '${canonical}' once`);
      continue;
    }
    fields.set(canonical, { path: keyPath, value });
  }
  return fields;
}

function describeDTypeList(ctx: ReadContext): string {
  const names = elementDTypeNames(ctx.registry);
  return names.length > 0 ? quoteList(names) : '(no dtypes registered)';
}

function readDType(field: FieldValue | undefined, path: string, ctx: ReadContext): DType | undefined {
  if (field === undefined) {
    const hint = ctx.lenient ? " (coreai-opt's default was torch.int8: write 'int8')" : '';
    report(
      ctx,
      at(path, 'dtype'),
      'SPEC_INVALID',
      `${at(path, 'dtype')} is missing${hint}; valid: ${describeDTypeList(ctx)}`,
    );
    return undefined;
  }
  if (typeof field.value !== 'string') {
    report(
      ctx,
      field.path,
      'SPEC_INVALID',
      `${field.path} must be a dtype name, given ${show(field.value)}; valid: ${describeDTypeList(ctx)}`,
    );
    return undefined;
  }
  const name = ctx.lenient ? normalizeDTypeName(field.value) : field.value;
  const dtype = findDType(name, ctx.registry);
  if (dtype === null) {
    report(
      ctx,
      field.path,
      'SPEC_INVALID',
      `${field.path} ${show(field.value)} is not a registered dtype; valid: ${describeDTypeList(ctx)}`,
    );
    return undefined;
  }
  if (!isElementDType(dtype)) {
    report(
      ctx,
      field.path,
      'SPEC_UNSUPPORTED_COMBINATION',
      `${field.path} '${dtype.name}' cannot hold quantized elements (${elementRefusal(dtype)}); valid: ${describeDTypeList(ctx)}`,
    );
    return undefined;
  }
  return dtype;
}

function elementRefusal(dtype: DType): string {
  if (dtype.kind === 'float' && (!dtype.signed || !dtype.hasZero))
    return 'it has no zero or no sign: it is a scale format, use it as scaleDtype';
  return 'it is the unquantized source format';
}

function readEnum<T extends string>(
  field: FieldValue | undefined,
  name: string,
  path: string,
  ctx: ReadContext,
  valid: readonly T[],
  fallback: T,
  aliases?: ReadonlyMap<string, T>,
): T | undefined {
  if (field === undefined) {
    if (ctx.lenient) return fallback;
    report(ctx, at(path, name), 'SPEC_INVALID', `${at(path, name)} is missing; valid: ${quoteList(valid)}`);
    return undefined;
  }
  if (typeof field.value === 'string') {
    const text = ctx.lenient ? enumValue(field.value) : field.value;
    const mapped = ctx.lenient ? (aliases?.get(text) ?? text) : text;
    if ((valid as readonly string[]).includes(mapped)) return mapped as T;
  }
  report(ctx, field.path, 'SPEC_INVALID', `${field.path} is ${show(field.value)}; valid: ${quoteList(valid)}`);
  return undefined;
}

function readAxis(value: unknown, path: string, ctx: ReadContext): number | undefined | null {
  if (value === undefined || (ctx.lenient && value === null)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  report(
    ctx,
    path,
    'SPEC_INVALID',
    `${path} must be an integer axis (negative counts from the end) or omitted, given ${show(value)}`,
  );
  return null;
}

const GRANULARITY_FIELDS = ['type', 'axis', 'blockSize'];
const GRANULARITY_ALIASES: ReadonlyMap<string, string> = new Map([['block_size', 'blockSize']]);

function granularityType(value: unknown, ctx: ReadContext): Granularity['type'] | undefined {
  if (typeof value !== 'string') return undefined;
  if (!ctx.lenient)
    return (GRANULARITY_TYPES as readonly string[]).includes(value) ? (value as Granularity['type']) : undefined;
  const squashed = enumValue(value)
    .replace(/granularity$/, '')
    .replace(/[^a-z]/g, '');
  return GRANULARITY_TYPES.find((type) => type.replace('_', '') === squashed);
}

/** Reads and checks a granularity. */
export function readGranularity(value: unknown, path: string, ctx: ReadContext): Granularity | undefined {
  const before = ctx.issues.length;
  let input = value;
  if (ctx.lenient && typeof value === 'string') input = { type: value };
  if (!isPlainRecord(input)) {
    report(
      ctx,
      path,
      'SPEC_INVALID',
      `${path} must be { type: 'per_tensor' } | { type: 'per_channel', axis? } | { type: 'per_block', axis?, blockSize }, given ${show(value)}`,
    );
    return undefined;
  }
  const fields = collectFields(
    input,
    path,
    ctx,
    GRANULARITY_FIELDS,
    GRANULARITY_ALIASES,
    'a granularity',
    'SPEC_INVALID',
  );
  const typeField = fields.get('type');
  const type = granularityType(typeField?.value, ctx);
  if (type === undefined) {
    report(
      ctx,
      typeField?.path ?? at(path, 'type'),
      'SPEC_INVALID',
      `${at(path, 'type')} is ${typeField === undefined ? 'missing' : show(typeField.value)}; valid: ${quoteList(GRANULARITY_TYPES)}`,
    );
    return undefined;
  }
  const axisField = fields.get('axis');
  const axis = readAxis(axisField?.value, axisField?.path ?? at(path, 'axis'), ctx);
  const blockField = fields.get('blockSize');
  if (type === 'per_tensor' || type === 'per_channel') {
    if (type === 'per_tensor' && typeof axis === 'number') {
      report(
        ctx,
        axisField?.path ?? '',
        'SPEC_INVALID',
        `${axisField?.path ?? ''} is ${axis}, but per_tensor granularity has no axis; remove it or use per_channel`,
      );
    }
    if (blockField !== undefined && !(ctx.lenient && blockField.value === null)) {
      report(
        ctx,
        blockField.path,
        'SPEC_INVALID',
        `${blockField.path} is given, but ${type} granularity has no block size; remove it or use per_block`,
      );
    }
    if (ctx.issues.length > before) return undefined;
    if (type === 'per_tensor') return { type };
    return axis === undefined || axis === null ? { type } : { type, axis };
  }
  const blockSize = readBlockSize(blockField, path, ctx);
  if (Array.isArray(blockSize) && typeof axis === 'number') {
    report(
      ctx,
      axisField?.path ?? '',
      'SPEC_INVALID',
      `${axisField?.path ?? ''} is ${axis}, but blockSize is an array with one entry per dimension, which needs no axis; remove the axis or give a single number`,
    );
  }
  if (ctx.issues.length > before || blockSize === undefined) return undefined;
  return axis === undefined || axis === null ? { type, blockSize } : { type, axis, blockSize };
}

function readBlockSize(field: FieldValue | undefined, path: string, ctx: ReadContext): number | number[] | undefined {
  const where = field?.path ?? at(path, 'blockSize');
  const usage = 'a positive integer, or an array of non-negative integers (one per dimension, 0 = the whole dimension)';
  if (field === undefined || (ctx.lenient && field.value === null)) {
    report(ctx, where, 'SPEC_INVALID', `${where} is missing; per_block granularity needs ${usage}`);
    return undefined;
  }
  const value = field.value;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
    report(ctx, where, 'SPEC_INVALID', `${where} is ${show(value)}; it must be ${usage}`);
    return undefined;
  }
  if (!Array.isArray(value)) {
    report(ctx, where, 'SPEC_INVALID', `${where} is ${show(value)}; it must be ${usage}`);
    return undefined;
  }
  if (value.length === 0) {
    report(
      ctx,
      where,
      'SPEC_INVALID',
      `${where} is an empty array; give one entry per dimension (0 = the whole dimension)`,
    );
    return undefined;
  }
  const out: number[] = [];
  let bad = false;
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (typeof entry === 'number' && Number.isInteger(entry) && entry >= 0) out.push(entry);
    else if (ctx.lenient && entry === -1) out.push(0);
    else {
      bad = true;
      const hint = entry === -1 ? ' (coreai-opt writes -1 for "whole axis"; lowbit writes 0)' : '';
      report(
        ctx,
        joinPath(where, i),
        'SPEC_INVALID',
        `${joinPath(where, i)} is ${show(entry)}; entries must be non-negative integers, 0 meaning the whole dimension${hint}`,
      );
    }
  }
  return bad ? undefined : out;
}

function readFloatRange(field: FieldValue, ctx: ReadContext): [number | null, number | null] | undefined {
  const value = field.value;
  const usage = '[min, max] with min <= 0 <= max, min < max, and either end null to leave it to the observer';
  if (!Array.isArray(value) || value.length !== 2) {
    report(ctx, field.path, 'SPEC_INVALID', `${field.path} is ${show(value)}; it must be ${usage}`);
    return undefined;
  }
  const ends: (number | null)[] = [];
  let bad = false;
  for (let i = 0; i < 2; i++) {
    const end: unknown = value[i];
    if (end === null || (typeof end === 'number' && Number.isFinite(end))) ends.push(end);
    else {
      bad = true;
      report(
        ctx,
        joinPath(field.path, i),
        'SPEC_INVALID',
        `${joinPath(field.path, i)} is ${show(end)}; it must be a finite number or null`,
      );
    }
  }
  if (bad) return undefined;
  const [min = null, max = null] = ends;
  if (min !== null && min > 0) {
    report(
      ctx,
      joinPath(field.path, 0),
      'SPEC_INVALID',
      `${joinPath(field.path, 0)} (min) is ${show(min)}; it must be <= 0 so that zero is representable`,
    );
    bad = true;
  }
  if (max !== null && max < 0) {
    report(
      ctx,
      joinPath(field.path, 1),
      'SPEC_INVALID',
      `${joinPath(field.path, 1)} (max) is ${show(max)}; it must be >= 0 so that zero is representable`,
    );
    bad = true;
  }
  if (!bad && min !== null && max !== null && min >= max) {
    report(ctx, field.path, 'SPEC_INVALID', `${field.path} is ${show(value)}; min must be < max`);
    bad = true;
  }
  return bad ? undefined : [min, max];
}

/**
 * Reads and checks a spec. Returns the canonical spec, or undefined after recording every problem found.
 * Strict mode wants exactly the canonical form; lenient mode accepts the coreai-opt spellings and defaults.
 */
export function readSpec(input: unknown, path: string, ctx: ReadContext): QuantizationSpec | undefined {
  const label = path === '' ? 'the spec' : path;
  if (!isPlainRecord(input)) {
    report(
      ctx,
      path,
      'SPEC_INVALID',
      `${label} must be an object { version: 1, dtype, qscheme, qformulation, granularity }, given ${show(input)}`,
    );
    return undefined;
  }
  const before = ctx.issues.length;
  const fields = collectFields(
    input,
    path,
    ctx,
    SPEC_FIELDS,
    SPEC_ALIASES,
    'a QuantizationSpec',
    'SPEC_INVALID',
    (key, value, keyPath) => {
      if (!ctx.lenient) return false;
      const defaults = COREAI_CALCULATOR_KEYS.get(key);
      if (defaults === undefined) return false;
      if (value === null || (typeof value === 'string' && defaults.includes(value.toLowerCase()))) {
        warn(
          ctx,
          keyPath,
          `${keyPath} ${show(value)} ignored: it is the default behaviour (choose observers in @lowbit/observers)`,
        );
      } else {
        report(
          ctx,
          keyPath,
          'SPEC_UNSUPPORTED_COMBINATION',
          `${keyPath} ${show(value)} has no QuantizationSpec equivalent; valid: ${quoteList(defaults)} or omit it, and choose range estimation with @lowbit/observers`,
        );
      }
      return true;
    },
  );

  const versionField = fields.get('version');
  if (versionField === undefined ? !ctx.lenient : versionField.value !== 1) {
    const where = versionField?.path ?? at(path, 'version');
    report(
      ctx,
      where,
      'SPEC_INVALID',
      `${where} is ${versionField === undefined ? 'missing' : show(versionField.value)}; the only valid version is 1`,
    );
  }
  const dtype = readDType(fields.get('dtype'), path, ctx);
  const qscheme = readEnum(fields.get('qscheme'), 'qscheme', path, ctx, QSCHEMES, 'symmetric', QSCHEME_ALIASES);
  const qformulation = readEnum(fields.get('qformulation'), 'qformulation', path, ctx, QFORMULATIONS, 'zp');
  const granularityField = fields.get('granularity');
  let granularity: Granularity | undefined;
  if (granularityField === undefined) {
    if (ctx.lenient) granularity = { type: 'per_tensor' };
    else
      report(
        ctx,
        at(path, 'granularity'),
        'SPEC_INVALID',
        `${at(path, 'granularity')} is missing; valid types: ${quoteList(GRANULARITY_TYPES)}`,
      );
  } else {
    granularity = readGranularity(granularityField.value, granularityField.path, ctx);
  }

  let scaleDtype: ScaleDType | undefined;
  const scaleField = fields.get('scaleDtype');
  if (scaleField !== undefined && !(ctx.lenient && scaleField.value === null)) {
    const text =
      typeof scaleField.value === 'string'
        ? ctx.lenient
          ? normalizeDTypeName(scaleField.value)
          : scaleField.value
        : undefined;
    if (text !== undefined && (SCALE_DTYPES as readonly string[]).includes(text)) scaleDtype = text as ScaleDType;
    else
      report(
        ctx,
        scaleField.path,
        'SPEC_INVALID',
        `${scaleField.path} is ${show(scaleField.value)}; valid: ${quoteList(SCALE_DTYPES)}`,
      );
  }

  let floatRange: [number | null, number | null] | undefined;
  const rangeField = fields.get('floatRange');
  if (rangeField !== undefined && !(ctx.lenient && rangeField.value === null))
    floatRange = readFloatRange(rangeField, ctx);

  if (dtype !== undefined && dtype.kind === 'float') {
    if (qscheme !== undefined && qscheme !== 'symmetric') {
      report(
        ctx,
        fields.get('qscheme')?.path ?? at(path, 'qscheme'),
        'SPEC_UNSUPPORTED_COMBINATION',
        `${at(path, 'qscheme')} '${qscheme}' is not supported for the float dtype '${dtype.name}' (scale = amax / ${dtype.qmax}, no zero point); valid: 'symmetric'`,
      );
    }
    if (qformulation === 'minval') {
      report(
        ctx,
        fields.get('qformulation')?.path ?? at(path, 'qformulation'),
        'SPEC_UNSUPPORTED_COMBINATION',
        `${at(path, 'qformulation')} 'minval' is not supported for the float dtype '${dtype.name}'; valid: 'zp'`,
      );
    }
  }
  if (
    dtype !== undefined &&
    dtype.kind === 'int' &&
    scaleDtype !== undefined &&
    !INT_SCALE_DTYPES.includes(scaleDtype)
  ) {
    report(
      ctx,
      scaleField?.path ?? at(path, 'scaleDtype'),
      'SPEC_UNSUPPORTED_COMBINATION',
      `${at(path, 'scaleDtype')} '${scaleDtype}' is not supported for the integer dtype '${dtype.name}' (as in coreai-opt, low-precision float scales are for float dtypes); valid: ${quoteList(INT_SCALE_DTYPES)}`,
    );
  }

  if (
    ctx.issues.length > before ||
    dtype === undefined ||
    qscheme === undefined ||
    qformulation === undefined ||
    granularity === undefined
  ) {
    return undefined;
  }
  const spec: {
    version: 1;
    dtype: string;
    qscheme: QScheme;
    qformulation: QFormulation;
    granularity: Granularity;
    scaleDtype?: ScaleDType;
    floatRange?: readonly [number | null, number | null];
  } = { version: 1, dtype: dtype.name, qscheme, qformulation, granularity };
  if (scaleDtype !== undefined) spec.scaleDtype = scaleDtype;
  if (floatRange !== undefined) spec.floatRange = floatRange;
  return spec;
}

/** Names of every registered dtype (for messages). */
export function allDTypeNames(ctx: ReadContext): string[] {
  return knownDTypeNames(ctx.registry);
}
