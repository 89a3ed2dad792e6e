import { opKindOf } from '../op-kind.js';
import { REGEX_KEY_PREFIX } from '../quantization-config.js';
import type { QuantizationConfig } from '../quantization-config.js';
import type { QuantizationSpec } from '../quantization-spec.js';
import { isPlainRecord, joinPath, own, setOwn } from './path.js';
import { quoteList, show } from './show.js';
import { readSpec, report, warn } from './spec-reader.js';
import type { ReadContext } from './spec-reader.js';

const CONFIG_FIELDS = ['version', 'global', 'activation', 'byOpType', 'byOpName', 'minSize'];
/** coreai-opt / coremltools spellings. */
const CONFIG_ALIASES: ReadonlyMap<string, string> = new Map([
  ['global_config', 'global'],
  ['activation_spec', 'activation'],
  ['op_type_configs', 'byOpType'],
  ['module_type_configs', 'byOpType'],
  ['by_op_type', 'byOpType'],
  ['op_name_configs', 'byOpName'],
  ['module_name_configs', 'byOpName'],
  ['by_op_name', 'byOpName'],
  ['min_size', 'minSize'],
  ['weight_threshold', 'minSize'],
  ['weight_num_threshold', 'minSize'],
]);
const PYTHON_REGEX_CHARS = /[*+?[\](){}|^$\\]/;
const MODULE_CONFIG_KEYS = [
  'op_state_spec',
  'op_input_spec',
  'op_output_spec',
  'module_state_spec',
  'module_input_spec',
  'module_output_spec',
  'op_type_config',
  'op_name_config',
  'qat_schedule',
];

/** Compiles a `re:` key into a whole-name matcher; null when the pattern is not valid JavaScript. */
export function compileRegexKey(key: string): RegExp | null {
  try {
    return new RegExp(`^(?:${key.slice(REGEX_KEY_PREFIX.length)})$`, 'u');
  } catch {
    return null;
  }
}

function looksLikeModuleConfig(value: Record<string, unknown>): boolean {
  return Object.keys(value).some((key) => MODULE_CONFIG_KEYS.includes(key));
}

/** A spec-dict entry of a coreai-opt ModuleQuantizerConfig: `{"weight": spec}` or `{"*": spec}`. */
function pickFromSpecDict(
  dict: unknown,
  path: string,
  wanted: readonly string[],
  ctx: ReadContext,
): { found: boolean; value: unknown; path: string } {
  if (dict === null) return { found: true, value: null, path };
  if (!isPlainRecord(dict)) {
    report(
      ctx,
      path,
      'CONFIG_INVALID',
      `${path} must be a dict of tensor name to spec (such as {"weight": {...}}), given ${show(dict)}`,
    );
    return { found: false, value: undefined, path };
  }
  for (const key of wanted) {
    if (Object.hasOwn(dict, key)) return { found: true, value: own(dict, key), path: joinPath(path, key) };
  }
  return { found: false, value: undefined, path };
}

interface EntryResult {
  readonly ok: boolean;
  readonly weight: QuantizationSpec | null | undefined;
  readonly activation?: { readonly value: QuantizationSpec | null | undefined; readonly ok: boolean };
}

