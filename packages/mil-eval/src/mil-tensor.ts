/**
 * A value flowing through the evaluator: a row-major tensor whose elements are held as float32 (integer and
 * boolean tensors hold exact integers), tagged with its MIL element type.
 */
export interface MilTensor {
  /** Elements, row-major. */
  readonly data: Float32Array;
  /** Dimensions; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** MIL element type in lowbit spelling: `float32`, `float16`, `int32`, `int8`, `uint8`, `bool`... */
  readonly dtype: string;
}
