import type { DTypeRegistry } from '@lowbit/dtypes';
import { resolveBlockShape } from '@lowbit/spec';
import type { OpKind, QuantizationSpec } from '@lowbit/spec';
import { qparamsFromRange } from './qparams.js';
import type { QParams } from './qparams.js';
import { blockGeometry } from './_internal/block-geometry.js';
import { blockRange } from './reduce-range.js';
import type { NonFinitePolicy } from './reduce-range.js';
import { assertTensor } from './tensor.js';
import type { Tensor } from './tensor.js';

/** Options shared by the quantization entry points. */
export interface QuantizeOptions {
  /** Op kind of the tensor's consumer, which picks default axes (`linear`: channel 0, blocks along 1...). @defaultValue `'other'` */
  readonly opKind?: OpKind;
  /** Explicit block shape, overriding the one derived from the spec's granularity. */
  readonly blockShape?: readonly number[];
  /** Precomputed parameters (from an observer, say); skips the range pass. */
  readonly qparams?: QParams;
  /** NaN / Inf handling. @defaultValue `'error'` */
  readonly nonFinite?: NonFinitePolicy;
  /** Where the spec's dtype is looked up, for dtypes defined outside `@lowbit/dtypes`. @defaultValue the built-ins */
  readonly registry?: DTypeRegistry;
}

/** @internal Block shape for a tensor from options or the spec. */
export function blockShapeFor(tensor: Tensor, spec: QuantizationSpec, options: QuantizeOptions): readonly number[] {
  return options.qparams?.blockShape ?? options.blockShape ?? resolveBlockShape(spec, tensor.shape, options.opKind);
}

/**
 * Computes per-block quantization parameters of `tensor` for `spec`: one min/max pass, then
 * {@link qparamsFromRange}.
 *
 * @example
 * ```ts
 * const qp = chooseQParams({ data, shape: [64, 128] }, getPreset('w8').global!, { opKind: 'linear' });
 * qp.scales.length; // 64: one per output channel
 * ```
 * @throws QuantError `KERNELS_NON_FINITE_INPUT`, `KERNELS_SHAPE_MISMATCH`, `KERNELS_INVALID_ARGUMENT`
 */
export function chooseQParams(
  tensor: Tensor,
  spec: QuantizationSpec,
  options: Omit<QuantizeOptions, 'qparams'> = {},
): QParams {
  const where = 'chooseQParams';
  assertTensor(tensor, where);
  const blockShape = blockShapeFor(tensor, spec, options);
  const g = blockGeometry(tensor.shape, blockShape, where);
  const range = blockRange(tensor, g, options.nonFinite ?? 'error', where);
  return qparamsFromRange(range.min, range.max, spec, blockShape, options.registry);
}
