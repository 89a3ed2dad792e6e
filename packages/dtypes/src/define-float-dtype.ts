import type {
  CodeArray,
  CodeArrayName,
  EncodeArrayOptions,
  EncodeOptions,
  FloatDType,
  FloatSpecials,
} from './dtype.js';
import { QuantError } from './quant-error.js';
import { checkBooleanField, checkDTypeName, checkIntegerField } from './_internal/check-name.js';
import { describeValue } from './_internal/describe.js';
import { float32FromBits } from './_internal/float64-bits.js';
import { encodeFloat } from './_internal/float-encode.js';
import {
  binadeTableApplies,
  encodeArrayByScalar,
  encodeFloat32ArrayByShift,
  encodeFloat32ArrayByTable,
  float32ExponentApplies,
  makeBinadeTable,
  type BinadeTable,
} from './_internal/float-encode-array.js';
import { codeValue, magnitudeValue, makeFloatLayout, type FloatLayout } from './_internal/float-layout.js';
import { checkArrayLike, codeOutput, floatOutput, invalidCodeError, readSaturate } from './_internal/validate.js';

/**
 * Definition of a binary floating-point format `[sign] exponent mantissa` (MSB to LSB), the input of
 * {@link defineFloatDType}.
 *
 * Value of a code with sign s, exponent field E and mantissa field M (m mantissa bits, bias b):
 * `(-1)^s * 2^(1-b) * M / 2^m` when E = 0 (subnormal), `(-1)^s * 2^(E-b) * (1 + M / 2^m)` otherwise, except the
 * codes reserved by `specials`.
 */
export interface FloatDTypeDefinition {
  /** Registry name, lower-case, torch / ml_dtypes spelling (`float6_e2m3fn`). */
  readonly name: string;
  /** Width of the exponent field, 1 to 8. */
  readonly exponentBits: number;
  /** Width of the mantissa field, 0 to 23. */
  readonly mantissaBits: number;
  /** Exponent bias. @defaultValue `2^(exponentBits - 1) - 1` */
  readonly exponentBias?: number;
  /** Whether the format has a sign bit (the MSB). @defaultValue true (false is required for `'e8m0'`) */
  readonly signed?: boolean;
  /** Reserved special values, see {@link FloatSpecials}. @defaultValue `'ieee'` */
  readonly specials?: FloatSpecials;
}

const SPECIALS: readonly FloatSpecials[] = ['ieee', 'fn', 'none', 'e8m0'];
const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32_MIN_SUBNORMAL = 2 ** -149;

function invalid(message: string): QuantError {
  return new QuantError('DTYPE_INVALID_DEFINITION', `defineFloatDType: ${message}`);
}

/** Validates a definition and derives its layout. */
function layoutOf(definition: FloatDTypeDefinition): FloatLayout {
  const where = 'defineFloatDType';
  if (typeof definition !== 'object' || definition === null) {
    throw invalid(`the definition must be an object, got ${describeValue(definition)}`);
  }
  const name = checkDTypeName(definition.name, where);
  const exponentBits = checkIntegerField(definition.exponentBits, 'exponentBits', 1, 8, where);
  const mantissaBits = checkIntegerField(definition.mantissaBits, 'mantissaBits', 0, 23, where);
  const specials = definition.specials ?? 'ieee';
  if (!SPECIALS.includes(specials)) {
    throw invalid(
      `specials must be one of ${SPECIALS.map((s) => `'${s}'`).join(', ')}, got ${describeValue(specials)}`,
    );
  }
  const signed = checkBooleanField(definition.signed, 'signed', specials !== 'e8m0', where);
  const exponentBias =
    definition.exponentBias === undefined
      ? 2 ** (exponentBits - 1) - 1
      : checkIntegerField(definition.exponentBias, 'exponentBias', -150, 300, where);
  if (specials === 'ieee' && (exponentBits < 2 || mantissaBits < 1)) {
    throw invalid(`specials 'ieee' needs exponentBits >= 2 and mantissaBits >= 1 to hold Inf and NaN (${name})`);
  }
  if (specials === 'fn' && exponentBits + mantissaBits < 2) {
    throw invalid(`specials 'fn' needs at least 2 exponent + mantissa bits (${name})`);
  }
  if (specials === 'e8m0' && (mantissaBits !== 0 || signed)) {
    throw invalid(
      `specials 'e8m0' describes an unsigned exponent-only format: use mantissaBits 0 and signed false (${name})`,
    );
  }
  const layout = makeFloatLayout(name, exponentBits, mantissaBits, exponentBias, signed, specials);
  const max = magnitudeValue(layout, layout.maxMag);
  const smallest = magnitudeValue(layout, 1);
  if (!(max <= FLOAT32_MAX) || !(smallest >= FLOAT32_MIN_SUBNORMAL)) {
    throw invalid(
      `${name} has values outside float32 (largest ${String(max)}, smallest positive ${String(smallest)}); ` +
        'every lowbit format must decode exactly to float32: choose exponentBias so values lie in [2^-149, 2^128)',
    );
  }
  return layout;
}

function codeArrayOf(bits: number): CodeArrayName {
  if (bits <= 8) return 'Uint8Array';
  if (bits <= 16) return 'Uint16Array';
  return 'Uint32Array';
}

