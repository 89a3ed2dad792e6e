import type { Tensor } from '@lowbit/kernels';

/** One named weight of a model, as `quantizeWeights` takes it. */
export interface WeightTensor {
  /** Op or tensor name, matched against the config's `byOpName`. Report rows and results use it. */
  readonly name: string;
  /** Type of the op that consumes the weight (`linear`, `conv`, `conv_transpose`, `matmul`, `embedding`, `gather`...); picks the default axes and matches `byOpType`. */
  readonly opType: string;
  /** The float32 weight values. */
  readonly tensor: Tensor;
  /** Names of the ops that read this weight, copied into the report. */
  readonly consumers?: readonly string[];
  /** Storage dtype before quantization, for the "bytes before" column (`float16`, `bfloat16`...). @defaultValue `'float32'` */
  readonly originalDType?: string;
}
