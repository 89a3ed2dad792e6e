import { QuantError } from '@lowbit/dtypes';
import type { SpecIssue } from '../spec-issue.js';

/** Throws the first issue as a QuantError prefixed by the function name; every issue goes in `details.issues`. */
export function throwIssues(fn: string, issues: readonly SpecIssue[]): never {
  const first = issues[0];
  if (first === undefined) throw new QuantError('SPEC_INVALID', `${fn}: invalid input`);
  const more =
    issues.length > 1
      ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''}, listed in error.details.issues)`
      : '';
  throw new QuantError(first.code, `${fn}: ${first.message}${more}`, {
    details: { path: first.path, issues },
  });
}
