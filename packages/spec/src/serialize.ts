import { setOwn } from './_internal/path.js';
import type { QuantizationConfig } from './quantization-config.js';
import type { Granularity, QuantizationSpec } from './quantization-spec.js';

function serializeGranularity(granularity: Granularity): Granularity {
  switch (granularity.type) {
    case 'per_tensor':
      return { type: 'per_tensor' };
    case 'per_channel':
      return granularity.axis === undefined ? { type: 'per_channel' } : { type: 'per_channel', axis: granularity.axis };
    case 'per_block': {
      const blockSize = Array.isArray(granularity.blockSize) ? granularity.blockSize.slice() : granularity.blockSize;
      return granularity.axis === undefined
        ? { type: 'per_block', blockSize }
        : { type: 'per_block', axis: granularity.axis, blockSize };
    }
  }
}

/**
 * A fresh canonical copy of a spec, fields in a fixed order, absent optional fields omitted, ready for
 * `JSON.stringify`. `parseSpec(serializeSpec(s))` gives back `s`.
 */
export function serializeSpec(spec: QuantizationSpec): QuantizationSpec {
  const out: {
    version: 1;
    dtype: string;
    qscheme: QuantizationSpec['qscheme'];
    qformulation: QuantizationSpec['qformulation'];
    granularity: Granularity;
    scaleDtype?: QuantizationSpec['scaleDtype'] & string;
    floatRange?: readonly [number | null, number | null];
  } = {
    version: 1,
    dtype: spec.dtype,
    qscheme: spec.qscheme,
    qformulation: spec.qformulation,
    granularity: serializeGranularity(spec.granularity),
  };
  if (spec.scaleDtype !== undefined) out.scaleDtype = spec.scaleDtype;
  if (spec.floatRange !== undefined) out.floatRange = [spec.floatRange[0], spec.floatRange[1]];
  return out;
}

function serializeTable(
  table: Readonly<Record<string, QuantizationSpec | null>>,
): Record<string, QuantizationSpec | null> {
  const out: Record<string, QuantizationSpec | null> = {};
  for (const key of Object.keys(table)) {
    const spec = table[key];
    setOwn(out, key, spec === null || spec === undefined ? null : serializeSpec(spec));
  }
  return out;
}

/**
 * A fresh canonical copy of a config (regex `re:` keys and key order preserved), ready for `JSON.stringify`.
 * `parseConfig(serializeConfig(c))` gives back `c`.
 */
export function serializeConfig(config: QuantizationConfig): QuantizationConfig {
  const out: {
    version: 1;
    global: QuantizationSpec | null;
    activation?: QuantizationSpec | null;
    byOpType?: Record<string, QuantizationSpec | null>;
    byOpName?: Record<string, QuantizationSpec | null>;
    minSize?: number;
  } = { version: 1, global: config.global === null ? null : serializeSpec(config.global) };
  if (config.activation !== undefined)
    out.activation = config.activation === null ? null : serializeSpec(config.activation);
  if (config.byOpType !== undefined) out.byOpType = serializeTable(config.byOpType);
  if (config.byOpName !== undefined) out.byOpName = serializeTable(config.byOpName);
  if (config.minSize !== undefined) out.minSize = config.minSize;
  return out;
}
