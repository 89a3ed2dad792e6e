import { randomUUID } from 'node:crypto';
import type { Manifest, MlPackage, OpsetTarget } from './ml-package.js';
import type { CoreMLModel, FeatureDescription, MilArgument, MilBlock, MilOperation, MilValue } from './proto-types.js';
import { ioError } from './_internal/errors.js';
import { boolValue, floatBytes, int32Value, stringScalar, tensorFromBytes } from './_internal/make-value.js';
import type { MilDType } from './_internal/mil-types.js';
import { ARRAY_DATA_TYPE, milDTypeByName } from './_internal/mil-types.js';
import { isTarget, targetRow } from './_internal/opsets.js';
import type { PendingBlob } from './_internal/package-state.js';
import { makePackage } from './_internal/package-state.js';
import { tensorValueType } from './_internal/values.js';

/** Element types the builder handles. */
export type BuilderDType = 'float16' | 'float32' | 'int32' | 'bool';

/** A value of the program under construction. */
export interface ProgramVar {
  readonly name: string;
  readonly dtype: BuilderDType;
  readonly shape: readonly number[];
}

/** Options of {@link createProgramBuilder}. */
export interface ProgramBuilderOptions {
  /** Deployment target; selects the opset (`CoreML5`...`CoreML8`) and the specification version (6...9). */
  readonly opset: OpsetTarget;
  /** Function name. @defaultValue 'main' */
  readonly functionName?: string;
}

/** Options of {@link ProgramBuilder.build}. */
export interface BuildOptions {
  readonly author?: string;
  readonly shortDescription?: string;
  readonly versionString?: string;
  readonly license?: string;
  /** `Metadata.userDefined` entries. */
  readonly userDefined?: Readonly<Record<string, string>>;
}

/** Spatial options of conv and pooling ops (MIL parameter names in comments). */
export interface Conv2dOptions {
  /** `strides` @defaultValue [1, 1] */
  readonly strides?: readonly [number, number];
  /** `pad_type` @defaultValue 'valid' */
  readonly padType?: 'valid' | 'same' | 'custom';
  /** `pad` as [top, bottom, left, right] for `custom`. */
  readonly pad?: readonly [number, number, number, number];
  /** `dilations` @defaultValue [1, 1] */
  readonly dilations?: readonly [number, number];
  /** `groups` @defaultValue 1 */
  readonly groups?: number;
  readonly name?: string;
}

/** Options of max_pool / avg_pool. */
export interface Pool2dOptions {
  /** `kernel_sizes` */
  readonly kernelSizes: readonly [number, number];
  /** `strides` @defaultValue kernelSizes */
  readonly strides?: readonly [number, number];
  /** `pad_type` @defaultValue 'valid' */
  readonly padType?: 'valid' | 'same' | 'custom';
  readonly pad?: readonly [number, number, number, number];
  /** `ceil_mode` @defaultValue false */
  readonly ceilMode?: boolean;
  /** avg_pool only: `exclude_padding_from_average` @defaultValue false */
  readonly excludePaddingFromAverage?: boolean;
  readonly name?: string;
}

/**
 * Builds an ML Program op by op (MIL parameter names as in coremltools' op definitions) and turns it into an
 * {@link MlPackage} ready for `writeMlPackage`. Shapes are static and checked as ops are added.
 */
