import { QuantError } from '@lowbit/dtypes';
import type { QuantizedTensor } from '@lowbit/spec';
import type { QuantizeTarget } from '../kernel-backend.js';

function mismatch(what: string, expected: string, got: unknown): never {
  throw new QuantError('KERNELS_SHAPE_MISMATCH', `quantizeInto: ${what} must be ${expected}, got ${describe(got)}`);
}

function describe(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Uint8Array).length})`;
  return v === undefined ? 'nothing' : typeof v;
}

/**
 * `q` with its codes, scales (and zero points, when `q` has them and the target gives a buffer) copied into the
 * caller's buffers.
 * @throws QuantError `KERNELS_SHAPE_MISMATCH` when a buffer has the wrong type or length.
 */
export function copyIntoTarget(q: QuantizedTensor, target: QuantizeTarget): QuantizedTensor {
  if (typeof target !== 'object' || target === null) mismatch('out', 'an object { data, scales, zeroPoints? }', target);
  const blocks = q.scales.length;
  if (target.data?.constructor !== q.data.constructor || target.data.length !== q.data.length) {
    mismatch('out.data', `a ${q.data.constructor.name} of ${q.data.length} bytes (${q.dtype} codes)`, target.data);
  }
  if (!(target.scales instanceof Float32Array) || target.scales.length !== blocks) {
    mismatch('out.scales', `a Float32Array of ${blocks} entries (one per block)`, target.scales);
  }
  const zp = target.zeroPoints;
  if (zp !== undefined && (!(zp instanceof Int32Array) || zp.length !== blocks)) {
    mismatch('out.zeroPoints', `an Int32Array of ${blocks} entries (one per block)`, zp);
  }
  target.data.set(q.data as Uint8Array);
  target.scales.set(q.scales);
  const result: { -readonly [K in keyof QuantizedTensor]: QuantizedTensor[K] } = {
    ...q,
    data: target.data,
    scales: target.scales,
  };
  if (q.zeroPoints && zp) {
    zp.set(q.zeroPoints);
    result.zeroPoints = zp;
  }
  return result;
}

/** True when `target` is an object with typed-array buffers (lengths are checked later). */
export function validTarget(target: QuantizeTarget): boolean {
  return (
    typeof target === 'object' &&
    target !== null &&
    (target.data instanceof Int8Array || target.data instanceof Uint8Array) &&
    target.scales instanceof Float32Array &&
    (target.zeroPoints === undefined || target.zeroPoints instanceof Int32Array)
  );
}
