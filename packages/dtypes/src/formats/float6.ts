/**
 * The OCP MX FP6 element formats, defined through the public extension path only: this file is the worked example
 * of docs/contributing-dtypes.md. Nothing here is special-cased anywhere else in the package.
 */
import { defineFloatDType } from '../define-float-dtype.js';

/** OCP MX FP6 E2M3 (`float6_e2m3fn`): bias 1, max 7.5, min normal 1, min subnormal 0.125, no Inf, no NaN. */
export const float6E2M3FN = /* @__PURE__ */ defineFloatDType({
  name: 'float6_e2m3fn',
  exponentBits: 2,
  mantissaBits: 3,
  exponentBias: 1,
  specials: 'none',
});

/** OCP MX FP6 E3M2 (`float6_e3m2fn`): bias 3, max 28, min normal 0.25, min subnormal 0.0625, no Inf, no NaN. */
export const float6E3M2FN = /* @__PURE__ */ defineFloatDType({
  name: 'float6_e3m2fn',
  exponentBits: 3,
  mantissaBits: 2,
  exponentBias: 3,
  specials: 'none',
});