export interface ProgramBuilder {
  /** Declares a function input (a multi-array model input). */
  input(name: string, dtype: BuilderDType, shape: readonly number[]): ProgramVar;
  /** A constant tensor (a `const` op); 10+ float elements go to the blob file, as coremltools does. */
  constant(name: string, values: ArrayLike<number>, shape: readonly number[], dtype?: BuilderDType): ProgramVar;
  /** `linear(x, weight[, bias])`: y = x W^T + b, weight [D_out, D_in]. */
  linear(x: ProgramVar, weight: ProgramVar, bias?: ProgramVar, name?: string): ProgramVar;
  /** `matmul(x, y, transpose_x, transpose_y)`. */
  matmul(
    x: ProgramVar,
    y: ProgramVar,
    options?: { transposeX?: boolean; transposeY?: boolean; name?: string },
  ): ProgramVar;
  /** `conv(x, weight, bias, strides, pad_type, pad, dilations, groups)` over NCHW, weight [C_out, C_in/groups, kH, kW]. */
  conv(x: ProgramVar, weight: ProgramVar, bias?: ProgramVar, options?: Conv2dOptions): ProgramVar;
  /** `max_pool(x, kernel_sizes, strides, pad_type, pad, ceil_mode)`. */
  maxPool(x: ProgramVar, options: Pool2dOptions): ProgramVar;
  /** `avg_pool(x, kernel_sizes, strides, pad_type, pad, exclude_padding_from_average, ceil_mode)`. */
  avgPool(x: ProgramVar, options: Pool2dOptions): ProgramVar;
  /** Element-wise activations: relu, sigmoid, tanh, silu... (any unary op with a single `x` parameter). */
  unary(type: 'relu' | 'sigmoid' | 'tanh' | 'silu' | 'exp' | 'abs' | 'sqrt', x: ProgramVar, name?: string): ProgramVar;
  relu(x: ProgramVar, name?: string): ProgramVar;
  /** `softmax(x, axis)`. */
  softmax(x: ProgramVar, axis?: number, name?: string): ProgramVar;
  /** Broadcasting binary ops `add`, `sub`, `mul`, `real_div`, `maximum`, `minimum` with `x`, `y`. */
  binary(
    type: 'add' | 'sub' | 'mul' | 'real_div' | 'maximum' | 'minimum',
    x: ProgramVar,
    y: ProgramVar,
    name?: string,
  ): ProgramVar;
  add(x: ProgramVar, y: ProgramVar, name?: string): ProgramVar;
  /** `reshape(x, shape)`; one entry may be -1. */
  reshape(x: ProgramVar, shape: readonly number[], name?: string): ProgramVar;
  /** Reshape to [N, prod(rest)] (MIL has no flatten op; coremltools uses reshape too). */
  flatten(x: ProgramVar, name?: string): ProgramVar;
  /** `transpose(x, perm)`. */
  transpose(x: ProgramVar, perm: readonly number[], name?: string): ProgramVar;
  /** `cast(x, dtype)` to float16 / float32 / int32. */
  cast(x: ProgramVar, dtype: 'float16' | 'float32' | 'int32', name?: string): ProgramVar;
  /** Any op: parameters bound by name, outputs declared explicitly. */
  op(
    type: string,
    inputs: Readonly<Record<string, ProgramVar | readonly ProgramVar[]>>,
    outputs: ReadonlyArray<{ dtype: BuilderDType; shape: readonly number[] }>,
    name?: string,
  ): ProgramVar[];
  /** Marks a value as a model output; the value's name becomes the output feature's name. */
  output(v: ProgramVar): void;
  /** Finishes the program into a package held in memory. */
  build(options?: BuildOptions): MlPackage;
}

const FN = 'createProgramBuilder';
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_@]*$/;

function bad(msg: string): never {
  throw ioError('MLPACKAGE_INVALID_ARGUMENT', FN, msg);
}

function mil(d: BuilderDType): MilDType {
  return milDTypeByName(d) as MilDType;
}

