import { defineIntDType } from '../define-int-dtype.js';

/** `int2`: signed two's-complement 2-bit integer, [-2, 1]. */
export const int2 = /* @__PURE__ */ defineIntDType({ name: 'int2', bits: 2, signed: true });
/** `uint2`: unsigned 2-bit integer, [0, 3]. */
export const uint2 = /* @__PURE__ */ defineIntDType({ name: 'uint2', bits: 2, signed: false });
/** `int4`: signed two's-complement 4-bit integer, [-8, 7]. */
export const int4 = /* @__PURE__ */ defineIntDType({ name: 'int4', bits: 4, signed: true });
/** `uint4`: unsigned 4-bit integer, [0, 15]. */
export const uint4 = /* @__PURE__ */ defineIntDType({ name: 'uint4', bits: 4, signed: false });
/** `int8`: signed two's-complement 8-bit integer, [-128, 127]. */
export const int8 = /* @__PURE__ */ defineIntDType({ name: 'int8', bits: 8, signed: true });
/** `uint8`: unsigned 8-bit integer, [0, 255]. */
export const uint8 = /* @__PURE__ */ defineIntDType({ name: 'uint8', bits: 8, signed: false });
