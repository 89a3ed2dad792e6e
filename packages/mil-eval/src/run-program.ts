import { float16BitsToFloat32, float32ToFloat16Bits } from '@lowbit/dtypes';
import type { LoadedProgram } from './load-program.js';
import { planOf } from './load-program.js';
import type { MilTensor } from './mil-tensor.js';
import { evalError, showShape } from './_internal/errors.js';
import { OpContext } from './_internal/op-context.js';
import type { EvalValue } from './_internal/values.js';
import { isStringValue } from './_internal/values.js';

/** A program input: elements and shape; the dtype defaults to the declared one. */
export interface MilInput {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly dtype?: string;
}

/** What {@link RunProgramOptions.onOp} sees after each op ran. */
export interface OpEvent {
  readonly type: string;
  readonly name: string;
  /** Tensor-valued parameters with a single binding (e.g. `x`, `weight` of a linear op). */
  readonly inputs: Readonly<Record<string, MilTensor>>;
  /** String parameters (conv's `pad_type`, cast's `dtype`...). */
  readonly strings: Readonly<Record<string, string>>;
  readonly outputs: readonly MilTensor[];
}

/** Options of {@link runProgram}. */
export interface RunProgramOptions {
  /** Extra values to return besides the block outputs (any op output or constant name). */
  readonly keep?: readonly string[];
  /** Called after every non-constant op, in program order (for calibration and activation capture). */
  readonly onOp?: (event: OpEvent) => void;
  /**
   * Values that replace constants (or constexpr-decoded weights) of the same name for this run, e.g. a layer's
   * quantized-dequantized weight during sequential GPTQ. Shapes must match the constant's.
   */
  readonly overrides?: Readonly<Record<string, MilInput>>;
  /** Round the results of ops declared float16 to float16, as a float16 program stores them. @defaultValue true */
  readonly roundFloat16?: boolean;
}

const FN = 'runProgram';
/** Ops that only move data: their float16 outputs are already float16 values (and may share the input's array). */
const LAYOUT_OPS = new Set(['reshape', 'squeeze', 'expand_dims', 'flatten2d', 'transpose', 'identity', 'concat']);

function roundHalf(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) data[i] = float16BitsToFloat32(float32ToFloat16Bits(data[i] as number));
}

/**
 * Runs a loaded program on concrete inputs and returns its block outputs (and the `keep` values) by name.
 * Arithmetic is float32 (integers held exactly); the leading dimension of each input may differ from the declared
 * one, so a batch of N runs at once when every op of the program is batch-agnostic (reshape with -1 or 0, not a
 * hard-coded batch of 1).
 *
 * @throws QuantError `MILEVAL_INVALID_INPUT` (missing input, wrong rank or non-batch dimension, wrong length),
 *   `MILEVAL_INVALID_PROGRAM` (an op's operands do not fit, naming the op).
 */
export function runProgram(
  program: LoadedProgram,
  inputs: Readonly<Record<string, MilInput>>,
  options: RunProgramOptions = {},
): Record<string, MilTensor> {
  const plan = planOf(program, FN);
  if (typeof inputs !== 'object' || inputs === null)
    throw evalError('MILEVAL_INVALID_INPUT', FN, 'inputs must be an object of named tensors');
  const env = new Map<string, EvalValue>(plan.constants);
  for (const decl of program.inputs) {
    const given = inputs[decl.name];
    if (given === undefined) {
      throw evalError(
        'MILEVAL_INVALID_INPUT',
        FN,
        `input "${decl.name}" is missing; the program takes ${program.inputs.map((i) => `"${i.name}" ${showShape(i.shape)}`).join(', ')}`,
      );
    }
    if (!(given.data instanceof Float32Array) || !Array.isArray(given.shape)) {
      throw evalError(
        'MILEVAL_INVALID_INPUT',
        FN,
        `input "${decl.name}" must be { data: Float32Array, shape: number[] }`,
      );
    }
    const shape = given.shape;
    const ok =
      shape.length === decl.shape.length &&
      shape.every((d, i) => Number.isInteger(d) && d >= 0 && (i === 0 || decl.shape[i] === -1 || decl.shape[i] === d));
    let n = 1;
    for (const d of shape) n *= d;
    if (!ok || n !== given.data.length) {
      throw evalError(
        'MILEVAL_INVALID_INPUT',
        FN,
        `input "${decl.name}" has shape ${showShape(shape)} with ${given.data.length} elements; the program declares ${showShape(decl.shape)} (the leading batch dimension may differ)`,
      );
    }
    env.set(decl.name, { data: given.data, shape: [...shape], dtype: given.dtype ?? decl.dtype });
  }
  for (const [name, value] of Object.entries(options.overrides ?? {})) {
    const current = plan.constants.get(name);
    if (current === undefined || isStringValue(current)) {
      throw evalError('MILEVAL_INVALID_ARGUMENT', FN, `override "${name}" names no tensor constant of the program`);
    }
    if (
      !(value.data instanceof Float32Array) ||
      value.data.length !== current.data.length ||
      value.shape.length !== current.shape.length ||
      value.shape.some((d, i) => d !== current.shape[i])
    ) {
      throw evalError(
        'MILEVAL_INVALID_ARGUMENT',
        FN,
        `override "${name}" must have shape ${showShape(current.shape)} like the constant it replaces, got ${showShape(value.shape ?? [])}`,
      );
    }
    env.set(name, { data: value.data, shape: current.shape, dtype: current.dtype });
  }
  const round = options.roundFloat16 ?? true;
  const onOp = options.onOp;
  for (const step of plan.steps) {
    const args = new Map<string, EvalValue[]>();
    for (const [param, bindings] of step.args) {
      args.set(
        param,
        bindings.map((b) => ('value' in b ? b.value : (env.get(b.name) as EvalValue))),
      );
    }
    const ctx = new OpContext(step.type, step.name, args, step.outputs);
    const results = step.impl(ctx);
    if (results.length !== step.outputs.length)
      ctx.fail(`produced ${results.length} outputs, the program declares ${step.outputs.length}`);
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as MilTensor;
      const decl = step.outputs[i] as (typeof step.outputs)[number];
      if (round && decl.dtype === 'float16' && !LAYOUT_OPS.has(step.type)) roundHalf(r.data);
      env.set(decl.name, r);
    }
    if (onOp !== undefined) {
      const seen: Record<string, MilTensor> = {};
      const strings: Record<string, string> = {};
      for (const [param, values] of args) {
        const v = values[0];
        if (values.length !== 1 || v === undefined) continue;
        if (!isStringValue(v)) seen[param] = v;
        else if (v.strings.length === 1) strings[param] = v.strings[0] as string;
      }
      onOp({ type: step.type, name: step.name, inputs: seen, strings, outputs: results });
    }
  }
  const out: Record<string, MilTensor> = {};
  for (const name of [...plan.blockOutputs, ...(options.keep ?? [])]) {
    const v = env.get(name);
    if (v === undefined) throw evalError('MILEVAL_INVALID_ARGUMENT', FN, `no value named "${name}" in the program`);
    if (isStringValue(v)) throw evalError('MILEVAL_INVALID_ARGUMENT', FN, `value "${name}" is a string, not a tensor`);
    out[name] = v;
  }
  return out;
}
