import { defineFloatDType } from '../define-float-dtype.js';

/** OCP MX FP4 E2M1 (`float4_e2m1fn`): bias 1, values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, no Inf, no NaN. */
export const float4E2M1FN = /* @__PURE__ */ defineFloatDType({
  name: 'float4_e2m1fn',
  exponentBits: 2,
  mantissaBits: 1,
  specials: 'none',
});
