import type { QuantizationSpec, SkipReason, SpecSource } from '@lowbit/spec';

/** What happened to one input tensor. */
export type PtqTensorStatus =
  /** Quantized with `spec`. */
  | 'quantized'
  /** Left in float by the config (`skipReason` says which rule). */
  | 'skipped'
  /** The same tensor (same object, or same name and content) as an earlier row: quantized once, under `tiedTo`. */
  | 'tied'
  /** Quantizing it failed and `onError: 'skip'` was set; `error` says why. */
  | 'failed';

/** Clip ratios chosen by the weight-range search, over the tensor's blocks. */
export interface ClipRatioSummary {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
  /** SQNR (dB) the same spec gives without the search, for comparison with `sqnrDb`. */
  readonly sqnrWithoutSearchDb: number | null;
}

/** One row of the report: every input tensor gets exactly one, in input order. */
export interface PtqTensorReport {
  /** Position of the tensor in the input (0-based). */
  readonly index: number;
  readonly name: string;
  readonly opType: string;
  readonly shape: readonly number[];
  readonly status: PtqTensorStatus;
  /** One sentence saying why: the config rule that applied or skipped it, the tie, or the error. */
  readonly reason: string;
  /** The spec applied (for `tied`, the spec of the shared tensor), else null. */
  readonly spec: QuantizationSpec | null;
  /** `describeSpec(spec)`, e.g. `'int4 symmetric per_block(32)'`, or null. */
  readonly specLabel: string | null;
  /** Config level that decided (`name`, `op_type`, `global`), or null for ties and failures. */
  readonly source: SpecSource | null;
  /** The config key that matched, or null. */
  readonly configKey: string | null;
  /** Why the config skipped it, for `skipped`. */
  readonly skipReason: SkipReason | null;
  /** Name of the earlier row this one shares its tensor with, for `tied`. */
  readonly tiedTo: string | null;
  readonly consumers: readonly string[];
  /** Bytes of the float tensor (`originalDType`, float32 by default). */
  readonly bytesBefore: number;
  /** Bytes after: codes + scales (in the scale dtype) + zero points (in the element dtype) + minvals; equal to `bytesBefore` when left in float. */
  readonly bytesAfter: number;
  /** SQNR of the dequantized tensor in dB (`Infinity` when exact), or null when not quantized or `measure: false`. */
  readonly sqnrDb: number | null;
  /** Largest absolute reconstruction error, or null. */
  readonly maxAbsError: number | null;
  /** Present when the weight-range search ran. */
  readonly clipRatio: ClipRatioSummary | null;
  /** Error code and message, for `failed`. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Totals over the report. Tied rows are not counted twice in the byte totals. */
export interface PtqTotals {
  readonly tensors: number;
  readonly quantized: number;
  readonly skipped: number;
  readonly tied: number;
  readonly failed: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** `bytesBefore / bytesAfter` (1 when nothing changed). */
  readonly compressionRatio: number;
  /** SQNR over every quantized element together, in dB, or null when nothing was measured. */
  readonly sqnrDb: number | null;
}

/** The full report of a `quantizeWeights` run. */
export interface PtqReport {
  readonly tensors: readonly PtqTensorReport[];
  readonly totals: PtqTotals;
}
