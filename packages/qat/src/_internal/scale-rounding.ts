import { getDType } from '@lowbit/dtypes';
import type { ScaleDType } from '@lowbit/spec';

/** Smallest scale a learned scale is clamped to (the smallest normal float32, as in the kernels). */
export const MIN_LEARNED_SCALE = 2 ** -126;

/**
 * Rounds a learned (continuous) scale to the spec's scale storage format, to nearest, keeping it finite and
 * positive. The gradient passes straight through this rounding.
 */
export function roundLearnedScale(scale: number, scaleDtype: ScaleDType): number {
  const s = Math.max(scale, MIN_LEARNED_SCALE);
  switch (scaleDtype) {
    case 'float32':
      return Math.max(Math.fround(s), MIN_LEARNED_SCALE);
    case 'float8_e8m0fnu':
      return 2 ** Math.min(127, Math.max(-127, Math.round(Math.log2(s))));
    default: {
      const dtype = getDType(scaleDtype);
      const r = dtype.decode(dtype.encode(s));
      return r > 0 && r < Infinity ? r : dtype.decode(1);
    }
  }
}
