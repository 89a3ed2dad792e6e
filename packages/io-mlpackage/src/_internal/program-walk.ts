/** Finding ML Programs in a model (descending into pipelines) and indexing a function's values and uses. */
import type { CoreMLModel, MilBlock, MilFunction, MilOperation, MilProgram } from '../proto-types.js';
import type { MlFunctionInfo, MlProgramInfo } from '../ml-package.js';
import { badModel } from './errors.js';
import { opsetRow } from './opsets.js';

/** An ML Program with the Model message holding it. */
export interface FoundProgram {
  readonly modelPath: string;
  readonly model: CoreMLModel;
  readonly program: MilProgram;
}

/** Maximum pipeline nesting followed. */
const MAX_PIPELINE_DEPTH = 16;

/** Every ML Program in `model`, root first, then pipeline members depth-first. */
export function findPrograms(model: CoreMLModel): FoundProgram[] {
  const out: FoundProgram[] = [];
  const visit = (m: CoreMLModel, path: string, depth: number) => {
    if (depth > MAX_PIPELINE_DEPTH) return;
    if (m.mlProgram !== undefined) out.push({ modelPath: path, model: m, program: m.mlProgram });
    const wrappers: Array<[string, { models: CoreMLModel[] } | undefined]> = [
      ['pipeline', m.pipeline],
      ['pipelineClassifier.pipeline', m.pipelineClassifier?.pipeline],
      ['pipelineRegressor.pipeline', m.pipelineRegressor?.pipeline],
    ];
    for (const [key, p] of wrappers) {
      if (p === undefined) continue;
      p.models.forEach((sub, i) => visit(sub, `${path === '' ? '' : `${path}.`}${key}.models[${i}]`, depth + 1));
    }
  };
  visit(model, '', 0);
  return out;
}

/** Calls `fn` for every op of `block` and of its nested blocks, depth-first in program order. */
export function forEachOp(block: MilBlock, fn: (op: MilOperation, owner: MilBlock) => void, depth = 0): void {
  if (depth > 64) return;
  for (const op of block.operations) {
    fn(op, block);
    for (const b of op.blocks) forEachOp(b, fn, depth + 1);
  }
}

/** The active block of a function; throws if the opset has no specialization. */
export function activeBlock(fn: MilFunction, where: string): MilBlock {
  const opset = fn.opset;
  if (opset === undefined || opset === '') throw badModel(where, 'function has no opset');
  const block = fn.blockSpecializations.get(opset);
  if (block === undefined)
    throw badModel(
      where,
      `opset ${opset} has no block specialization (keys: ${[...fn.blockSpecializations.keys()].join(', ') || 'none'})`,
    );
  return block;
}

/** Op name: the `name` attribute, else the first output name. */
export function opName(op: MilOperation): string {
  const v = op.attributes.get('name')?.immediateValue?.tensor?.strings?.values[0];
  return v ?? op.outputs[0]?.name ?? '';
}

/** Builds the program infos of a model; `where` prefixes errors. */
export function describePrograms(model: CoreMLModel, where: string): MlProgramInfo[] {
  return findPrograms(model).map(({ modelPath, model: m, program }) => {
    const functions: MlFunctionInfo[] = [];
    for (const [name, fn] of program.functions) {
      const block = activeBlock(fn, `${where}: ${modelPath === '' ? '' : `${modelPath}: `}function ${name}`);
      const counts: Record<string, number> = {};
      forEachOp(block, (op) => {
        const t = op.type ?? '';
        counts[t] = (counts[t] ?? 0) + 1;
      });
      functions.push({
        modelPath,
        name,
        opset: fn.opset as string,
        target: opsetRow(fn.opset)?.target ?? null,
        block,
        opTypeCounts: counts,
      });
    }
    return { modelPath, specificationVersion: m.specificationVersion ?? 0, program, functions };
  });
}

/** One use of a value by an op input. */
export interface ValueUse {
  readonly op: MilOperation;
  readonly input: string;
}

/** Producers and uses of every named value of one function. */
export interface FunctionIndex {
  readonly producers: Map<string, { op: MilOperation; block: MilBlock }>;
  readonly uses: Map<string, ValueUse[]>;
  readonly blockOutputs: Set<string>;
}

/** Indexes a function's active block (nested blocks included). */
export function indexBlock(block: MilBlock): FunctionIndex {
  const producers = new Map<string, { op: MilOperation; block: MilBlock }>();
  const uses = new Map<string, ValueUse[]>();
  const blockOutputs = new Set<string>(block.outputs);
  forEachOp(block, (op, owner) => {
    for (const o of op.outputs) if (o.name !== undefined) producers.set(o.name, { op, block: owner });
    for (const [input, arg] of op.inputs) {
      for (const b of arg.arguments) {
        if (b.name === undefined) continue;
        let list = uses.get(b.name);
        if (list === undefined) uses.set(b.name, (list = []));
        list.push({ op, input });
      }
    }
    for (const nested of op.blocks) for (const o of nested.outputs) blockOutputs.add(o);
  });
  return { producers, uses, blockOutputs };
}
