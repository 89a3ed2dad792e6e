/**
 * Op types whose MIL definition changes at each opset, derived from coremltools' per-opset op definitions
 * (`coremltools/converters/mil/mil/ops/defs/iOS16|iOS17|iOS18/__init__.py`, apple/coremltools at
 * 870213ba / 57654958 / 85b7305c): every op registered again at a newer `opset_version` counts as changed, even
 * when the change only widens type domains. Ops new in that opset are listed too (they cannot appear in an older
 * program, so listing them is harmless). Conservative on purpose: an op listed here blocks an opset upgrade.
 */
import type { OpsetTarget } from '../ml-package.js';

const IOS16: readonly string[] = [
  'constexpr_affine_dequantize',
  'constexpr_cast',
  'constexpr_lut_to_dense',
  'constexpr_sparse_to_dense',
  'crop_resize',
  'resample',
  'upsample_bilinear',
  'gather',
  'gather_nd',
  'fill_like',
  'topk',
  'pixel_unshuffle',
  'reshape_like',
];

const IOS17: readonly string[] = [
  'clamped_relu',
  'elu',
  'leaky_relu',
  'linear_activation',
  'prelu',
  'scaled_tanh',
  'sigmoid_hard',
  'softplus_parametric',
  'thresholded_relu',
  'conv',
  'conv_transpose',
  'cast',
  'clip',
  'inverse',
  'log',
  'rsqrt',
  'crop_resize',
  'resample',
  'resize',
  'linear',
  'matmul',
  'batch_norm',
  'instance_norm',
  'l2_norm',
  'layer_norm',
  'local_response_norm',
  'dequantize',
  'quantize',
  'gru',
  'lstm',
  'rnn',
  'reduce_argmax',
  'reduce_argmin',
  'gather',
  'gather_along_axis',
  'gather_nd',
  'scatter',
  'scatter_along_axis',
  'scatter_nd',
  'non_maximum_suppression',
  'topk',
  'expand_dims',
  'reshape',
  'reshape_like',
  'reverse',
  'reverse_sequence',
  'sliding_windows',
  'squeeze',
  'transpose',
];

const IOS18: readonly string[] = [
  'constexpr_blockwise_shift_scale',
  'constexpr_lut_to_dense',
  'constexpr_lut_to_sparse',
  'constexpr_sparse_blockwise_shift_scale',
  'constexpr_sparse_to_dense',
  'constexpr_cast',
  'gru',
  'read_state',
  'slice_update',
  'scaled_dot_product_attention',
];

/** The op types (re)defined when moving up to `target`, by target. */
export const OPSET_CHANGES: Readonly<Partial<Record<OpsetTarget, readonly string[]>>> = {
  iOS16: IOS16,
  iOS17: IOS17,
  iOS18: IOS18,
};

/** Op types redefined by any opset after `from` up to and including `to`, with the first target that changes each. */
export function changedBetween(fromOrder: number, toOrder: number): Map<string, OpsetTarget> {
  const out = new Map<string, OpsetTarget>();
  const steps: Array<[number, OpsetTarget]> = [
    [16, 'iOS16'],
    [17, 'iOS17'],
    [18, 'iOS18'],
  ];
  for (const [order, target] of steps) {
    if (order <= fromOrder || order > toOrder) continue;
    for (const op of OPSET_CHANGES[target] ?? []) if (!out.has(op)) out.set(op, target);
  }
  return out;
}
