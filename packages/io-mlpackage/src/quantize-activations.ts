import { float16BitsToFloat32, float32ToFloat16Bits } from '@lowbit/dtypes';
import type { MlPackage } from './ml-package.js';
import type { CoreMLModel, MilBlock, MilOperation, MilTensorType, MilValue, MilValueType } from './proto-types.js';
import { ioError } from './_internal/errors.js';
import { floatBytes, immediateFromBytes, int32Value, stringScalar } from './_internal/make-value.js';
import type { MilDType } from './_internal/mil-types.js';
import { milDTypeByName, milDTypeByNumber, milDTypeLabel } from './_internal/mil-types.js';
import { opsetRow, targetRow } from './_internal/opsets.js';
import { derivePackage } from './_internal/package-state.js';
import { findPrograms, opName } from './_internal/program-walk.js';

/**
 * Calibrated quantization parameters for one op input: the value bound to `input` of op `op` is replaced by
 * `dequantize(quantize(value))`. Per-tensor with a scalar `scale` / `zeroPoint`; per-axis with vectors along
 * `axis` (one entry per index of that dimension of the input).
 */
export interface ActivationQuantization {
  /** Name of the op that reads the activation (its `name` attribute, e.g. `fc1`). */
  readonly op: string;
  /** The op parameter bound to the activation. @defaultValue 'x' */
  readonly input?: string;
  /** Code type of the quantized activation. */
  readonly dtype: 'int8' | 'uint8';
  /** Scale: a number (per-tensor) or one per index along `axis`; finite and > 0. */
  readonly scale: number | ArrayLike<number>;
  /** Integer zero point(s) in the dtype's range, shaped like `scale`. */
  readonly zeroPoint: number | ArrayLike<number>;
  /** Axis of the input the vectors run along (negative counts from the end); required with vectors only. */
  readonly axis?: number;
  /** Function holding the op, when its name occurs in more than one function. */
  readonly functionName?: string;
  /** Program holding the op (`''` for the root model, `pipeline.models[1]`...), when its name is ambiguous. */
  readonly modelPath?: string;
}

/** What was inserted for one {@link ActivationQuantization}. */
export interface QuantizedActivation {
  readonly modelPath: string;
  readonly functionName: string;
  /** The consuming op and its parameter. */
  readonly op: string;
  readonly input: string;
  /** The value that is quantized (what the parameter was bound to). */
  readonly source: string;
  /** Names of the inserted `quantize` and `dequantize` ops (also their output names); the op now reads `dequantizeOp`. */
  readonly quantizeOp: string;
  readonly dequantizeOp: string;
  /** Names of the inserted `const` parameters. */
  readonly constNames: {
    readonly scale: string;
    readonly zeroPoint: string;
    readonly axis: string | null;
    readonly outputDtype: string;
  };
  readonly dtype: 'int8' | 'uint8';
  /** Dtype the scales are stored in: the activation's float dtype, as the op definition requires. */
  readonly scaleDtype: 'float16' | 'float32';
  /** Scales exactly as written (rounded to `scaleDtype`): one value per-tensor, else one per index along `axis`. */
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  /** Non-negative axis of a per-axis pair, null for per-tensor. */
  readonly axis: number | null;
}

/** Result of {@link quantizeActivations}. */
export interface QuantizeActivationsResult {
  /** The new package; the input package is untouched. */
  readonly package: MlPackage;
  /** One record per entry, in the given order. */
  readonly activations: readonly QuantizedActivation[];
}

const FN = 'quantizeActivations';
const RANGE: Readonly<Record<'int8' | 'uint8', readonly [number, number]>> = { int8: [-128, 127], uint8: [0, 255] };

function bad(op: string, msg: string, details: Record<string, unknown> = {}) {
  return ioError('MLPACKAGE_INVALID_ARGUMENT', FN, `op "${op}": ${msg}`, { op, ...details });
}

function unsupported(op: string, msg: string, details: Record<string, unknown> = {}) {
  return ioError('MLPACKAGE_UNSUPPORTED', FN, `op "${op}": ${msg}`, { op, ...details });
}

