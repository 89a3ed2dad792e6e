import { CONSTEXPR_OPS, OPS } from './_internal/registry.js';

/** The MIL op types the evaluator runs (besides `const`), sorted; constexpr ops are decoded by io-mlpackage. */
export function listSupportedOps(): string[] {
  return [...OPS.keys(), ...CONSTEXPR_OPS].sort();
}
