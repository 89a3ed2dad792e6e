import type { QuantizationSpec } from './quantization-spec.js';

/** Element count at or below which tensors are left alone unless a config says otherwise (coremltools' `weight_threshold`). */
export const DEFAULT_MIN_SIZE = 2048;

/** Prefix that marks a `byOpName` key as a regular expression, matched against the whole name. */
export const REGEX_KEY_PREFIX = 're:';

/**
 * Which spec each tensor of a model gets: plain, versioned, JSON-able data.
 *
 * Resolution for one tensor (see `resolveTensorSpec`): `byOpName` (an exact key beats a regular expression;
 * among expressions the first that matches, in key order) > `byOpType` (the op type as given, then its op kind
 * such as `'linear'`) > `global`. A `null` at the deciding level means "leave this tensor alone". A tensor with
 * `minSize` elements or fewer is then left alone whatever its spec (coremltools' rule: only tensors with more
 * than `weight_threshold` elements are compressed).
 *
 * `byOpName` keys are exact names, or regular expressions written `re:<pattern>` (JavaScript syntax, matched
 * against the whole name: `re:layers\.\d+\.mlp\..*`). Keys that look like integers ("12") are iterated first by
 * JavaScript objects; avoid relying on their order.
 */
export interface QuantizationConfig {
  /** Format version; always 1 today. */
  readonly version: 1;
  /** The spec for every weight no rule below names; `null` quantizes nothing by default. */
  readonly global: QuantizationSpec | null;
  /** Spec for activations (inputs of quantized ops) when the algorithm quantizes them, e.g. W8A8; `null`/absent: weights only. */
  readonly activation?: QuantizationSpec | null;
  /** Specs by op type (`'linear'`, `'conv'`, `'Gemm'`, `'torch.nn.modules.linear.Linear'`...). */
  readonly byOpType?: Readonly<Record<string, QuantizationSpec | null>>;
  /** Specs by op or tensor name: exact names, or `re:<pattern>` regular expressions. */
  readonly byOpName?: Readonly<Record<string, QuantizationSpec | null>>;
  /** Tensors with this many elements or fewer are skipped. @defaultValue {@link DEFAULT_MIN_SIZE} (2048) */
  readonly minSize?: number;
}

/** What `resolveTensorSpec` needs to know about a tensor. */
export interface TensorInfo {
  /** Op or tensor name, matched against `byOpName`. */
  readonly name: string;
  /** Op type, matched against `byOpType` (exactly, then by op kind). */
  readonly opType: string;
  /** Tensor shape; its element count is compared with `minSize`. */
  readonly shape: readonly number[];
}

/** Why a tensor is left alone. */
export type SkipReason = 'disabled_by_name' | 'disabled_by_op_type' | 'disabled_globally' | 'below_min_size';

/** Which level of the config decided. */
export type SpecSource = 'name' | 'op_type' | 'global';

/** A tensor that gets quantized. */
export interface AppliedResolution {
  readonly spec: QuantizationSpec;
  /** Human sentence, used verbatim in reports. */
  readonly reason: string;
  readonly source: SpecSource;
  /** The config key that matched (`byOpName` / `byOpType` key), or null for `global`. */
  readonly key: string | null;
}

/** A tensor that is left alone. */
export interface SkippedResolution {
  readonly spec: null;
  /** Human sentence, used verbatim in reports: `skipped: 1,024 elements is below the 2,048-element threshold`. */
  readonly reason: string;
  readonly skipReason: SkipReason;
  readonly source: SpecSource;
  /** The config key that matched, or null for `global`. */
  readonly key: string | null;
}

/** The outcome of resolving one tensor against a {@link QuantizationConfig}. */
export type SpecResolution = AppliedResolution | SkippedResolution;