/**
 * Defines a floating-point dtype from its bit layout: the public extension path. The result is a frozen
 * {@link FloatDType} with exact round-to-nearest-even codecs; add it to a registry with
 * {@link createDTypeRegistry} (`createDTypeRegistry([...BUILTIN_DTYPES, mine])`).
 *
 * @throws QuantError `DTYPE_INVALID_DEFINITION` when a field is missing, out of range or inconsistent.
 * @example
 * ```ts
 * const e3m2 = defineFloatDType({ name: 'float6_e3m2fn', exponentBits: 3, mantissaBits: 2, specials: 'none' });
 * e3m2.encode(27); // 0b011111 (28)
 * ```
 */
export function defineFloatDType(definition: FloatDTypeDefinition): FloatDType {
  const layout = layoutOf(definition);
  const { name, bits, codeCount } = layout;
  const codeArray = codeArrayOf(bits);
  const isFloat32 = bits === 32 && float32ExponentApplies(layout) && layout.mantissaBits === 23;
  const useTable = binadeTableApplies(layout);
  const useShift = float32ExponentApplies(layout);
  const validCodes = `integers in [0, ${String(codeCount - 1)}]`;

  let table: Float32Array | undefined;
  const decodeTable = (): Float32Array => {
    if (table === undefined) {
      const t = new Float32Array(codeCount);
      for (let c = 0; c < codeCount; c++) t[c] = codeValue(layout, c);
      table = t;
    }
    return table;
  };
  let binades: BinadeTable | undefined;

  const maxFinite = magnitudeValue(layout, layout.maxMag);
  const minNormal = layout.specials === 'e8m0' ? magnitudeValue(layout, 0) : 2 ** layout.emin;
  const minSubnormal = layout.mantissaBits > 0 && layout.specials !== 'e8m0' ? magnitudeValue(layout, 1) : minNormal;

  const encode = (x: number, options?: EncodeOptions): number => {
    const where = `${name}.encode`;
    const saturate = readSaturate(options, where);
    if (typeof x !== 'number') {
      throw new QuantError('DTYPE_INVALID_ARGUMENT', `${where}: expected a number, got ${describeValue(x)}`);
    }
    return encodeFloat(layout, x, saturate, where);
  };

  const decode = (code: number): number => {
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code >= codeCount) {
      throw invalidCodeError(`${name}.decode`, code, validCodes);
    }
    return bits <= 16 ? decodeTable()[code]! : codeValue(layout, code);
  };

  const encodeArray = (src: ArrayLike<number>, options?: EncodeArrayOptions): CodeArray => {
    const where = `${name}.encodeArray`;
    checkArrayLike(src, where, 'src');
    const saturate = readSaturate(options, where);
    const out = codeOutput(options?.out, codeArray, src.length, where) as Uint8Array | Uint16Array | Uint32Array;
    if (src instanceof Float32Array && useTable) {
      binades ??= makeBinadeTable(layout);
      encodeFloat32ArrayByTable(layout, binades, src, out as Uint8Array | Uint16Array, saturate);
    } else if (src instanceof Float32Array && useShift) {
      encodeFloat32ArrayByShift(layout, src, out as Uint16Array | Uint32Array, saturate);
    } else {
      encodeArrayByScalar(layout, src, out, saturate);
    }
    return out;
  };

  const decodeArray = (codes: ArrayLike<number>, out?: Float32Array): Float32Array => {
    const where = `${name}.decodeArray`;
    checkArrayLike(codes, where, 'codes');
    const n = codes.length;
    const dst = floatOutput(out, n, where);
    if (bits <= 16) {
      const t = decodeTable();
      if ((codes instanceof Uint8Array && codeCount === 256) || (codes instanceof Uint16Array && codeCount === 65536)) {
        for (let i = 0; i < n; i++) dst[i] = t[codes[i]!]!;
      } else {
        for (let i = 0; i < n; i++) {
          const c = codes[i]!;
          const v = t[c];
          if (v === undefined) throw invalidCodeError(where, c, validCodes, i);
          dst[i] = v;
        }
      }
    } else if (isFloat32 && codes instanceof Uint32Array) {
      dst.set(new Float32Array(codes.buffer, codes.byteOffset, n));
    } else {
      for (let i = 0; i < n; i++) {
        const c = codes[i]!;
        if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= codeCount) {
          throw invalidCodeError(where, c, validCodes, i);
        }
        dst[i] = isFloat32 ? float32FromBits(c) : codeValue(layout, c);
      }
    }
    return dst;
  };

  return Object.freeze({
    name,
    kind: 'float' as const,
    bits,
    signed: layout.signed,
    qmin: layout.signed ? -maxFinite : layout.specials === 'e8m0' ? minNormal : 0,
    qmax: maxFinite,
    codeArray,
    exponentBits: layout.exponentBits,
    mantissaBits: layout.mantissaBits,
    exponentBias: layout.exponentBias,
    specials: layout.specials,
    maxFinite,
    minNormal,
    minSubnormal,
    hasNaN: layout.nanMag >= 0,
    hasInf: layout.infMag >= 0,
    hasZero: layout.specials !== 'e8m0',
    nanCode: layout.nanMag >= 0 ? layout.nanMag : null,
    encode,
    decode,
    encodeArray,
    decodeArray,
  });
}