/** Reads one config entry: `null`, a spec, or (lenient) a coreai-opt ModuleQuantizerConfig dict. */
function readEntry(value: unknown, path: string, ctx: ReadContext, isGlobal: boolean): EntryResult {
  if (value === null) return { ok: true, weight: null };
  if (ctx.lenient && isPlainRecord(value) && looksLikeModuleConfig(value)) {
    const before = ctx.issues.length;
    let weight: QuantizationSpec | null | undefined;
    let activation: EntryResult['activation'];
    for (const key of Object.keys(value)) {
      const keyPath = joinPath(path, key);
      const inner = own(value, key);
      if (key === 'op_state_spec' || key === 'module_state_spec') {
        const picked = pickFromSpecDict(inner, keyPath, ['weight', '*'], ctx);
        if (picked.found) weight = picked.value === null ? null : readSpec(picked.value, picked.path, ctx);
        else if (isPlainRecord(inner))
          report(
            ctx,
            keyPath,
            'CONFIG_INVALID',
            `${keyPath} has no "weight" (or "*") entry; lowbit quantizes weights through it`,
          );
      } else if ((key === 'op_input_spec' || key === 'module_input_spec') && isGlobal) {
        const picked = pickFromSpecDict(inner, keyPath, ['*', '0'], ctx);
        if (picked.found) {
          const before2 = ctx.issues.length;
          const spec = picked.value === null ? null : readSpec(picked.value, picked.path, ctx);
          activation = { value: spec, ok: ctx.issues.length === before2 };
        }
      } else if (MODULE_CONFIG_KEYS.includes(key)) {
        warn(
          ctx,
          keyPath,
          `${keyPath} ignored: lowbit configs have one weight spec per op and one activation spec for the whole model`,
        );
      } else {
        report(
          ctx,
          keyPath,
          'CONFIG_INVALID',
          `${keyPath} is not a field of a coreai-opt module config; valid: ${quoteList(MODULE_CONFIG_KEYS)}`,
        );
      }
    }
    if (
      weight === undefined &&
      ctx.issues.length === before &&
      !Object.keys(value).some((k) => k === 'op_state_spec' || k === 'module_state_spec')
    ) {
      report(
        ctx,
        path,
        'CONFIG_INVALID',
        `${path} has no op_state_spec; give {"op_state_spec": {"weight": <spec>}} or a spec`,
      );
    }
    const result: EntryResult = { ok: ctx.issues.length === before, weight };
    return activation === undefined ? result : { ...result, activation };
  }
  const before = ctx.issues.length;
  const spec = readSpec(value, path, ctx);
  return { ok: ctx.issues.length === before && spec !== undefined, weight: spec };
}

function readTable(
  value: unknown,
  path: string,
  ctx: ReadContext,
  table: 'byOpType' | 'byOpName',
  pythonSpelling: boolean,
): Record<string, QuantizationSpec | null> | undefined {
  if (ctx.lenient && value === null) return {};
  if (!isPlainRecord(value)) {
    report(
      ctx,
      path,
      'CONFIG_INVALID',
      `${path} must be an object mapping ${table === 'byOpType' ? 'op types' : 'op names'} to a spec or null, given ${show(value)}`,
    );
    return undefined;
  }
  const before = ctx.issues.length;
  const out: Record<string, QuantizationSpec | null> = {};
  const origin = new Map<string, string>();
  for (const rawKey of Object.keys(value)) {
    const keyPath = joinPath(path, rawKey);
    let key = rawKey;
    if (pythonSpelling && table === 'byOpName' && PYTHON_REGEX_CHARS.test(rawKey)) key = REGEX_KEY_PREFIX + rawKey;
    if (pythonSpelling && table === 'byOpType') {
      const kind = opKindOf(rawKey);
      if (kind !== 'other') key = kind;
    }
    if (table === 'byOpName' && key.startsWith(REGEX_KEY_PREFIX) && compileRegexKey(key) === null) {
      report(
        ctx,
        keyPath,
        'CONFIG_INVALID',
        `${keyPath}: ${show(key.slice(REGEX_KEY_PREFIX.length))} is not a valid JavaScript regular expression; fix the pattern, or drop the '${REGEX_KEY_PREFIX}' prefix for an exact name`,
      );
      continue;
    }
    const entry = readEntry(own(value, rawKey), keyPath, ctx, false);
    const previous = origin.get(key);
    if (previous !== undefined) {
      report(
        ctx,
        keyPath,
        'CONFIG_INVALID',
        `${keyPath} maps to the same ${table === 'byOpType' ? "op kind '" + key + "'" : "key '" + key + "'"} as ${previous}; keep one`,
      );
      continue;
    }
    origin.set(key, keyPath);
    if (entry.ok && entry.weight !== undefined) setOwn(out, key, entry.weight);
  }
  return ctx.issues.length > before ? undefined : out;
}

