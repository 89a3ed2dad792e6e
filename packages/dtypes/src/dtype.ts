/** Whether a dtype holds integers or floating-point numbers. */
export type DTypeKind = 'int' | 'float';

/**
 * Which special values a float format reserves.
 * - `'ieee'`: the all-ones exponent holds ±Inf (mantissa 0) and NaN (any other mantissa), like float16, bfloat16
 *   and float8_e5m2.
 * - `'fn'`: finite only; a single NaN per sign at all-ones exponent and mantissa, like float8_e4m3fn.
 * - `'none'`: no Inf and no NaN, every code is a finite number, like float4_e2m1fn and the FP6 formats.
 * - `'e8m0'`: unsigned, exponent-only scale format: code c is 2^(c - bias), the all-ones code is NaN, no zero,
 *   no Inf, no subnormals (float8_e8m0fnu).
 */
export type FloatSpecials = 'ieee' | 'fn' | 'none' | 'e8m0';

/** Typed array used for one-element-per-slot codes of a dtype. */
export type CodeArray = Int8Array | Uint8Array | Uint16Array | Uint32Array;

/** Name of the typed array class a dtype's codes live in. */
export type CodeArrayName = 'Int8Array' | 'Uint8Array' | 'Uint16Array' | 'Uint32Array';

/** Options for encoding numbers into a dtype. */
export interface EncodeOptions {
  /**
   * Saturate out-of-range values to the largest finite value of the right sign. When false, floats follow the
   * OCP FP8 rule: overflow becomes Inf where the format has it, else NaN where it has one; formats with neither
   * (integers, FP4, FP6) throw `DTYPE_VALUE_OUT_OF_RANGE`.
   * @defaultValue true
   */
  readonly saturate?: boolean;
}

/** Options for the array encoder. */
export interface EncodeArrayOptions extends EncodeOptions {
  /** Where to write the codes; must have at least `src.length` elements of the dtype's code array class. */
  readonly out?: CodeArray;
}

/** Facts shared by every dtype. */
interface DTypeBase {
  /** Registered name, spelled as torch / ml_dtypes spell it (`float8_e4m3fn`). */
  readonly name: string;
  /** Storage width in bits. */
  readonly bits: number;
  /** True when the format has negative values. */
  readonly signed: boolean;
  /** Smallest representable value (most negative; the smallest positive value for unsigned floats without zero). */
  readonly qmin: number;
  /** Largest finite representable value. */
  readonly qmax: number;
  /** The typed array class codes are held in, one element per slot. */
  readonly codeArray: CodeArrayName;
}

/** Descriptor of an integer dtype. Codes are the integer values themselves. */
export interface IntDTypeInfo extends DTypeBase {
  readonly kind: 'int';
}

/** Descriptor of a floating-point dtype. Codes are the unsigned bit patterns `sign | exponent | mantissa`. */
export interface FloatDTypeInfo extends DTypeBase {
  readonly kind: 'float';
  /** Width of the exponent field. */
  readonly exponentBits: number;
  /** Width of the mantissa (fraction) field. */
  readonly mantissaBits: number;
  /** Exponent bias. */
  readonly exponentBias: number;
  /** Which special values (Inf, NaN) the format reserves, see {@link FloatSpecials}. */
  readonly specials: FloatSpecials;
  /** Largest finite value. */
  readonly maxFinite: number;
  /** Smallest positive normal value. */
  readonly minNormal: number;
  /** Smallest positive subnormal value, or `minNormal` when the format has no subnormals. */
  readonly minSubnormal: number;
  /** Whether a NaN code exists. */
  readonly hasNaN: boolean;
  /** Whether infinity codes exist. */
  readonly hasInf: boolean;
  /** Whether zero is representable (false only for scale formats such as E8M0). */
  readonly hasZero: boolean;
  /** The canonical (positive) NaN code, or null when the format has none. */
  readonly nanCode: number | null;
}

/** Codec methods every dtype provides. */
export interface DTypeCodec {
  /**
   * Encodes one number: round to nearest, ties to even, saturating by default.
   * @throws QuantError `DTYPE_NAN_UNREPRESENTABLE` for NaN in a format without NaN.
   */
  encode(x: number, options?: EncodeOptions): number;
  /**
   * Decodes one code to its exact value.
   * @throws QuantError `DTYPE_INVALID_CODE` for a code outside the format.
   */
  decode(code: number): number;
  /** Encodes an array; the fast path for `Float32Array` input is exact and allocation-free given `out`. */
  encodeArray(src: ArrayLike<number>, options?: EncodeArrayOptions): CodeArray;
  /** Decodes an array of codes into float32 (every dtype here except float32 itself decodes exactly). */
  decodeArray(codes: ArrayLike<number>, out?: Float32Array): Float32Array;
}

/** A registered integer dtype: descriptor plus codec. */
export type IntDType = IntDTypeInfo & DTypeCodec;
/** A registered float dtype: descriptor plus codec. */
export type FloatDType = FloatDTypeInfo & DTypeCodec;
/** Any registered dtype. Frozen. */
export type DType = IntDType | FloatDType;
