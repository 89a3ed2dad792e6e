import { isQuantError } from '@lowbit/dtypes';
import type { QuantErrorCode } from '@lowbit/dtypes';
import { expect } from 'vitest';
import type { QuantizationSpec } from '../src/index.js';

/** A valid spec with overrides. */
export function spec(overrides: Partial<Record<keyof QuantizationSpec, unknown>> = {}): QuantizationSpec {
  return {
    version: 1,
    dtype: 'int8',
    qscheme: 'symmetric',
    qformulation: 'zp',
    granularity: { type: 'per_channel' },
    ...overrides,
  } as QuantizationSpec;
}

/** Runs `fn`, asserts it throws a QuantError with `code`, and returns the message. */
export function errorOf(fn: () => unknown, code: QuantErrorCode): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isQuantError(caught), `expected a QuantError, got ${String(caught)}`).toBe(true);
  const error = caught as { code: string; message: string };
  expect(error.code).toBe(code);
  return error.message;
}
