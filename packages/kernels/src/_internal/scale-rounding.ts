import { getDType } from '@lowbit/dtypes';
import type { ScaleDType } from '@lowbit/spec';

/** Scales never go below the smallest normal float32, so `x / scale` can never overflow to Inf. */
export const MIN_SCALE = 2 ** -126;

/** floor(log2(x)) for finite x > 0, exact (Math.log2 can be off by one ulp near powers of two). */
export function floorLog2(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e -= 1;
  else if (2 ** (e + 1) <= x) e += 1;
  return e;
}

/**
 * Rounds a positive scale to the storage format `scaleDtype`, keeping it finite and positive.
 * `amax` and `elementMaxFinite` drive the OCP MX rule for `float8_e8m0fnu` with float elements:
 * `2^(floor(log2(amax)) - floor(log2(maxFinite)))`; for integer elements the power of two at or above the scale
 * is used, so nothing is clipped.
 */
export function roundScale(
  scale: number,
  scaleDtype: ScaleDType,
  amax: number,
  elementMaxFinite: number,
  floatElements: boolean,
): number {
  switch (scaleDtype) {
    case 'float32': {
      const s = Math.fround(Math.max(scale, MIN_SCALE));
      return s;
    }
    case 'float16': {
      const f16 = getDType('float16');
      const s = f16.decode(f16.encode(scale));
      return s > 0 ? s : 2 ** -24;
    }
    case 'float8_e4m3fn': {
      const e4m3 = getDType('float8_e4m3fn');
      const s = e4m3.decode(e4m3.encode(scale));
      return s > 0 ? s : 2 ** -9;
    }
    case 'float8_e8m0fnu': {
      let e: number;
      if (floatElements) {
        e = amax > 0 ? floorLog2(amax) - floorLog2(elementMaxFinite) : -127;
      } else {
        e = scale > 0 ? Math.ceil(Math.log2(scale)) : -127;
        if (2 ** e < scale) e += 1;
      }
      e = Math.min(127, Math.max(-127, e));
      return 2 ** e;
    }
  }
}
