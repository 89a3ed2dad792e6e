/**
 * @lowbit/dtypes: exact codecs, bit packing and the dtype registry for low-bit number formats, plus the toolkit's
 * error class. No runtime dependencies; nothing is registered or mutated at import time.
 */
import type {
  CodeArray,
  CodeArrayName,
  DType,
  DTypeCodec,
  DTypeKind,
  EncodeArrayOptions,
  EncodeOptions,
  FloatDType,
  FloatDTypeInfo,
  FloatSpecials,
  IntDType,
  IntDTypeInfo,
} from './dtype.js';
import type { FloatDTypeDefinition } from './define-float-dtype.js';
import type { IntDTypeDefinition } from './define-int-dtype.js';
import type { DTypeRegistry } from './dtype-registry.js';
import type { PackOptions, UnpackOptions } from './pack-bits.js';
import type { QuantErrorCode, QuantErrorOptions } from './quant-error.js';
import { BUILTIN_DTYPES, defaultDTypeRegistry } from './builtin-dtypes.js';
import { defineFloatDType } from './define-float-dtype.js';
import { defineIntDType } from './define-int-dtype.js';
import { createDTypeRegistry } from './dtype-registry.js';
import { getDType, hasDType, listDTypes } from './get-dtype.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
} from './half-precision.js';
import { packBits, packedByteLength, unpackBits } from './pack-bits.js';
import { QuantError, isQuantError } from './quant-error.js';
import { roundHalfToEven } from './round-half-to-even.js';

export type {
  CodeArray,
  CodeArrayName,
  DType,
  DTypeCodec,
  DTypeKind,
  DTypeRegistry,
  EncodeArrayOptions,
  EncodeOptions,
  FloatDType,
  FloatDTypeDefinition,
  FloatDTypeInfo,
  FloatSpecials,
  IntDType,
  IntDTypeDefinition,
  IntDTypeInfo,
  PackOptions,
  QuantErrorCode,
  QuantErrorOptions,
  UnpackOptions,
};

export {
  BUILTIN_DTYPES,
  QuantError,
  bfloat16BitsToFloat32,
  createDTypeRegistry,
  defaultDTypeRegistry,
  defineFloatDType,
  defineIntDType,
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  getDType,
  hasDType,
  isQuantError,
  listDTypes,
  packBits,
  packedByteLength,
  roundHalfToEven,
  unpackBits,
};
