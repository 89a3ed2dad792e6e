import { defineFloatDType } from '../define-float-dtype.js';

/** OCP FP8 E4M3 (`float8_e4m3fn`): bias 7, max 448, no Inf, NaN only at S.1111.111. */
export const float8E4M3FN = /* @__PURE__ */ defineFloatDType({
  name: 'float8_e4m3fn',
  exponentBits: 4,
  mantissaBits: 3,
  specials: 'fn',
});

/** OCP FP8 E5M2 (`float8_e5m2`): bias 15, max 57344, IEEE-style Inf and NaN (the top byte of float16). */
export const float8E5M2 = /* @__PURE__ */ defineFloatDType({
  name: 'float8_e5m2',
  exponentBits: 5,
  mantissaBits: 2,
  specials: 'ieee',
});

/** OCP MX scale E8M0 (`float8_e8m0fnu`): unsigned powers of two 2^-127 .. 2^127, 0xFF is NaN, no zero. */
export const float8E8M0FNU = /* @__PURE__ */ defineFloatDType({
  name: 'float8_e8m0fnu',
  exponentBits: 8,
  mantissaBits: 0,
  exponentBias: 127,
  signed: false,
  specials: 'e8m0',
});
