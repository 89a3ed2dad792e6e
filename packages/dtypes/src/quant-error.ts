/**
 * Stable, machine-readable error codes used across every `@lowbit/*` package.
 *
 * Codes are `SCREAMING_SNAKE`, prefixed by the area that raises them. They never change meaning once
 * published; new codes may be added. Match on `error.code`, never on the message text.
 */
export type QuantErrorCode =
  // dtypes
  | 'DTYPE_UNKNOWN'
  | 'DTYPE_DUPLICATE'
  | 'DTYPE_INVALID_DEFINITION'
  | 'DTYPE_NAN_UNREPRESENTABLE'
  | 'DTYPE_VALUE_OUT_OF_RANGE'
  | 'DTYPE_INVALID_CODE'
  | 'DTYPE_INVALID_ARGUMENT'
  | 'PACK_INVALID_WIDTH'
  | 'PACK_VALUE_OUT_OF_RANGE'
  | 'PACK_BUFFER_TOO_SMALL'
  // spec
  | 'SPEC_INVALID'
  | 'SPEC_BLOCK_SIZE_MISMATCH'
  | 'SPEC_AXIS_OUT_OF_RANGE'
  | 'SPEC_UNSUPPORTED_COMBINATION'
  | 'SPEC_UNKNOWN_PRESET'
  | 'CONFIG_INVALID'
  // kernels
  | 'KERNELS_SHAPE_MISMATCH'
  | 'KERNELS_NON_FINITE_INPUT'
  | 'KERNELS_INVALID_ARGUMENT'
  | 'KERNELS_NOT_POSITIVE_DEFINITE'
  | 'KERNELS_DUPLICATE'
  | 'KERNELS_UNKNOWN'
  // kernels-wasm
  | 'KERNELS_WORKER_FAILED'
  // observers
  | 'OBSERVER_INVALID_ARGUMENT'
  | 'OBSERVER_EMPTY'
  | 'OBSERVER_MERGE_MISMATCH'
  | 'OBSERVER_INVALID_STATE'
  // algorithms
  | 'PTQ_INVALID_ARGUMENT'
  | 'PTQ_DUPLICATE_TENSOR'
  | 'GPTQ_INVALID_ARGUMENT'
  | 'GPTQ_NUMERICAL_FAILURE'
  | 'QAT_INVALID_ARGUMENT'
  // io
  | 'MLPACKAGE_NOT_FOUND'
  | 'MLPACKAGE_INVALID_MANIFEST'
  | 'MLPACKAGE_UNSUPPORTED_VERSION'
  | 'MLPACKAGE_MALFORMED_PROTOBUF'
  | 'MLPACKAGE_MALFORMED_BLOB'
  | 'MLPACKAGE_UNSUPPORTED'
  | 'MLPACKAGE_OPSET_TOO_OLD'
  | 'MLPACKAGE_WRITE_FAILED'
  | 'MLPACKAGE_OUTPUT_EXISTS'
  | 'MLPACKAGE_INVALID_ARGUMENT'
  // mil-eval
  | 'MILEVAL_UNSUPPORTED_OP'
  | 'MILEVAL_INVALID_PROGRAM'
  | 'MILEVAL_INVALID_INPUT'
  | 'MILEVAL_INVALID_ARGUMENT'
  | 'IDX_MALFORMED'
  // cli
  | 'CLI_USAGE'
  | 'CLI_IO';

const BRAND: unique symbol = Symbol.for('@lowbit/QuantError') as never;

/** Options accepted by {@link QuantError}: the standard `cause`, plus optional structured details. */
export interface QuantErrorOptions {
  /** The underlying error, if this one wraps another. */
  readonly cause?: unknown;
  /** Structured facts about the failure (position, field, given value...), for programs that react to it. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of the lowbit toolkit.
 *
 * Messages say what was wrong, where, and what would be valid, starting with the function name:
 * `quantize: blockSize[1]=32 does not divide dimension 50 of shape [64, 50]`.
 * Use {@link isQuantError} rather than `instanceof`, which fails when two copies of the package are loaded.
 *
 * @example
 * ```ts
 * try { getDType('int3') } catch (e) { if (isQuantError(e) && e.code === 'DTYPE_UNKNOWN') ... }
 * ```
 */
export class QuantError extends Error {
  /** Stable machine-readable code. */
  readonly code: QuantErrorCode;
  /** Structured facts about the failure, when the raiser provides them. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [BRAND] = true;

  constructor(code: QuantErrorCode, message: string, options: QuantErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QuantError';
    this.code = code;
    this.details = options.details;
  }
}

/** True when `value` is a {@link QuantError} from any copy of `@lowbit/dtypes`. */
export function isQuantError(value: unknown): value is QuantError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
