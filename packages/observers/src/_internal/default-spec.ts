import { QuantError } from '@lowbit/dtypes';
import { createElementQuantizer } from '@lowbit/kernels';
import type { QuantizationSpec } from '@lowbit/spec';

/** int8, symmetric, per-tensor: the activation spec histogram observers assume when given none. */
export const DEFAULT_ACTIVATION_SPEC: QuantizationSpec = Object.freeze({
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: Object.freeze({ type: 'per_tensor' }),
}) as QuantizationSpec;

/** Checks a `spec` option by building its element quantizer; returns a plain copy. */
export function specOption(spec: QuantizationSpec | undefined, where: string): QuantizationSpec {
  if (spec === undefined) return DEFAULT_ACTIVATION_SPEC;
  try {
    createElementQuantizer(spec);
  } catch (e) {
    throw new QuantError('OBSERVER_INVALID_ARGUMENT', `${where}: spec is not usable: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return JSON.parse(JSON.stringify(spec)) as QuantizationSpec;
}
