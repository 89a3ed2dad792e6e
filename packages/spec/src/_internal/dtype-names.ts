/** Aliases coreai-opt, torch and ml_dtypes users write, mapped to lowbit's registered names. */
const DTYPE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['float8_e4m3', 'float8_e4m3fn'],
  ['fp8_e4m3', 'float8_e4m3fn'],
  ['float8_e5m2fn', 'float8_e5m2'],
  ['fp8_e5m2', 'float8_e5m2'],
  ['float4_e2m1fn_x2', 'float4_e2m1fn'],
  ['float4_e2m1', 'float4_e2m1fn'],
  ['fp4_e2m1', 'float4_e2m1fn'],
  ['float8_e8m0', 'float8_e8m0fnu'],
  ['float8_e8m0fn', 'float8_e8m0fnu'],
  ['e8m0', 'float8_e8m0fnu'],
  ['half', 'float16'],
  ['fp16', 'float16'],
  ['bf16', 'bfloat16'],
  ['fp32', 'float32'],
]);

/**
 * Normalises a dtype name as written in a Python config: drops a `torch.` / `numpy.` / `np.` / `types.` prefix,
 * lower-cases, and applies the aliases (`float8_e4m3` -> `float8_e4m3fn`, `float4_e2m1fn_x2` ->
 * `float4_e2m1fn`, `float8_e8m0` -> `float8_e8m0fnu`).
 */
export function normalizeDTypeName(name: string): string {
  const lastDot = name.lastIndexOf('.');
  const base = (lastDot >= 0 ? name.slice(lastDot + 1) : name).trim().toLowerCase();
  return DTYPE_ALIASES.get(base) ?? base;
}
