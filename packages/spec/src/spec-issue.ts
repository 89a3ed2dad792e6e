import type { QuantErrorCode } from '@lowbit/dtypes';

/** One problem found in untrusted spec or config input. */
export interface SpecIssue {
  /** JSON path of the offending field, as spelled in the input: `byOpType.conv.granularity.blockSize`. */
  readonly path: string;
  /** What was wrong, what was given and what would be valid. */
  readonly message: string;
  /** The error code {@link validateSpec} / {@link validateConfig} would throw with. */
  readonly code: QuantErrorCode;
}

/**
 * Result of {@link parseSpec} / {@link parseConfig}: the canonical value, or every problem found.
 * `warnings` lists accepted-but-ignored input (for example coreai-opt calculator keys left at their defaults).
 */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly SpecIssue[] }
  | { readonly ok: false; readonly issues: readonly SpecIssue[]; readonly warnings: readonly SpecIssue[] };