/** Reads and checks a config; undefined after recording every problem found. */
export function readConfig(input: unknown, ctx: ReadContext): QuantizationConfig | undefined {
  let root = input;
  let path = '';
  if (
    ctx.lenient &&
    isPlainRecord(input) &&
    Object.keys(input).length === 1 &&
    Object.hasOwn(input, 'quantization_config')
  ) {
    root = own(input, 'quantization_config');
    path = 'quantization_config';
  }
  if (!isPlainRecord(root)) {
    report(
      ctx,
      path,
      'CONFIG_INVALID',
      `${path === '' ? 'the config' : path} must be an object { version: 1, global, byOpType?, byOpName?, minSize?, activation? }, given ${show(root)}`,
    );
    return undefined;
  }
  const before = ctx.issues.length;
  const fields = new Map<string, { path: string; value: unknown; key: string }>();
  for (const key of Object.keys(root)) {
    const keyPath = joinPath(path, key);
    const canonical = ctx.lenient ? (CONFIG_ALIASES.get(key) ?? key) : key;
    if (!CONFIG_FIELDS.includes(canonical)) {
      if (ctx.lenient && (key === 'preserved_attributes' || key === 'execution_mode')) {
        warn(ctx, keyPath, `${keyPath} ignored: it has no meaning outside PyTorch`);
        continue;
      }
      const hint =
        !ctx.lenient && CONFIG_ALIASES.has(key)
          ? ` (write '${CONFIG_ALIASES.get(key) ?? ''}'; parseConfig accepts '${key}')`
          : '';
      report(
        ctx,
        keyPath,
        'CONFIG_INVALID',
        `${keyPath} is not a field of a QuantizationConfig${hint}; valid fields: ${quoteList(CONFIG_FIELDS)}`,
      );
      continue;
    }
    const previous = fields.get(canonical);
    if (previous !== undefined) {
      report(ctx, keyPath, 'CONFIG_INVALID', `${keyPath} repeats ${previous.path}; give '${canonical}' once`);
      continue;
    }
    fields.set(canonical, { path: keyPath, value: own(root, key), key });
  }

  const version = fields.get('version');
  if (version === undefined ? !ctx.lenient : version.value !== 1) {
    const where = version?.path ?? joinPath(path, 'version');
    report(
      ctx,
      where,
      'CONFIG_INVALID',
      `${where} is ${version === undefined ? 'missing' : show(version.value)}; the only valid version is 1`,
    );
  }

  let global: QuantizationSpec | null | undefined = null;
  let activationFromGlobal: EntryResult['activation'];
  const globalField = fields.get('global');
  if (globalField === undefined) {
    if (!ctx.lenient)
      report(
        ctx,
        joinPath(path, 'global'),
        'CONFIG_INVALID',
        `${joinPath(path, 'global')} is missing; give a spec, or null to quantize nothing by default`,
      );
  } else {
    const entry = readEntry(globalField.value, globalField.path, ctx, true);
    global = entry.weight;
    activationFromGlobal = entry.activation;
  }

  let activation: QuantizationSpec | null | undefined;
  let hasActivation = false;
  const activationField = fields.get('activation');
  if (activationField !== undefined) {
    hasActivation = true;
    activation = activationField.value === null ? null : readSpec(activationField.value, activationField.path, ctx);
    if (activationFromGlobal !== undefined) {
      report(
        ctx,
        activationField.path,
        'CONFIG_INVALID',
        `${activationField.path} is given twice: here and as op_input_spec of ${globalField?.path ?? 'global'}; keep one`,
      );
    }
  } else if (activationFromGlobal !== undefined) {
    hasActivation = true;
    activation = activationFromGlobal.value;
  }

  const tables: Partial<Record<'byOpType' | 'byOpName', Record<string, QuantizationSpec | null> | undefined>> = {};
  for (const table of ['byOpType', 'byOpName'] as const) {
    const field = fields.get(table);
    if (field === undefined) continue;
    tables[table] = readTable(field.value, field.path, ctx, table, field.key !== table && !field.key.startsWith('by_'));
  }

  let minSize: number | undefined;
  const minField = fields.get('minSize');
  if (minField !== undefined && !(ctx.lenient && minField.value === null)) {
    const value = minField.value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) minSize = value;
    else
      report(
        ctx,
        minField.path,
        'CONFIG_INVALID',
        `${minField.path} is ${show(value)}; it must be a non-negative integer element count (default 2048)`,
      );
  }

  if (ctx.issues.length > before || global === undefined || (hasActivation && activation === undefined))
    return undefined;
  const config: {
    version: 1;
    global: QuantizationSpec | null;
    activation?: QuantizationSpec | null;
    byOpType?: Record<string, QuantizationSpec | null>;
    byOpName?: Record<string, QuantizationSpec | null>;
    minSize?: number;
  } = { version: 1, global };
  if (hasActivation && activation !== undefined) config.activation = activation;
  if (tables.byOpType !== undefined) config.byOpType = tables.byOpType;
  if (tables.byOpName !== undefined) config.byOpName = tables.byOpName;
  if (minSize !== undefined) config.minSize = minSize;
  return config;
}
