import type { DTypeRegistry } from '@lowbit/dtypes';
import { readConfig } from './_internal/config-reader.js';
import { newContext } from './_internal/spec-reader.js';
import { throwIssues } from './_internal/throw-issues.js';
import type { QuantizationConfig } from './quantization-config.js';

/**
 * Checks that a value is a canonical {@link QuantizationConfig}: version 1, every spec valid (see
 * `validateSpec`), `re:` keys compile, `minSize` a non-negative integer, no unknown fields.
 *
 * @throws QuantError `CONFIG_INVALID` for the config's own fields, or the spec's code for a bad spec; the message
 * names the path (`byOpType.conv.granularity.blockSize`), and `details.issues` lists every problem.
 */
export function validateConfig(config: QuantizationConfig, registry?: DTypeRegistry): QuantizationConfig {
  const ctx = newContext(false, registry);
  const checked = readConfig(config, ctx);
  if (checked === undefined || ctx.issues.length > 0) throwIssues('validateConfig', ctx.issues);
  return config;
}
