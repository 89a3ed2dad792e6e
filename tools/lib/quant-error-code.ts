import { isQuantError } from '@lowbit/dtypes';

/**
 * For tests: the `QuantError` code that `fn` throws, `undefined` when it returns, and a `not a QuantError: ...`
 * string for any other exception, so an assertion on the code fails and shows what was thrown instead.
 */
export function quantErrorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return describeError(error);
  }
  return undefined;
}

/** {@link quantErrorCode} for a promise: the code it rejects with, or `undefined` when it resolves. */
export async function quantErrorCodeAsync(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return describeError(error);
  }
  return undefined;
}

function describeError(error: unknown): string {
  return isQuantError(error) ? error.code : `not a QuantError: ${String(error)}`;
}
