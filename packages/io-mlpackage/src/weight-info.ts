/** One op that reads a weight. */
export interface WeightConsumer {
  /** The consuming op's name. */
  readonly opName: string;
  /** The consuming op's type (`linear`, `conv`, `matmul`, `gather`...). */
  readonly opType: string;
  /** The parameter of that op the weight is bound to (`weight`, `y`, `x`...). */
  readonly input: string;
}

/** Kinds of compressed weights (the `constexpr_*` op that produces them, without the prefix). */
export type CompressionKind =
  | 'affine_dequantize'
  | 'blockwise_shift_scale'
  | 'lut_to_dense'
  | 'sparse_to_dense'
  | 'cast'
  | 'lut_to_sparse'
  | 'sparse_blockwise_shift_scale';

/** How a compressed weight is stored. */
export interface WeightCompression {
  /** The op producing the weight. */
  readonly kind: CompressionKind;
  /** Op types of the whole constexpr chain, producer first (one entry unless ops are chained). */
  readonly chain: readonly string[];
  /** `iOS16` for the attribute form (parameters in attributes), `iOS18` for the input form. */
  readonly form: 'iOS16' | 'iOS18';
  /** Kind-specific facts: stored dtypes, scale shape, block shape, LUT bits, non-zero count... */
  readonly details: Readonly<Record<string, unknown>>;
}

/** One weight of a package: a `const` tensor or the output of a `constexpr_*` chain. */
export interface WeightInfo {
  /** Unique key within the package: `<modelPath>/<function>/<name>` (modelPath empty for the root model). */
  readonly id: string;
  /** Name of the value (the const's or constexpr's output), what consumers bind to. */
  readonly name: string;
  /** Name of the producing op. */
  readonly opName: string;
  /** `''` for the root model, `pipeline.models[0]` inside a pipeline. */
  readonly modelPath: string;
  /** Function holding the weight (`main`). */
  readonly functionName: string;
  /** Opset of that function (`CoreML6`). */
  readonly opset: string;
  /** Ops that read the weight (constexpr ops of a chain excluded). */
  readonly consumers: readonly WeightConsumer[];
  /** Type of the first consumer, or null when nothing reads it. */
  readonly opType: string | null;
  /** True when the value is also returned from a block (Core ML cannot compress such a const). */
  readonly feedsBlockOutput: boolean;
  /** Dtype of the (decoded) weight: `float16`, `float32`... */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly elementCount: number;
  /** Bytes stored for this weight: the const's data, or every stored parameter of the constexpr chain. */
  readonly byteSize: number;
  /** Where the main data lives. */
  readonly storage: 'blob' | 'immediate';
  /** Blob reference of the main data (const value, quantized data, LUT indices), or null. */
  readonly blob: { readonly fileName: string; readonly offset: number } | null;
  /** Null for a plain const. */
  readonly compression: WeightCompression | null;
}
