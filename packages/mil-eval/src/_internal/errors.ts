/** Error helpers of @lowbit/mil-eval. */
import { QuantError } from '@lowbit/dtypes';
import type { QuantErrorCode } from '@lowbit/dtypes';

/** A QuantError whose message starts with `where`. */
export function evalError(
  code: QuantErrorCode,
  where: string,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): QuantError {
  return new QuantError(code, `${where}: ${message}`, details === undefined ? {} : { details });
}

/** Formats a shape for messages: `[2, 3]`. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
