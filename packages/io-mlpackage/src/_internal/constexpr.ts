/** Access to constexpr op parameters in both serializations (iOS16 attributes, iOS18 inputs). */
import type { MilOperation, MilValue } from '../proto-types.js';
import type { CompressionKind } from '../weight-info.js';

/** A parameter: a literal value, or the name of another value (a chained constexpr). */
export type ConstexprParam = { readonly value: MilValue } | { readonly ref: string };

const KINDS: Record<string, CompressionKind> = {
  constexpr_affine_dequantize: 'affine_dequantize',
  constexpr_blockwise_shift_scale: 'blockwise_shift_scale',
  constexpr_lut_to_dense: 'lut_to_dense',
  constexpr_sparse_to_dense: 'sparse_to_dense',
  constexpr_cast: 'cast',
  constexpr_lut_to_sparse: 'lut_to_sparse',
  constexpr_sparse_blockwise_shift_scale: 'sparse_blockwise_shift_scale',
};

/** True for every `constexpr_*` op type. */
export function isConstexpr(type: string | undefined): boolean {
  return type !== undefined && type.startsWith('constexpr_');
}

/** The compression kind of a constexpr op type, or undefined. */
export function compressionKind(type: string | undefined): CompressionKind | undefined {
  return type === undefined ? undefined : KINDS[type];
}

/** A parameter of a constexpr op, from its inputs (iOS18 form) or attributes (iOS16 form). */
export function constexprParam(op: MilOperation, name: string): ConstexprParam | undefined {
  const arg = op.inputs.get(name);
  if (arg !== undefined) {
    const b = arg.arguments[0];
    if (b?.value !== undefined) return { value: b.value };
    if (b?.name !== undefined) return { ref: b.name };
    return undefined;
  }
  const v = op.attributes.get(name);
  return v === undefined ? undefined : { value: v };
}

/** `iOS16` when the op keeps its parameters in attributes, `iOS18` when in inputs. */
export function constexprForm(op: MilOperation): 'iOS16' | 'iOS18' {
  return op.inputs.size > 0 ? 'iOS18' : 'iOS16';
}

/** Every literal value among an op's parameters (attributes except `name`, and input value bindings). */
export function storedValues(op: MilOperation): MilValue[] {
  const out: MilValue[] = [];
  for (const [k, v] of op.attributes) if (k !== 'name') out.push(v);
  for (const arg of op.inputs.values()) for (const b of arg.arguments) if (b.value !== undefined) out.push(b.value);
  return out;
}
