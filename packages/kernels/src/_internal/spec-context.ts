import { getDType, QuantError } from '@lowbit/dtypes';
import type { DType, DTypeRegistry, FloatDType } from '@lowbit/dtypes';
import { quantRange, validateSpec } from '@lowbit/spec';
import type { QuantizationSpec, ScaleDType } from '@lowbit/spec';

/** Everything the loops need to know about a spec, resolved once per call. */
export interface SpecContext {
  readonly spec: QuantizationSpec;
  readonly dtype: DType;
  readonly isFloat: boolean;
  readonly qmin: number;
  readonly qmax: number;
  readonly minval: boolean;
  readonly asymmetric: boolean;
  /** Zero point of symmetric zp quantization (0 for signed, mid-range for unsigned). */
  readonly symmetricZeroPoint: number;
  /** Zero point assumed when parameters carry none: the symmetric one, or 0 for asymmetric specs. */
  readonly implicitZeroPoint: number;
  readonly scaleDtype: ScaleDType;
  /** Largest finite value of a float element dtype (unused for ints). */
  readonly maxFinite: number;
}

/** Validates `spec` and resolves the facts the kernels need (dtypes from `registry`, the built-ins by default). */
export function specContext(spec: QuantizationSpec, where: string, registry?: DTypeRegistry): SpecContext {
  try {
    validateSpec(spec, registry);
  } catch (error) {
    throw new QuantError('KERNELS_INVALID_ARGUMENT', `${where}: ${(error as Error).message}`, { cause: error });
  }
  const dtype = getDType(spec.dtype, registry);
  const { qmin, qmax } = quantRange(spec, registry);
  const isFloat = dtype.kind === 'float';
  const symmetricZeroPoint = isFloat ? 0 : Math.floor((qmax + qmin + 1) / 2);
  return {
    spec,
    dtype,
    isFloat,
    qmin,
    qmax,
    minval: spec.qformulation === 'minval',
    asymmetric: spec.qscheme === 'asymmetric',
    symmetricZeroPoint,
    implicitZeroPoint: spec.qscheme === 'asymmetric' ? 0 : symmetricZeroPoint,
    scaleDtype: spec.scaleDtype ?? 'float32',
    maxFinite: isFloat ? (dtype as FloatDType).maxFinite : qmax,
  };
}
