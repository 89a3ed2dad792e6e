import { QuantError } from '@lowbit/dtypes';

/**
 * The families of ops whose weight layout lowbit knows. Any other op type maps to `'other'` (see
 * {@link opKindOf}); functions that take an op kind also accept any op type string.
 */
export type OpKind = 'linear' | 'matmul' | 'conv' | 'conv_transpose' | 'embedding' | 'gather' | 'other';

/** The axes a granularity without an explicit `axis` uses. Both are non-negative. */
export interface DefaultAxes {
  /** Axis that keeps one set of parameters per index in `per_channel` (the output-channel axis). */
  readonly channelAxis: number;
  /** Axis a numeric `per_block` block size splits (the input / reduction axis). */
  readonly blockAxis: number;
}

const KIND_BY_NAME: ReadonlyMap<string, OpKind> = new Map<string, OpKind>([
  ['linear', 'linear'],
  ['gemm', 'linear'],
  ['dense', 'linear'],
  ['fullyconnected', 'linear'],
  ['innerproduct', 'linear'],
  ['matmul', 'matmul'],
  ['mm', 'matmul'],
  ['bmm', 'matmul'],
  ['batchmatmul', 'matmul'],
  ['conv', 'conv'],
  ['convolution', 'conv'],
  ['convtranspose', 'conv_transpose'],
  ['deconv', 'conv_transpose'],
  ['deconvolution', 'conv_transpose'],
  ['embedding', 'embedding'],
  ['embeddingbag', 'embedding'],
  ['gather', 'gather'],
  ['gatheralongaxis', 'gather'],
  ['gathernd', 'gather'],
]);

/**
 * Maps an op type as torch, ONNX or Core ML MIL spell it to its {@link OpKind}; anything unknown is `'other'`.
 * Case, underscores, a dotted module path and a `1d`/`2d`/`3d` suffix are ignored:
 * `'torch.nn.modules.conv.Conv2d'`, `'Conv'` and `'conv'` are all `'conv'`; `'Gemm'` is `'linear'`;
 * `'ConvTranspose'` and `'conv_transpose'` are `'conv_transpose'`.
 */
export function opKindOf(opType: string): OpKind {
  if (typeof opType !== 'string') return 'other';
  const lastDot = opType.lastIndexOf('.');
  const base = (lastDot >= 0 ? opType.slice(lastDot + 1) : opType).toLowerCase().replace(/[_\-\s]/g, '');
  return KIND_BY_NAME.get(base) ?? KIND_BY_NAME.get(base.replace(/[123]d$/, '')) ?? 'other';
}

/** Minimum rank for which an op kind has default axes. */
function minRank(kind: OpKind): number {
  return kind === 'other' ? 1 : 2;
}

/** Default axes, or null when the rank is too small for the op kind. Internal helper shared with block shapes. */
export function defaultAxesOrNull(kind: OpKind, rank: number): DefaultAxes | null {
  if (!Number.isInteger(rank) || rank < minRank(kind)) return null;
  switch (kind) {
    case 'conv_transpose':
      return { channelAxis: 1, blockAxis: 0 };
    case 'other':
      return { channelAxis: 0, blockAxis: rank - 1 };
    default:
      return { channelAxis: 0, blockAxis: 1 };
  }
}

/**
 * The default per-channel and per-block axes of a weight, by op kind (the coreai-opt / coremltools defaults):
 *
 * | op kind | weight layout | channelAxis | blockAxis |
 * |---|---|---|---|
 * | `linear` | `[out, in]` | 0 | 1 |
 * | `matmul` | treated as `[out, in]`, like `linear` | 0 | 1 |
 * | `conv` | `[out, in, k...]` | 0 | 1 |
 * | `conv_transpose` | `[in, out, k...]` | 1 | 0 |
 * | `embedding`, `gather` | `[vocab, dim]` | 0 | 1 |
 * | `other` (any other op type) | any rank >= 1 | 0 | rank - 1 |
 *
 * `matmul` is treated like `linear` (Core ML and coremltools store the constant operand output-major); for a
 * `[in, out]` matmul operand pass explicit axes in the granularity.
 *
 * @param opKind an {@link OpKind} or any op type string (mapped by {@link opKindOf}).
 * @throws QuantError `SPEC_AXIS_OUT_OF_RANGE` when the rank is too small for the op kind (rank < 2 for every
 * kind except `other`, which needs rank >= 1).
 */
export function defaultAxes(opKind: OpKind | (string & {}), rank: number): DefaultAxes {
  const kind = opKindOf(opKind);
  const axes = defaultAxesOrNull(kind, rank);
  if (axes === null) {
    throw new QuantError(
      'SPEC_AXIS_OUT_OF_RANGE',
      `defaultAxes: op kind '${kind}' needs a weight of rank >= ${minRank(kind)}, got rank ${String(rank)}; ` +
        `give the granularity an explicit axis or use per_tensor`,
      { details: { opKind: kind, rank } },
    );
  }
  return axes;
}
