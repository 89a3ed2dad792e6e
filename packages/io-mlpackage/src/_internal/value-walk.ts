/** Visiting every literal `Value` of every ML Program in a model (where blob references can live). */
import type { CoreMLModel, MilBlock, MilValue } from '../proto-types.js';
import { findPrograms } from './program-walk.js';

function visitValue(v: MilValue, fn: (v: MilValue) => void, depth: number): void {
  if (depth > 64) return;
  fn(v);
  const imm = v.immediateValue;
  if (imm === undefined) return;
  for (const x of imm.tuple?.values ?? []) visitValue(x, fn, depth + 1);
  for (const x of imm.list?.values ?? []) visitValue(x, fn, depth + 1);
  for (const kv of imm.dictionary?.values ?? []) {
    if (kv.key !== undefined) visitValue(kv.key, fn, depth + 1);
    if (kv.value !== undefined) visitValue(kv.value, fn, depth + 1);
  }
}

function visitBlock(b: MilBlock, fn: (v: MilValue) => void, depth: number): void {
  if (depth > 64) return;
  for (const v of b.attributes.values()) visitValue(v, fn, 0);
  for (const op of b.operations) {
    for (const v of op.attributes.values()) visitValue(v, fn, 0);
    for (const arg of op.inputs.values())
      for (const bind of arg.arguments) if (bind.value !== undefined) visitValue(bind.value, fn, 0);
    for (const nested of op.blocks) visitBlock(nested, fn, depth + 1);
  }
}

/** Calls `fn` for every Value in every program, function and block (all specializations), in program order. */
export function forEachValue(model: CoreMLModel, fn: (v: MilValue, modelPath: string) => void): void {
  for (const { program, modelPath } of findPrograms(model)) {
    const f = (v: MilValue) => fn(v, modelPath);
    for (const v of program.attributes.values()) visitValue(v, f, 0);
    for (const func of program.functions.values()) {
      for (const v of func.attributes.values()) visitValue(v, f, 0);
      for (const block of func.blockSpecializations.values()) visitBlock(block, f, 0);
    }
  }
}
