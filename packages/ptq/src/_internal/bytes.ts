import { getDType } from '@lowbit/dtypes';
import type { QuantizedTensor, ScaleDType } from '@lowbit/spec';

const SCALE_BYTES: Record<ScaleDType, number> = {
  float32: 4,
  float16: 2,
  float8_e8m0fnu: 1,
  float8_e4m3fn: 1,
};

/** Bytes of `elements` values stored in `dtype` (float32, float16, bfloat16 or any registered dtype). */
export function floatBytes(elements: number, dtype: string): number {
  const bits = dtype === 'float32' ? 32 : dtype === 'float16' || dtype === 'bfloat16' ? 16 : getDType(dtype).bits;
  return Math.ceil((elements * bits) / 8);
}

/** Bytes of a quantized tensor: packed codes, scales in the scale dtype, zero points in the element dtype, minvals in the scale dtype. */
export function quantizedBytes(q: QuantizedTensor): number {
  const scaleBytes = SCALE_BYTES[q.spec.scaleDtype ?? 'float32'];
  let bytes = q.data.byteLength + q.scales.length * scaleBytes;
  if (q.zeroPoints) bytes += Math.ceil((q.zeroPoints.length * getDType(q.dtype).bits) / 8);
  if (q.minvals) bytes += q.minvals.length * scaleBytes;
  return bytes;
}