function broadcast(a: readonly number[], b: readonly number[], what: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) bad(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function spatial(
  size: number,
  k: number,
  s: number,
  d: number,
  padType: string,
  padA: number,
  padB: number,
  ceil: boolean,
): number {
  const eff = d * (k - 1) + 1;
  if (padType === 'same') return Math.ceil(size / s);
  const total = size + (padType === 'custom' ? padA + padB : 0) - eff;
  if (total < 0) bad(`kernel ${k} (dilation ${d}) is larger than the padded input ${size}`);
  return (ceil ? Math.ceil(total / s) : Math.floor(total / s)) + 1;
}

/**
 * Creates a builder for a single-function ML Program.
 *
 * @example
 * ```ts
 * const b = createProgramBuilder({ opset: 'iOS18' });
 * const x = b.input('x', 'float32', [1, 4]);
 * const w = b.constant('w', new Float32Array(12).fill(0.5), [3, 4]);
 * b.output(b.relu(b.linear(x, w)));
 * const pkg = b.build();
 * ```
 */
export function createProgramBuilder(options: ProgramBuilderOptions): ProgramBuilder {
  if (!isTarget(options?.opset) || options.opset === 'iOS26')
    bad(`opset must be one of iOS15, iOS16, iOS17, iOS18, got ${String(options?.opset)}`);
  const row = targetRow(options.opset);
  const fnName = options.functionName ?? 'main';
  if (!NAME_RE.test(fnName)) bad(`function name "${fnName}" is not a MIL identifier`);
  const ops: MilOperation[] = [];
  const inputs: ProgramVar[] = [];
  const outputs: ProgramVar[] = [];
  const names = new Set<string>();
  const counters = new Map<string, number>();
  const pending = new Map<string, PendingBlob>();
  let built = false;

  const fresh = (base: string, given?: string): string => {
    if (given !== undefined) {
      if (!NAME_RE.test(given)) bad(`name "${given}" is not a MIL identifier ([A-Za-z_][A-Za-z0-9_@]*)`);
      if (names.has(given)) bad(`name "${given}" is already used`);
      names.add(given);
      return given;
    }
    let n = counters.get(base) ?? 0;
    let name = `${base}_${n}`;
    while (names.has(name)) name = `${base}_${++n}`;
    counters.set(base, n + 1);
    names.add(name);
    return name;
  };
  const own = (v: ProgramVar, what: string) => {
    if (v === null || typeof v !== 'object' || !names.has(v.name)) bad(`${what}: not a value of this builder`);
  };
  const checkShape = (shape: readonly number[], what: string) => {
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 1))
      bad(`${what}: shape must be an array of positive integers, got ${JSON.stringify(shape)}`);
  };
  const pushConstOp = (name: string, val: MilValue, dtype: BuilderDType, shape: readonly number[]): ProgramVar => {
    ops.push({
      type: 'const',
      inputs: new Map(),
      outputs: [{ name, type: structuredClone(val.type) as NonNullable<MilValue['type']> }],
      blocks: [],
      attributes: new Map([
        ['name', stringScalar(name)],
        ['val', val],
      ]),
    });
    return { name, dtype, shape: [...shape] };
  };
  const paramConst = (
    op: string,
    param: string,
    val: MilValue,
    dtype: BuilderDType,
    shape: readonly number[],
  ): ProgramVar => pushConstOp(fresh(`${op}_${param}`), val, dtype, shape);
  const addOp = (
    type: string,
    opName: string,
    args: Array<[string, ProgramVar | readonly ProgramVar[]]>,
    outs: ReadonlyArray<{ dtype: BuilderDType; shape: readonly number[] }>,
  ): ProgramVar[] => {
    const outVars = outs.map((o, i) => ({
      name: outs.length === 1 ? opName : `${opName}_${i}`,
      dtype: o.dtype,
      shape: [...o.shape],
    }));
    for (const v of outVars.slice(1)) names.add(v.name);
    const inputsMap = new Map<string, MilArgument>();
    for (const [k, v] of args) {
      const list = Array.isArray(v) ? (v as readonly ProgramVar[]) : [v as ProgramVar];
      inputsMap.set(k, { arguments: list.map((x) => ({ name: x.name })) });
    }
    ops.push({
      type,
      inputs: inputsMap,
      outputs: outVars.map((v) => ({ name: v.name, type: tensorValueType(mil(v.dtype), v.shape) })),
      blocks: [],
      attributes: new Map([['name', stringScalar(opName)]]),
    });
    return outVars;
  };
  const one = (vs: ProgramVar[]): ProgramVar => vs[0] as ProgramVar;
  const sameFloat = (a: ProgramVar, b: ProgramVar, what: string) => {
    if (a.dtype !== b.dtype) bad(`${what}: dtypes ${a.dtype} and ${b.dtype} differ; cast one first`);
  };

  const b: ProgramBuilder = {
    input(name, dtype, shape) {
      checkShape(shape, `input ${name}`);
      if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'int32')
        bad(`input ${name}: dtype must be float32, float16 or int32`);
      if (dtype === 'float16' && row.spec < 7) bad(`input ${name}: float16 inputs need iOS16 or later`);
      const v = { name: fresh(name, name), dtype, shape: [...shape] };
      inputs.push(v);
      return v;
    },
    constant(name, values, shape, dtype = 'float32') {
      checkShape(shape, `constant ${name}`);
      const count = shape.reduce((a, c) => a * c, 1);
      if (values === null || typeof values !== 'object' || values.length !== count)
        bad(`constant ${name}: ${values?.length} values for shape [${shape.join(', ')}] (${count})`);
      const n = fresh(name, name);
      const f = Float32Array.from(values);
      let val: MilValue;
      if (dtype === 'float16' || dtype === 'float32') {
        for (let i = 0; i < f.length; i++)
          if (!Number.isFinite(f[i] as number)) bad(`constant ${name}: values[${i}] is not finite`);
        val = tensorFromBytes(mil(dtype), shape, floatBytes(f, dtype), pending);
      } else if (dtype === 'int32') val = int32Value(Array.from(values), shape);
      else
        val = boolValue(
          Array.from(values, (x) => x !== 0),
          shape,
        );
      return pushConstOp(n, val, dtype, shape);
    },
    linear(x, weight, bias, name) {
      own(x, 'linear x');
      own(weight, 'linear weight');
      sameFloat(x, weight, 'linear');
      if (weight.shape.length !== 2) bad(`linear: weight must be [D_out, D_in], got [${weight.shape.join(', ')}]`);
      const [dOut, dIn] = weight.shape as [number, number];
      if (x.shape[x.shape.length - 1] !== dIn) bad(`linear: x [${x.shape.join(', ')}] does not end in D_in = ${dIn}`);
      const opName = fresh('linear', name);
      const args: Array<[string, ProgramVar]> = [
        ['x', x],
        ['weight', weight],
      ];
      if (bias !== undefined) {
        own(bias, 'linear bias');
        if (bias.shape.length !== 1 || bias.shape[0] !== dOut) bad(`linear: bias must be [${dOut}]`);
        args.push(['bias', bias]);
      }
      return one(addOp('linear', opName, args, [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), dOut] }]));
    },
    matmul(x, y, o = {}) {
      own(x, 'matmul x');
      own(y, 'matmul y');
      sameFloat(x, y, 'matmul');
      if (x.shape.length < 2 || y.shape.length < 2) bad('matmul: both operands need rank >= 2');
      const xs = [...x.shape];
      const ys = [...y.shape];
      if (o.transposeX === true) xs.push(xs.splice(-2, 1)[0] as number);
      if (o.transposeY === true) ys.push(ys.splice(-2, 1)[0] as number);
      if (xs[xs.length - 1] !== ys[ys.length - 2])
        bad(`matmul: inner dimensions ${xs[xs.length - 1]} and ${ys[ys.length - 2]} differ`);
      const batch = broadcast(xs.slice(0, -2), ys.slice(0, -2), 'matmul');
      const opName = fresh('matmul', o.name);
      const tx = paramConst(opName, 'transpose_x', boolValue([o.transposeX === true]), 'bool', []);
      const ty = paramConst(opName, 'transpose_y', boolValue([o.transposeY === true]), 'bool', []);
      return one(
        addOp(
          'matmul',
          opName,
          [
            ['x', x],
            ['y', y],
            ['transpose_x', tx],
            ['transpose_y', ty],
          ],
          [{ dtype: x.dtype, shape: [...batch, xs[xs.length - 2] as number, ys[ys.length - 1] as number] }],
        ),
      );
    },
    conv(x, weight, bias, o = {}) {
      own(x, 'conv x');
      own(weight, 'conv weight');
      sameFloat(x, weight, 'conv');
      if (x.shape.length !== 4 || weight.shape.length !== 4)
        bad('conv: x must be [N, C, H, W] and weight [C_out, C_in/groups, kH, kW]');
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const [cOut, cInG, kh, kw] = weight.shape as [number, number, number, number];
      const groups = o.groups ?? 1;
      if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || cInG !== c / groups || cOut % groups !== 0)
        bad(`conv: weight [${weight.shape.join(', ')}] does not fit x [${x.shape.join(', ')}] with groups ${groups}`);
      const strides = o.strides ?? [1, 1];
      const dil = o.dilations ?? [1, 1];
      const padType = o.padType ?? 'valid';
      const pad = o.pad ?? [0, 0, 0, 0];
      const opName = fresh('conv', o.name);
      const args: Array<[string, ProgramVar]> = [
        ['x', x],
        ['weight', weight],
      ];
      if (bias !== undefined) {
        own(bias, 'conv bias');
        if (bias.shape.length !== 1 || bias.shape[0] !== cOut) bad(`conv: bias must be [${cOut}]`);
        args.push(['bias', bias]);
      }
      args.push(['strides', paramConst(opName, 'strides', int32Value([...strides], [2]), 'int32', [2])]);
      args.push(['pad_type', paramConst(opName, 'pad_type', stringScalar(padType), 'int32', [])]);
      args.push(['pad', paramConst(opName, 'pad', int32Value([...pad], [4]), 'int32', [4])]);
      args.push(['dilations', paramConst(opName, 'dilations', int32Value([...dil], [2]), 'int32', [2])]);
      args.push(['groups', paramConst(opName, 'groups', int32Value([groups]), 'int32', [])]);
      const ho = spatial(h, kh, strides[0], dil[0], padType, pad[0], pad[1], false);
      const wo = spatial(w, kw, strides[1], dil[1], padType, pad[2], pad[3], false);
      return one(addOp('conv', opName, args, [{ dtype: x.dtype, shape: [n, cOut, ho, wo] }]));
    },
    maxPool(x, o) {
      return pool('max_pool', x, o);
    },
    avgPool(x, o) {
      return pool('avg_pool', x, o);
    },
    unary(type, x, name) {
      own(x, type);
      return one(addOp(type, fresh(type, name), [['x', x]], [{ dtype: x.dtype, shape: x.shape }]));
    },
    relu(x, name) {
      return b.unary('relu', x, name);
    },
    softmax(x, axis = -1, name) {
      own(x, 'softmax');
      if (!Number.isInteger(axis) || axis < -x.shape.length || axis >= x.shape.length)
        bad(`softmax: axis ${axis} out of range`);
      const opName = fresh('softmax', name);
      const ax = paramConst(opName, 'axis', int32Value([axis]), 'int32', []);
      return one(
        addOp(
          'softmax',
          opName,
          [
            ['x', x],
            ['axis', ax],
          ],
          [{ dtype: x.dtype, shape: x.shape }],
        ),
      );
    },
    binary(type, x, y, name) {
      own(x, type);
      own(y, type);
      sameFloat(x, y, type);
      return one(
        addOp(
          type,
          fresh(type, name),
          [
            ['x', x],
            ['y', y],
          ],
          [{ dtype: x.dtype, shape: broadcast(x.shape, y.shape, type) }],
        ),
      );
    },
    add(x, y, name) {
      return b.binary('add', x, y, name);
    },
    reshape(x, shape, name) {
      own(x, 'reshape');
      const count = x.shape.reduce((a, c) => a * c, 1);
      const known = shape.filter((d) => d !== -1).reduce((a, c) => a * c, 1);
      if (
        shape.filter((d) => d === -1).length > 1 ||
        shape.some((d) => !Number.isInteger(d) || d === 0 || d < -1) ||
        count % known !== 0
      )
        bad(`reshape: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
      const out = shape.map((d) => (d === -1 ? count / known : d));
      if (out.reduce((a, c) => a * c, 1) !== count)
        bad(`reshape: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
      const opName = fresh('reshape', name);
      const s = paramConst(opName, 'shape', int32Value(out, [out.length]), 'int32', [out.length]);
      return one(
        addOp(
          'reshape',
          opName,
          [
            ['x', x],
            ['shape', s],
          ],
          [{ dtype: x.dtype, shape: out }],
        ),
      );
    },
    flatten(x, name) {
      return b.reshape(x, [x.shape[0] ?? 1, -1], name);
    },
    transpose(x, perm, name) {
      own(x, 'transpose');
      const sorted = [...perm].sort((a, c) => a - c);
      if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i))
        bad(`transpose: perm [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`);
      const opName = fresh('transpose', name);
      const p = paramConst(opName, 'perm', int32Value([...perm], [perm.length]), 'int32', [perm.length]);
      return one(
        addOp(
          'transpose',
          opName,
          [
            ['x', x],
            ['perm', p],
          ],
          [{ dtype: x.dtype, shape: perm.map((i) => x.shape[i] as number) }],
        ),
      );
    },
    cast(x, dtype, name) {
      own(x, 'cast');
      const code = { float16: 'fp16', float32: 'fp32', int32: 'int32' }[dtype];
      if (code === undefined) bad(`cast: dtype must be float16, float32 or int32`);
      const opName = fresh('cast', name);
      const d = paramConst(opName, 'dtype', stringScalar(code), 'int32', []);
      return one(
        addOp(
          'cast',
          opName,
          [
            ['x', x],
            ['dtype', d],
          ],
          [{ dtype, shape: x.shape }],
        ),
      );
    },
    op(type, inputsArg, outs, name) {
      if (typeof type !== 'string' || !NAME_RE.test(type)) bad(`op: type "${type}" is not a valid op type`);
      const args = Object.entries(inputsArg);
      for (const [k, v] of args)
        for (const x of Array.isArray(v) ? v : [v]) own(x as ProgramVar, `op ${type} input ${k}`);
      if (outs.length === 0) bad(`op ${type}: declare at least one output`);
      for (const o of outs) checkShape(o.shape, `op ${type} output`);
      return addOp(type, fresh(type, name), args, outs);
    },
    output(v) {
      own(v, 'output');
      if (outputs.some((o) => o.name === v.name)) bad(`output ${v.name} is already an output`);
      if (v.dtype === 'bool') bad(`output ${v.name}: bool outputs are not supported`);
      outputs.push(v);
    },
    build(bo = {}) {
      if (built) bad('build() was already called');
      if (outputs.length === 0) bad('declare at least one output before build()');
      built = true;
      const opset = row.opset;
      const block: MilBlock = {
        inputs: [],
        outputs: outputs.map((o) => o.name),
        operations: ops,
        attributes: new Map(),
      };
      const feature = (v: ProgramVar): FeatureDescription => ({
        name: v.name,
        type: {
          multiArrayType: {
            shape: [...v.shape],
            dataType: ARRAY_DATA_TYPE[v.dtype as 'float32' | 'float16' | 'int32'],
          },
        },
      });
      const metadata = {
        userDefined: new Map(Object.entries(bo.userDefined ?? {})),
        ...(bo.shortDescription === undefined ? {} : { shortDescription: bo.shortDescription }),
        ...(bo.versionString === undefined ? {} : { versionString: bo.versionString }),
        ...(bo.author === undefined ? {} : { author: bo.author }),
        ...(bo.license === undefined ? {} : { license: bo.license }),
      };
      const model: CoreMLModel = {
        specificationVersion: row.spec,
        description: {
          input: inputs.map(feature),
          output: outputs.map(feature),
          state: [],
          functions: [],
          trainingInput: [],
          metadata,
        },
        mlProgram: {
          version: 1,
          functions: new Map([
            [
              fnName,
              {
                inputs: inputs.map((v) => ({ name: v.name, type: tensorValueType(mil(v.dtype), v.shape) })),
                opset,
                blockSpecializations: new Map([[opset, block]]),
                attributes: new Map(),
              },
            ],
          ]),
          attributes: new Map(),
        },
      };
      const modelId = randomUUID().toUpperCase();
      const weightsId = randomUUID().toUpperCase();
      const manifest: Manifest = {
        fileFormatVersion: '1.0.0',
        itemInfoEntries: {
          [modelId]: {
            author: 'com.apple.CoreML',
            description: 'CoreML Model Specification',
            name: 'model.mlmodel',
            path: 'com.apple.CoreML/model.mlmodel',
          },
          [weightsId]: {
            author: 'com.apple.CoreML',
            description: 'CoreML Model Weights',
            name: 'weights',
            path: 'com.apple.CoreML/weights',
          },
        },
        rootModelIdentifier: modelId,
      };
      return makePackage(
        {
          sourcePath: null,
          manifest,
          rootModelPath: 'com.apple.CoreML/model.mlmodel',
          weightsPath: 'com.apple.CoreML/weights',
          model,
        },
        pending,
        new Set(),
        'ProgramBuilder.build',
      );
    },
  };

  function pool(type: 'max_pool' | 'avg_pool', x: ProgramVar, o: Pool2dOptions): ProgramVar {
    own(x, type);
    if (x.shape.length !== 4) bad(`${type}: x must be [N, C, H, W]`);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const k = o?.kernelSizes;
    if (!Array.isArray(k) || k.length !== 2) bad(`${type}: kernelSizes must be [kH, kW]`);
    const strides = o.strides ?? k;
    const padType = o.padType ?? 'valid';
    const pad = o.pad ?? [0, 0, 0, 0];
    const ceil = o.ceilMode ?? false;
    const opName = fresh(type, o.name);
    const args: Array<[string, ProgramVar]> = [['x', x]];
    args.push(['kernel_sizes', paramConst(opName, 'kernel_sizes', int32Value([...k], [2]), 'int32', [2])]);
    args.push(['strides', paramConst(opName, 'strides', int32Value([...strides], [2]), 'int32', [2])]);
    args.push(['pad_type', paramConst(opName, 'pad_type', stringScalar(padType), 'int32', [])]);
    args.push(['pad', paramConst(opName, 'pad', int32Value([...pad], [4]), 'int32', [4])]);
    if (type === 'avg_pool')
      args.push([
        'exclude_padding_from_average',
        paramConst(
          opName,
          'exclude_padding_from_average',
          boolValue([o.excludePaddingFromAverage ?? false]),
          'bool',
          [],
        ),
      ]);
    args.push(['ceil_mode', paramConst(opName, 'ceil_mode', boolValue([ceil]), 'bool', [])]);
    const ho = spatial(h, k[0], strides[0], 1, padType, pad[0], pad[1], ceil);
    const wo = spatial(w, k[1], strides[1], 1, padType, pad[2], pad[3], ceil);
    return one(addOp(type, opName, args, [{ dtype: x.dtype, shape: [n, c, ho, wo] }]));
  }

  return b;
}
