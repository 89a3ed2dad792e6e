import type { MilFunction, MilOperation, MlPackage } from '@lowbit/io-mlpackage';
import { readWeight } from '@lowbit/io-mlpackage';
import { evalError } from './_internal/errors.js';
import type { OutputType } from './_internal/op-context.js';
import type { OpImpl } from './_internal/registry.js';
import { CONSTEXPR_OPS, OPS } from './_internal/registry.js';
import type { EvalValue } from './_internal/values.js';
import { decodeImmediate, tensorTypeOf } from './_internal/values.js';

/** Name, element type and declared shape of a program input or output (`-1` marks a symbolic dimension). */
export interface MilValueInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** Options of {@link loadProgram}. */
export interface LoadProgramOptions {
  /** Which ML Program: `''` for the root model, `pipeline.models[1]` inside a pipeline. @defaultValue the root, or the only program */
  readonly modelPath?: string;
  /** Function to run. @defaultValue the model's default function, else `main`, else the only function */
  readonly functionName?: string;
}

/** A program ready to run: every constant and compressed weight decoded once, ops resolved to implementations. */
export interface LoadedProgram {
  readonly modelPath: string;
  readonly functionName: string;
  /** Active opset, e.g. `CoreML8`. */
  readonly opset: string;
  readonly inputs: readonly MilValueInfo[];
  readonly outputs: readonly MilValueInfo[];
  /** Number of ops of each type in the block, const and constexpr ops included. */
  readonly opTypeCounts: Readonly<Record<string, number>>;
}

/** One binding of an op parameter: an earlier value by name, or a literal. */
export type PlanBinding = { readonly name: string } | { readonly value: EvalValue };

/** One runnable op. */
export interface PlanStep {
  readonly type: string;
  readonly name: string;
  readonly impl: OpImpl;
  readonly args: ReadonlyArray<readonly [string, readonly PlanBinding[]]>;
  readonly outputs: readonly OutputType[];
}

/** The hidden execution plan of a {@link LoadedProgram}. */
export interface Plan {
  readonly constants: ReadonlyMap<string, EvalValue>;
  readonly steps: readonly PlanStep[];
  readonly blockOutputs: readonly string[];
}

const PLANS = new WeakMap<LoadedProgram, Plan>();

/** The execution plan of a loaded program (internal). */
export function planOf(program: LoadedProgram, where: string): Plan {
  const plan = typeof program === 'object' && program !== null ? PLANS.get(program) : undefined;
  if (plan === undefined) throw evalError('MILEVAL_INVALID_ARGUMENT', where, 'program must come from loadProgram');
  return plan;
}

const FN = 'loadProgram';

function opNameOf(op: MilOperation, index: number): string {
  const v = op.attributes.get('name')?.immediateValue?.tensor?.strings?.values[0];
  return v ?? op.outputs[0]?.name ?? `#${index}`;
}

/**
 * Prepares one function of an ML Program in `pkg` for evaluation: decodes every `const` (immediate or in
 * weight.bin) and every compressed weight produced by `constexpr_*` ops (through io-mlpackage's `readWeight`, so
 * exactly what the file holds), and resolves each other op to its implementation. Fails up front, naming the
 * op, when the program uses an op the evaluator does not implement.
 *
 * @throws QuantError `MILEVAL_UNSUPPORTED_OP` (lists the unsupported op types), `MILEVAL_INVALID_PROGRAM`
 *   (undefined names, malformed literals), `MILEVAL_INVALID_ARGUMENT` (no such program or function), and the
 *   io-mlpackage errors of malformed weights.
 * @example
 * ```ts
 * const program = await loadProgram(await readMlPackage('model.mlpackage'));
 * const { probabilities } = runProgram(program, { image: { data, shape: [1, 1, 28, 28] } });
 * ```
 */
