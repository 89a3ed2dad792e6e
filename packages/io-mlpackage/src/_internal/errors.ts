import type { QuantErrorCode } from '@lowbit/dtypes';
import { QuantError, isQuantError } from '@lowbit/dtypes';

/** Builds a QuantError whose message starts with the function name and names the file and byte offset. */
export function fileError(
  code: QuantErrorCode,
  fn: string,
  file: string,
  offset: number | null,
  message: string,
  cause?: unknown,
): QuantError {
  const where = offset === null ? file : `${file} at byte ${offset}`;
  const details: Record<string, unknown> = { file };
  if (offset !== null) details.offset = offset;
  return new QuantError(code, `${fn}: ${where}: ${message}`, cause === undefined ? { details } : { details, cause });
}

/** A QuantError without a file. */
export function ioError(
  code: QuantErrorCode,
  fn: string,
  message: string,
  details?: Record<string, unknown>,
): QuantError {
  return new QuantError(code, `${fn}: ${message}`, details === undefined ? {} : { details });
}

/** Re-throws QuantErrors, wraps anything else (fs errors) as `code`. */
export function wrapFsError(e: unknown, code: QuantErrorCode, fn: string, file: string, what: string): QuantError {
  if (isQuantError(e)) return e;
  const errno = (e as { code?: string } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (errno === 'ENOENT' && code !== 'MLPACKAGE_WRITE_FAILED') {
    return fileError('MLPACKAGE_NOT_FOUND', fn, file, null, `${what}: file or directory does not exist`, e);
  }
  return fileError(code, fn, file, null, `${what}: ${msg}`, e);
}

/** A model-content problem (the protobuf decoded but its content is inconsistent). `where` starts with the function name. */
export function badModel(where: string, message: string): QuantError {
  return new QuantError('MLPACKAGE_MALFORMED_PROTOBUF', `${where}: ${message}`);
}