function isArrayLike(v: unknown): v is ArrayLike<number> {
  return (
    Array.isArray(v) ||
    (ArrayBuffer.isView(v) && !(v instanceof DataView)) ||
    (typeof v === 'object' && v !== null && typeof (v as { length?: unknown }).length === 'number')
  );
}

/** Where one consumer op sits and how its parameter is bound. */
interface Target {
  readonly modelPath: string;
  readonly functionName: string;
  readonly block: MilBlock;
  readonly op: MilOperation;
  readonly opset: string;
  readonly specificationVersion: number;
  readonly names: Set<string>;
  readonly types: Map<string, MilValueType>;
  readonly producers: Map<string, MilOperation>;
}

function constOp(name: string, val: MilValue): MilOperation {
  return {
    type: 'const',
    inputs: new Map(),
    outputs: [{ name, type: structuredClone(val.type) as MilValueType }],
    blocks: [],
    attributes: new Map([
      ['name', stringScalar(name)],
      ['val', val],
    ]),
  };
}

function fresh(names: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
  names.add(name);
  return name;
}

/** Checks scale / zero point / axis and returns them as written (scales rounded to the activation's dtype). */
function checkParams(
  e: ActivationQuantization,
  op: string,
  floatType: 'float16' | 'float32',
  tt: MilTensorType,
): { scales: Float32Array; zps: Int32Array; axis: number | null } {
  if (e.dtype !== 'int8' && e.dtype !== 'uint8')
    throw bad(op, `dtype must be "int8" or "uint8", got ${JSON.stringify(e.dtype)}`);
  const vector = typeof e.scale !== 'number';
  if (vector && !isArrayLike(e.scale)) throw bad(op, 'scale must be a number or an array of numbers');
  const given = vector ? Array.from(e.scale as ArrayLike<number>) : [e.scale as number];
  if (given.length === 0) throw bad(op, 'scale is an empty array');
  let axis: number | null = null;
  const rank = tt.rank ?? 0;
  if (vector) {
    if (e.axis === undefined) throw bad(op, `axis is required with a scale vector (${given.length} entries)`);
    if (rank < 1) throw unsupported(op, 'per-axis quantization needs an input of known rank');
    if (!Number.isInteger(e.axis) || e.axis < -rank || e.axis >= rank)
      throw bad(op, `axis ${e.axis} is outside [-${rank}, ${rank - 1}] for the rank-${rank} input`);
    axis = e.axis < 0 ? e.axis + rank : e.axis;
    const size = tt.dimensions[axis]?.constant?.size;
    if (tt.dimensions[axis]?.constant === undefined || size === undefined)
      throw unsupported(op, `input dimension ${axis} is not static; per-axis parameters need its size`);
    if (size !== given.length) throw bad(op, `scale has ${given.length} entries, input dimension ${axis} has ${size}`);
  } else if (e.axis !== undefined) {
    throw bad(op, 'axis must not be given with a scalar scale (the op definition forbids it)');
  }
  const zVector = typeof e.zeroPoint !== 'number';
  if (zVector !== vector || (zVector && !isArrayLike(e.zeroPoint)))
    throw bad(
      op,
      `zeroPoint must be ${vector ? `an array of ${given.length} integers like scale` : 'a number like scale'}`,
    );
  const zGiven = zVector ? Array.from(e.zeroPoint as ArrayLike<number>) : [e.zeroPoint as number];
  if (zGiven.length !== given.length)
    throw bad(op, `zeroPoint has ${zGiven.length} entries, scale has ${given.length}`);
  const scales = new Float32Array(given.length);
  for (let i = 0; i < given.length; i++) {
    const s = given[i];
    const at = vector ? `scale[${i}]` : 'scale';
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0)
      throw bad(op, `${at} = ${String(s)} must be a finite number > 0`);
    const w = floatType === 'float16' ? float16BitsToFloat32(float32ToFloat16Bits(s)) : Math.fround(s);
    if (!Number.isFinite(w) || w === 0)
      throw bad(
        op,
        `${at} = ${s} ${Number.isFinite(w) ? 'underflows to 0' : 'overflows'} in ${floatType}, the activation's dtype`,
      );
    scales[i] = w;
  }
  const [lo, hi] = RANGE[e.dtype];
  const zps = new Int32Array(zGiven.length);
  for (let i = 0; i < zGiven.length; i++) {
    const z = zGiven[i];
    if (typeof z !== 'number' || !Number.isInteger(z) || z < lo || z > hi)
      throw bad(
        op,
        `${zVector ? `zeroPoint[${i}]` : 'zeroPoint'} = ${String(z)} must be an integer in the ${e.dtype} range [${lo}, ${hi}]`,
      );
    zps[i] = z;
  }
  return { scales, zps, axis };
}