export async function loadProgram(pkg: MlPackage, options: LoadProgramOptions = {}): Promise<LoadedProgram> {
  if (typeof pkg !== 'object' || pkg === null || typeof pkg.programs !== 'object') {
    throw evalError('MILEVAL_INVALID_ARGUMENT', FN, 'pkg must be a package from readMlPackage or a builder');
  }
  const paths = pkg.programs.map((p) => p.modelPath);
  const wanted = options.modelPath ?? (paths.includes('') || paths.length !== 1 ? '' : (paths[0] as string));
  const info = pkg.programs.find((p) => p.modelPath === wanted);
  if (info === undefined) {
    throw evalError(
      'MILEVAL_INVALID_ARGUMENT',
      FN,
      `no ML Program at model path "${wanted}"; the package has ${paths.length === 0 ? 'none' : paths.map((p) => `"${p}"`).join(', ')}`,
    );
  }
  const fnNames = info.functions.map((f) => f.name);
  const defaultFn = pkg.model.description?.defaultFunctionName;
  const fnName =
    options.functionName ??
    (defaultFn !== undefined && fnNames.includes(defaultFn)
      ? defaultFn
      : fnNames.includes('main') || fnNames.length !== 1
        ? 'main'
        : (fnNames[0] as string));
  const fnInfo = info.functions.find((f) => f.name === fnName);
  const milFn: MilFunction | undefined = info.program.functions.get(fnName);
  if (fnInfo === undefined || milFn === undefined) {
    throw evalError(
      'MILEVAL_INVALID_ARGUMENT',
      FN,
      `no function "${fnName}" in the program; it has ${fnNames.map((f) => `"${f}"`).join(', ')}`,
    );
  }
  const where = `${FN}: function ${fnName}`;
  const block = fnInfo.block;
  const ops = block.operations;

  const unsupported = new Set<string>();
  for (const op of ops) {
    const t = op.type ?? '';
    if (t !== 'const' && !CONSTEXPR_OPS.includes(t) && !OPS.has(t)) unsupported.add(t);
    if (op.blocks.length > 0) unsupported.add(`${t} (nested blocks)`);
  }
  if (unsupported.size > 0) {
    throw evalError(
      'MILEVAL_UNSUPPORTED_OP',
      where,
      `the evaluator does not implement ${[...unsupported].map((t) => `"${t}"`).join(', ')}; supported: ${[...OPS.keys()].sort().join(', ')} and const / constexpr ops`,
      { ops: [...unsupported] },
    );
  }

  const inputs: MilValueInfo[] = milFn.inputs.map((nv) => ({
    name: nv.name ?? '',
    ...tensorTypeOf(nv.type, `${where} input ${nv.name ?? ''}`),
  }));
  const defined = new Set(inputs.map((i) => i.name));
  const constexprOut = new Set<string>();
  for (const op of ops)
    if (CONSTEXPR_OPS.includes(op.type ?? '')) for (const o of op.outputs) constexprOut.add(o.name ?? '');
  // constexpr outputs read by real ops or returned: those are decoded.
  const needed = new Set<string>(block.outputs.filter((o) => constexprOut.has(o)));
  for (const op of ops) {
    if (op.type === 'const' || CONSTEXPR_OPS.includes(op.type ?? '')) continue;
    for (const arg of op.inputs.values())
      for (const b of arg.arguments) if (b.name !== undefined && constexprOut.has(b.name)) needed.add(b.name);
  }

  const constants = new Map<string, EvalValue>();
  const steps: PlanStep[] = [];
  const opTypeCounts: Record<string, number> = {};
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as MilOperation;
    const type = op.type ?? '';
    opTypeCounts[type] = (opTypeCounts[type] ?? 0) + 1;
    const name = opNameOf(op, i);
    const opWhere = `${where}, op ${type} "${name}"`;
    if (type === 'const') {
      const val = op.attributes.get('val');
      const out = op.outputs[0]?.name;
      if (val === undefined || out === undefined)
        throw evalError('MILEVAL_INVALID_PROGRAM', opWhere, 'const op without "val" or output');
      if (val.blobFileValue !== undefined) {
        const t = tensorTypeOf(val.type, opWhere);
        const data = await readWeight(pkg, { id: `${info.modelPath}/${fnName}/${out}` });
        constants.set(out, { data, shape: t.shape, dtype: t.dtype });
      } else {
        constants.set(out, decodeImmediate(val, opWhere));
      }
      defined.add(out);
      continue;
    }
    if (CONSTEXPR_OPS.includes(type)) {
      for (const o of op.outputs) {
        const out = o.name ?? '';
        defined.add(out);
        if (!needed.has(out)) continue;
        const t = tensorTypeOf(o.type, opWhere);
        const data = await readWeight(pkg, { id: `${info.modelPath}/${fnName}/${out}` });
        constants.set(out, { data, shape: t.shape, dtype: t.dtype });
      }
      continue;
    }
    const args: Array<readonly [string, PlanBinding[]]> = [];
    for (const [param, arg] of op.inputs) {
      const bindings: PlanBinding[] = arg.arguments.map((b) => {
        if (b.name !== undefined) {
          if (!defined.has(b.name))
            throw evalError(
              'MILEVAL_INVALID_PROGRAM',
              opWhere,
              `parameter ${param} names "${b.name}", which is not defined before this op`,
            );
          return { name: b.name };
        }
        if (b.value === undefined)
          throw evalError('MILEVAL_INVALID_PROGRAM', opWhere, `parameter ${param} has an empty binding`);
        if (b.value.blobFileValue !== undefined)
          throw evalError(
            'MILEVAL_UNSUPPORTED_OP',
            opWhere,
            `parameter ${param} binds a blob literal directly (only const ops may hold blob values)`,
          );
        return { value: decodeImmediate(b.value, `${opWhere} parameter ${param}`) };
      });
      args.push([param, bindings]);
    }
    const outputs: OutputType[] = op.outputs.map((o) => ({ name: o.name ?? '', ...tensorTypeOf(o.type, opWhere) }));
    for (const o of outputs) defined.add(o.name);
    steps.push({ type, name, impl: OPS.get(type) as OpImpl, args, outputs });
  }
  const outputs: MilValueInfo[] = block.outputs.map((name) => {
    if (!defined.has(name))
      throw evalError('MILEVAL_INVALID_PROGRAM', where, `block output "${name}" is never defined`);
    const producer = ops.find((op) => op.outputs.some((o) => o.name === name));
    const nv = producer?.outputs.find((o) => o.name === name) ?? milFn.inputs.find((x) => x.name === name);
    return { name, ...tensorTypeOf(nv?.type, `${where} output ${name}`) };
  });
  const program: LoadedProgram = Object.freeze({
    modelPath: info.modelPath,
    functionName: fnName,
    opset: fnInfo.opset,
    inputs: Object.freeze(inputs),
    outputs: Object.freeze(outputs),
    opTypeCounts: Object.freeze(opTypeCounts),
  });
  PLANS.set(program, { constants, steps, blockOutputs: block.outputs.slice() });
  return program;
}
