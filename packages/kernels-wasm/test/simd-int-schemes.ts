import type { QuantizationSpec } from '@lowbit/spec';

/** The integer dtype and scheme pairs the SIMD quantize kernels compute parameters for (shared by the tests). */
export const SIMD_INT_SCHEMES: ReadonlyArray<readonly [string, QuantizationSpec['qscheme']]> = [
  ['int8', 'symmetric'],
  ['int8', 'symmetric_with_clipping'],
  ['int8', 'asymmetric'],
  ['uint8', 'symmetric'],
  ['uint8', 'asymmetric'],
  ['int4', 'symmetric'],
  ['int4', 'asymmetric'],
  ['uint4', 'asymmetric'],
];