/** Every op of every function, with what is needed to rewrite it; built on the cloned model. */
function collectTargets(model: CoreMLModel): Map<string, Target[]> {
  const byName = new Map<string, Target[]>();
  for (const prog of findPrograms(model)) {
    for (const [functionName, fn] of prog.program.functions) {
      const opset = fn.opset ?? '';
      const root = fn.blockSpecializations.get(opset);
      if (root === undefined) continue;
      const names = new Set<string>();
      const types = new Map<string, MilValueType>();
      const producers = new Map<string, MilOperation>();
      const addValue = (name: string | undefined, type: MilValueType | undefined) => {
        if (name === undefined) return;
        names.add(name);
        if (type !== undefined) types.set(name, type);
      };
      for (const i of fn.inputs) addValue(i.name, i.type);
      const visit = (block: MilBlock, depth: number) => {
        if (depth > 64) return;
        for (const i of block.inputs) addValue(i.name, i.type);
        for (const op of block.operations) {
          for (const o of op.outputs) {
            addValue(o.name, o.type);
            if (o.name !== undefined) producers.set(o.name, op);
          }
          names.add(opName(op));
          const hit: Target = {
            modelPath: prog.modelPath,
            functionName,
            block,
            op,
            opset,
            specificationVersion: prog.model.specificationVersion ?? 0,
            names,
            types,
            producers,
          };
          const list = byName.get(opName(op));
          if (list === undefined) byName.set(opName(op), [hit]);
          else list.push(hit);
          for (const b of op.blocks) visit(b, depth + 1);
        }
      };
      visit(root, 0);
    }
  }
  return byName;
}

function pickTarget(byName: Map<string, Target[]>, e: ActivationQuantization): Target {
  const all = byName.get(e.op) ?? [];
  const hits = all.filter(
    (t) =>
      (e.functionName === undefined || t.functionName === e.functionName) &&
      (e.modelPath === undefined || t.modelPath === e.modelPath),
  );
  if (hits.length === 0) {
    const where = [
      e.modelPath === undefined ? '' : ` in program "${e.modelPath}"`,
      e.functionName === undefined ? '' : ` in function ${e.functionName}`,
    ].join('');
    throw ioError('MLPACKAGE_NOT_FOUND', FN, `op "${e.op}": no op of that name${where}`, { op: e.op });
  }
  if (hits.length > 1) {
    const places = hits.map((t) => `${t.modelPath === '' ? '' : `${t.modelPath} `}function ${t.functionName}`);
    throw bad(e.op, `the name occurs ${hits.length} times (${places.join('; ')}); give functionName / modelPath`);
  }
  return hits[0] as Target;
}

