import { defineFloatDType } from '../define-float-dtype.js';

/** IEEE 754 binary16 (`float16`): bias 15, max 65504. */
export const float16 = /* @__PURE__ */ defineFloatDType({
  name: 'float16',
  exponentBits: 5,
  mantissaBits: 10,
  specials: 'ieee',
});

/** Brain float (`bfloat16`): the top 16 bits of float32, bias 127. */
export const bfloat16 = /* @__PURE__ */ defineFloatDType({
  name: 'bfloat16',
  exponentBits: 8,
  mantissaBits: 7,
  specials: 'ieee',
});

/** IEEE 754 binary32 (`float32`); encoding a float64 rounds it to float32 (ties to even). */
export const float32 = /* @__PURE__ */ defineFloatDType({
  name: 'float32',
  exponentBits: 8,
  mantissaBits: 23,
  specials: 'ieee',
});
