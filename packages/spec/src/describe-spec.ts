import type { Granularity, QuantizationSpec } from './quantization-spec.js';

function granularityLabel(granularity: Granularity): string {
  switch (granularity.type) {
    case 'per_tensor':
      return 'per_tensor';
    case 'per_channel':
      return granularity.axis === undefined ? 'per_channel' : `per_channel(axis=${granularity.axis})`;
    case 'per_block': {
      const size = Array.isArray(granularity.blockSize)
        ? `[${granularity.blockSize.join(', ')}]`
        : String(granularity.blockSize);
      return granularity.axis === undefined ? `per_block(${size})` : `per_block(${size}, axis=${granularity.axis})`;
    }
  }
}

function rangeLabel(range: readonly [number | null, number | null]): string {
  return `[${range.map((end) => (end === null ? 'auto' : String(end))).join(', ')}]`;
}

/**
 * A short human label for a spec: `'int4 symmetric per_block(32)'`,
 * `'float4_e2m1fn symmetric per_block(32) float8_e8m0fnu scales'`, `'uint8 asymmetric minval per_channel(axis=0)'`.
 * The `zp` formulation and float32 scales are the defaults and are not mentioned.
 */
export function describeSpec(spec: QuantizationSpec): string {
  const parts = [spec.dtype, spec.qscheme];
  if (spec.qformulation === 'minval') parts.push('minval');
  parts.push(granularityLabel(spec.granularity));
  if (spec.scaleDtype !== undefined && spec.scaleDtype !== 'float32') parts.push(`${spec.scaleDtype} scales`);
  if (spec.floatRange !== undefined) parts.push(`range ${rangeLabel(spec.floatRange)}`);
  return parts.join(' ');
}

/**
 * A stable string identifying a spec, equal for specs that quantize identically (an explicit `scaleDtype:
 * 'float32'` equals none, `floatRange: [null, null]` equals none). Useful as a grouping key in reports.
 */
export function specKey(spec: QuantizationSpec): string {
  const g = spec.granularity;
  let granularity: string = g.type;
  if (g.type === 'per_channel' && g.axis !== undefined) granularity += `@${g.axis}`;
  if (g.type === 'per_block') {
    granularity += `:${Array.isArray(g.blockSize) ? g.blockSize.join('x') : String(g.blockSize)}`;
    if (g.axis !== undefined) granularity += `@${g.axis}`;
  }
  const range = spec.floatRange;
  const rangeText =
    range === undefined || (range[0] === null && range[1] === null)
      ? '-'
      : range.map((e) => (e === null ? '*' : String(e))).join(',');
  return [spec.dtype, spec.qscheme, spec.qformulation, granularity, spec.scaleDtype ?? 'float32', rangeText].join('/');
}