/**
 * Inserts activation quantization the way Core ML expresses it (iOS17+ `quantize` / `dequantize`, coremltools
 * `iOS17/quantization_ops.py`): for each entry, in front of the op, `const` ops for `scale` (in the activation's
 * float dtype), `zero_point` (in the code dtype), `axis` (per-axis only) and `output_dtype`, then
 * `quantize(input, zero_point, scale[, axis], output_dtype)` and `dequantize(input, zero_point, scale[, axis])`,
 * and rebinds the op's parameter to the dequantized value. New names never collide with existing values or ops.
 * Nothing else changes. Returns a new package (write it with `writeMlPackage`); the input is untouched.
 *
 * @throws QuantError `MLPACKAGE_OPSET_TOO_OLD` (the function's opset is older than iOS17 / CoreML7; the message
 *   names `upgradeOpset(pkg, 'iOS17')`), `MLPACKAGE_NOT_FOUND` (no op of that name),
 *   `MLPACKAGE_UNSUPPORTED` (the parameter is not bound to one named fp16/fp32 tensor, or already reads a
 *   dequantize), `MLPACKAGE_INVALID_ARGUMENT` (scale not finite and > 0, zero point outside the dtype range,
 *   bad axis, an entry listed twice, an ambiguous op name).
 * @example
 * ```ts
 * const { package: out } = quantizeActivations(pkg, [{ op: 'fc1', dtype: 'int8', scale: 0.02, zeroPoint: 0 }]);
 * await writeMlPackage(out, 'w8a8.mlpackage');
 * ```
 */
export function quantizeActivations(
  pkg: MlPackage,
  entries: readonly ActivationQuantization[],
): QuantizeActivationsResult {
  if (!Array.isArray(entries))
    throw ioError(
      'MLPACKAGE_INVALID_ARGUMENT',
      FN,
      'entries must be an array of { op, input?, dtype, scale, zeroPoint }',
    );
  const model: CoreMLModel = structuredClone(pkg.model);
  const byName = collectTargets(model);
  const inserts = new Map<MilOperation, MilOperation[]>();
  const blocks = new Set<MilBlock>();
  const seen = new Set<string>();
  const report: QuantizedActivation[] = [];
  for (const e of entries) {
    if (e === null || typeof e !== 'object' || typeof e.op !== 'string' || e.op === '')
      throw ioError('MLPACKAGE_INVALID_ARGUMENT', FN, 'each entry needs an op name (a non-empty string)');
    const t = pickTarget(byName, e);
    const param = e.input ?? 'x';
    if (typeof param !== 'string' || param === '') throw bad(e.op, 'input must be a parameter name');
    const key = `${t.modelPath}/${t.functionName}/${e.op}:${param}`;
    if (seen.has(key)) throw bad(e.op, `parameter ${param} is listed twice`);
    seen.add(key);
    const row = opsetRow(t.opset);
    if (row === undefined)
      throw unsupported(e.op, `function ${t.functionName} has opset ${t.opset}, unknown to lowbit`, { opset: t.opset });
    if (row.order < targetRow('iOS17').order || t.specificationVersion < targetRow('iOS17').spec) {
      throw ioError(
        'MLPACKAGE_OPSET_TOO_OLD',
        FN,
        `op "${e.op}": quantize / dequantize are iOS17 ops, function ${t.functionName} is ${t.opset} (${row.target}, specificationVersion ${t.specificationVersion}); raise it with upgradeOpset(pkg, 'iOS17') (--target iOS17, or iOS18) where checkOpsetUpgrade allows, or convert the model for iOS17+`,
        { op: e.op, opset: t.opset, needs: 'iOS17' },
      );
    }
    const arg = t.op.inputs.get(param);
    if (arg === undefined) {
      const have = [...t.op.inputs.keys()].join(', ') || 'none';
      throw bad(e.op, `${t.op.type} has no parameter "${param}" bound (parameters: ${have})`);
    }
    const binding = arg.arguments[0];
    if (arg.arguments.length !== 1 || binding?.name === undefined)
      throw unsupported(e.op, `parameter ${param} is not bound to a single named tensor value`);
    const source = binding.name;
    const type = t.types.get(source);
    const tt = type?.tensorType;
    const dt = tt?.dataType === undefined ? undefined : milDTypeByNumber(tt.dataType);
    if (type === undefined || tt === undefined)
      throw unsupported(e.op, `parameter ${param} reads "${source}", which is not a tensor value of this function`);
    if (dt?.name !== 'float16' && dt?.name !== 'float32')
      throw unsupported(
        e.op,
        `parameter ${param} reads "${source}" of type ${milDTypeLabel(tt.dataType)}; quantize takes fp16 or fp32`,
      );
    if ((tt.rank ?? 0) === 0)
      throw unsupported(e.op, `parameter ${param} reads the scalar "${source}"; quantize needs rank >= 1`);
    if (t.producers.get(source)?.type === 'dequantize')
      throw unsupported(e.op, `parameter ${param} already reads the dequantize output "${source}"`);
    const floatType = dt.name as 'float16' | 'float32';
    const { scales, zps, axis } = checkParams(e, e.op, floatType, tt);
    const base = `${e.op}_${param}`;
    const scaleName = fresh(t.names, `${base}_scale`);
    const zpName = fresh(t.names, `${base}_zero_point`);
    const axisName = axis === null ? null : fresh(t.names, `${base}_axis`);
    const dtypeName = fresh(t.names, `${base}_output_dtype`);
    const qName = fresh(t.names, `${base}_quantized`);
    const dqName = fresh(t.names, `${base}_dequantized`);
    const shape = axis === null ? [] : [scales.length];
    const codeType = milDTypeByName(e.dtype) as MilDType;
    const zpBytes = new Uint8Array(zps.length);
    for (let i = 0; i < zps.length; i++) zpBytes[i] = (zps[i] as number) & 0xff;
    const ops: MilOperation[] = [
      constOp(scaleName, immediateFromBytes(dt, shape, floatBytes(scales, floatType))),
      constOp(zpName, immediateFromBytes(codeType, shape, zpBytes)),
    ];
    if (axisName !== null) ops.push(constOp(axisName, int32Value([axis as number])));
    ops.push(constOp(dtypeName, stringScalar(e.dtype)));
    const params = (withDtype: boolean) => {
      const m = new Map([
        ['input', { arguments: [{ name: withDtype ? source : qName }] }],
        ['zero_point', { arguments: [{ name: zpName }] }],
        ['scale', { arguments: [{ name: scaleName }] }],
      ]);
      if (axisName !== null) m.set('axis', { arguments: [{ name: axisName }] });
      if (withDtype) m.set('output_dtype', { arguments: [{ name: dtypeName }] });
      return m;
    };
    const qType = structuredClone(type);
    (qType.tensorType as MilTensorType).dataType = codeType.mil;
    ops.push(
      {
        type: 'quantize',
        inputs: params(true),
        outputs: [{ name: qName, type: qType }],
        blocks: [],
        attributes: new Map([['name', stringScalar(qName)]]),
      },
      {
        type: 'dequantize',
        inputs: params(false),
        outputs: [{ name: dqName, type: structuredClone(type) }],
        blocks: [],
        attributes: new Map([['name', stringScalar(dqName)]]),
      },
    );
    const list = inserts.get(t.op);
    if (list === undefined) inserts.set(t.op, ops);
    else list.push(...ops);
    blocks.add(t.block);
    t.op.inputs.set(param, { ...arg, arguments: [{ ...binding, name: dqName }] });
    report.push({
      modelPath: t.modelPath,
      functionName: t.functionName,
      op: e.op,
      input: param,
      source,
      quantizeOp: qName,
      dequantizeOp: dqName,
      constNames: { scale: scaleName, zeroPoint: zpName, axis: axisName, outputDtype: dtypeName },
      dtype: e.dtype,
      scaleDtype: floatType,
      scales,
      zeroPoints: zps,
      axis,
    });
  }
  if (report.length === 0) return { package: pkg, activations: [] };
  for (const block of blocks) {
    const out: MilOperation[] = [];
    for (const op of block.operations) {
      const before = inserts.get(op);
      if (before !== undefined) out.push(...before);
      out.push(op);
    }
    block.operations = out;
  }
  return { package: derivePackage(pkg, model, new Map(), FN), activations: report };
}
