import { float16BitsToFloat32, float32ToFloat16Bits, getDType, hasDType } from '@lowbit/dtypes';
import type { QuantizedTensor } from '@lowbit/spec';
import type { MlPackage, OpsetTarget } from './ml-package.js';
import type { CoreMLModel, MilBlock, MilNamedValueType, MilOperation, MilValue } from './proto-types.js';
import type { WeightRef } from './_internal/find-weight.js';
import { ioError } from './_internal/errors.js';
import { findWeightFunction } from './_internal/find-weight.js';
import { floatBytes, int32Value, stringScalar, tensorFromBytes } from './_internal/make-value.js';
import type { MilDType } from './_internal/mil-types.js';
import { milDTypeByName, packedBytes } from './_internal/mil-types.js';
import { opsetRow, targetRow } from './_internal/opsets.js';
import type { PendingBlob } from './_internal/package-state.js';
import { derivePackage } from './_internal/package-state.js';
import { findPrograms, indexBlock, opName } from './_internal/program-walk.js';
import { staticTensorType } from './_internal/values.js';

/** One weight to replace and the quantized tensor to store for it. */
export interface WeightReplacement {
  /** The const weight: its name, its id, or a record from `listWeights`. */
  readonly weight: WeightRef;
  /** Codes and scales computed elsewhere (kernels, ptq, gptq...), with the weight's shape. */
  readonly tensor: QuantizedTensor;
}

/** What was written for one weight. */
export interface CompressedWeight {
  /** Weight id (`<modelPath>/<function>/<name>`). */
  readonly id: string;
  readonly name: string;
  /** The op that now produces the weight. */
  readonly op: 'constexpr_affine_dequantize' | 'constexpr_blockwise_shift_scale';
  /** Stored code dtype. */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly blockShape: readonly number[];
  /** Shape of the stored scale tensor (`[]` for a scalar, `[C]` for an iOS16 per-channel vector). */
  readonly scaleShape: readonly number[];
  /** Dtype the scales were stored in: the weight's float dtype, as coremltools does. */
  readonly scaleDtype: 'float16' | 'float32';
  /** The scales exactly as written (rounded to `scaleDtype`), one per block. */
  readonly scales: Float32Array;
  /** How many scales changed when rounded to `scaleDtype` (0 when every given scale was exact). */
  readonly inexactScales: number;
  /** Largest relative change of a scale by that rounding. */
  readonly maxScaleRelativeError: number;
  /** Zero points as written (null when none is stored: symmetric signed). */
  readonly zeroPoints: Int32Array | null;
  /** Bytes stored for the weight before (the const) and after (every stored parameter: codes, scales, zero points, axis). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** Result of {@link compressWeights}. */
export interface CompressResult {
  /** The new package; the input package is untouched. */
  readonly package: MlPackage;
  readonly weights: readonly CompressedWeight[];
}

const FN = 'compressWeights';
const FLOAT_DTYPE_HINT = 'use int8 (iOS16+) or int4 / uint4 (iOS18+)';

interface Plan {
  readonly useBlockwise: boolean;
  readonly axis: number;
  readonly perChannel: boolean;
}

function err(
  code: 'MLPACKAGE_UNSUPPORTED' | 'MLPACKAGE_OPSET_TOO_OLD',
  weight: string,
  msg: string,
  details: Record<string, unknown> = {},
) {
  return ioError(code, FN, `weight "${weight}": ${msg}`, { weight, ...details });
}

function checkTensor(
  t: QuantizedTensor,
  shape: readonly number[],
  name: string,
): { nBlocks: number[]; blockCount: number; dtype: MilDType } {
  if (t === null || typeof t !== 'object') throw err('MLPACKAGE_UNSUPPORTED', name, 'tensor must be a QuantizedTensor');
  const dtypeName = t.dtype;
  if (hasDType(dtypeName) && getDType(dtypeName).kind === 'float') {
    throw err(
      'MLPACKAGE_UNSUPPORTED',
      name,
      `Core ML has no constexpr op for ${dtypeName} weights; ${FLOAT_DTYPE_HINT}`,
      { dtype: dtypeName },
    );
  }
  if (!['int8', 'uint8', 'int4', 'uint4'].includes(dtypeName)) {
    throw err(
      'MLPACKAGE_UNSUPPORTED',
      name,
      `dtype ${dtypeName} cannot be stored by constexpr_affine_dequantize or constexpr_blockwise_shift_scale; ${FLOAT_DTYPE_HINT}`,
      { dtype: dtypeName },
    );
  }
  if (t.minvals !== undefined || t.spec?.qformulation === 'minval') {
    throw err(
      'MLPACKAGE_UNSUPPORTED',
      name,
      'the minval formulation has no exact Core ML form (its offset is not an integer); quantize with qformulation "zp"',
    );
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw err(
      'MLPACKAGE_UNSUPPORTED',
      name,
      `tensor shape [${t.shape.join(', ')}] differs from the weight's shape [${shape.join(', ')}]`,
    );
  }
  if (t.blockShape.length !== shape.length)
    throw err('MLPACKAGE_UNSUPPORTED', name, `blockShape [${t.blockShape.join(', ')}] must have rank ${shape.length}`);
  const nBlocks = shape.map((d, i) => {
    const b = t.blockShape[i] as number;
    if (!Number.isInteger(b) || b < 1 || d % b !== 0)
      throw err('MLPACKAGE_UNSUPPORTED', name, `blockShape[${i}] = ${b} does not divide dimension ${d}`);
    return d / b;
  });
  const blockCount = nBlocks.reduce((a, b) => a * b, 1);
  const count = shape.reduce((a, b) => a * b, 1);
  const dtype = milDTypeByName(dtypeName) as MilDType;
  if (
    !(t.data instanceof Uint8Array || t.data instanceof Int8Array) ||
    t.data.length !== packedBytes(count, dtype.bits)
  ) {
    throw err(
      'MLPACKAGE_UNSUPPORTED',
      name,
      `data must hold ${packedBytes(count, dtype.bits)} bytes of ${dtypeName} codes, got ${t.data?.length}`,
    );
  }
  if (!(t.scales instanceof Float32Array) || t.scales.length !== blockCount) {
    throw err(
      'MLPACKAGE_UNSUPPORTED',
      name,
      `scales must be a Float32Array of ${blockCount} values (one per block), got ${t.scales?.length}`,
    );
  }
  for (let i = 0; i < t.scales.length; i++) {
    if (!Number.isFinite(t.scales[i] as number))
      throw err('MLPACKAGE_UNSUPPORTED', name, `scales[${i}] = ${t.scales[i]} is not finite`);
  }
  if (t.zeroPoints !== undefined) {
    if (!(t.zeroPoints instanceof Int32Array) || t.zeroPoints.length !== blockCount) {
      throw err('MLPACKAGE_UNSUPPORTED', name, `zeroPoints must be an Int32Array of ${blockCount} values`);
    }
    const d = getDType(dtypeName);
    for (let i = 0; i < blockCount; i++) {
      const z = t.zeroPoints[i] as number;
      if (z < d.qmin || z > d.qmax)
        throw err(
          'MLPACKAGE_UNSUPPORTED',
          name,
          `zeroPoints[${i}] = ${z} is outside the ${dtypeName} range [${d.qmin}, ${d.qmax}]`,
        );
    }
  }
  return { nBlocks, blockCount, dtype };
}

function plan(
  t: QuantizedTensor,
  nBlocks: number[],
  target: OpsetTarget | null,
  opset: string,
  spec: number,
  name: string,
): Plan {
  const split = nBlocks.map((n, i) => (n > 1 ? i : -1)).filter((i) => i >= 0);
  const perTensor = split.length === 0;
  const perChannel = split.length === 1 && t.blockShape[split[0] as number] === 1;
  const is4 = t.dtype === 'int4' || t.dtype === 'uint4';
  const what = is4 ? `${t.dtype} weights` : perTensor || perChannel ? '' : 'per-block scales';
  if (target === null) throw err('MLPACKAGE_UNSUPPORTED', name, `opset ${opset} is unknown to lowbit`);
  if (target === 'iOS15') {
    const need = is4 || !(perTensor || perChannel) ? 'iOS18' : 'iOS16';
    throw err(
      'MLPACKAGE_OPSET_TOO_OLD',
      name,
      `opset ${opset} (iOS15) has no constexpr ops; upgrade the program with upgradeOpset(pkg, '${need}') (--target ${need}) where every op allows it`,
      { opset, needs: need },
    );
  }
  if (target === 'iOS16' || target === 'iOS17') {
    if (what !== '') {
      throw err(
        'MLPACKAGE_OPSET_TOO_OLD',
        name,
        `${what} need constexpr_blockwise_shift_scale (iOS18); opset ${opset} (${target}) only has constexpr_affine_dequantize. Use --target iOS18 (upgradeOpset) or int8 per-channel`,
        { opset, needs: 'iOS18' },
      );
    }
    if (spec < targetRow('iOS16').spec)
      throw err('MLPACKAGE_OPSET_TOO_OLD', name, `specificationVersion ${spec} is below 7, required for constexpr ops`);
    return { useBlockwise: false, axis: perTensor ? 0 : (split[0] as number), perChannel };
  }
  if (spec < targetRow('iOS18').spec)
    throw err(
      'MLPACKAGE_OPSET_TOO_OLD',
      name,
      `opset ${opset} needs specificationVersion >= 9, the model declares ${spec}`,
    );
  return { useBlockwise: true, axis: 0, perChannel };
}

function roundScales(
  scales: Float32Array,
  dtype: 'float16' | 'float32',
  name: string,
): { written: Float32Array; inexact: number; maxRel: number } {
  if (dtype === 'float32') return { written: scales.slice(), inexact: 0, maxRel: 0 };
  const written = new Float32Array(scales.length);
  let inexact = 0;
  let maxRel = 0;
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i] as number;
    const h = float16BitsToFloat32(float32ToFloat16Bits(s));
    if (!Number.isFinite(h))
      throw err(
        'MLPACKAGE_UNSUPPORTED',
        name,
        `scale ${s} overflows float16 (the weight's dtype, which the scales must share)`,
      );
    if (h === 0 && s !== 0)
      throw err(
        'MLPACKAGE_UNSUPPORTED',
        name,
        `scale ${s} underflows to 0 in float16 (the weight's dtype, which the scales must share)`,
      );
    if (h !== s) {
      inexact++;
      maxRel = Math.max(maxRel, Math.abs(h - s) / Math.abs(s));
    }
    written[i] = h;
  }
  return { written, inexact, maxRel };
}

function zpBytes(zps: Int32Array, dtype: MilDType): Uint8Array {
  if (dtype.bits === 8) return new Uint8Array(Int8Array.from(zps).buffer);
  const out = new Uint8Array(packedBytes(zps.length, dtype.bits));
  for (let i = 0; i < zps.length; i++) {
    const v = (zps[i] as number) & ((1 << dtype.bits) - 1);
    out[i >> 1] = (out[i >> 1] as number) | (v << ((i & 1) * 4));
  }
  return out;
}

function findOpSlot(block: MilBlock, op: MilOperation, depth = 0): { block: MilBlock; index: number } | undefined {
  if (depth > 64) return undefined;
  const i = block.operations.indexOf(op);
  if (i >= 0) return { block, index: i };
  for (const o of block.operations) {
    for (const b of o.blocks) {
      const hit = findOpSlot(b, op, depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/**
 * Replaces const weights by the constexpr op the program's opset requires, storing the given quantized codes and
 * scales (no quantization happens here): `constexpr_affine_dequantize` (iOS16/iOS17 programs: int8/uint8,
 * per-tensor or per-channel) or `constexpr_blockwise_shift_scale` (iOS18+ programs: int8/uint8/int4/uint4, any
 * block shape). Output names stay the same, so consumers are untouched; every other op, name, input, output
 * and metadata is kept. Scales are stored in the weight's float dtype (float16 for float16 weights, as
 * coremltools does); the result reports the scales exactly as written.
 *
 * @throws QuantError `MLPACKAGE_OPSET_TOO_OLD` (the opset cannot hold the op; the message says which target
 *   would), `MLPACKAGE_UNSUPPORTED` (float8/float4/other dtypes, minval formulation, non-const or block-output
 *   weights, shape mismatches), `MLPACKAGE_NOT_FOUND` (unknown weight).
 * @example
 * ```ts
 * const { package: out, weights } = compressWeights(pkg, [{ weight: 'fc1_weight', tensor: q }]);
 * await writeMlPackage(out, 'small.mlpackage');
 * ```
 */
export function compressWeights(pkg: MlPackage, replacements: readonly WeightReplacement[]): CompressResult {
  if (!Array.isArray(replacements))
    throw ioError('MLPACKAGE_UNSUPPORTED', FN, 'replacements must be an array of { weight, tensor }');
  const model: CoreMLModel = structuredClone(pkg.model);
  const programs = findPrograms(model);
  const pending = new Map<string, PendingBlob>();
  const report: CompressedWeight[] = [];
  const seen = new Set<string>();
  for (const rep of replacements) {
    const { fn, name } = findWeightFunction(pkg, rep.weight, FN);
    const id = `${fn.modelPath}/${fn.name}/${name}`;
    if (seen.has(id)) throw err('MLPACKAGE_UNSUPPORTED', name, 'is listed twice');
    seen.add(id);
    // Locate the same function in the cloned model.
    const prog = programs.find((p) => p.modelPath === fn.modelPath);
    const func = prog?.program.functions.get(fn.name);
    const block = func?.blockSpecializations.get(fn.opset);
    if (prog === undefined || block === undefined)
      throw ioError('MLPACKAGE_NOT_FOUND', FN, `function ${fn.name} vanished`);
    const index = indexBlock(block);
    const producer = index.producers.get(name)?.op;
    if (producer === undefined) throw ioError('MLPACKAGE_NOT_FOUND', FN, `no op produces "${name}"`);
    if (producer.type !== 'const') {
      const hint =
        producer.type?.startsWith('constexpr_') === true
          ? '; it is already compressed, run decompressWeights first'
          : '';
      throw err('MLPACKAGE_UNSUPPORTED', name, `is produced by ${producer.type}, not a const${hint}`);
    }
    if (index.blockOutputs.has(name))
      throw err(
        'MLPACKAGE_UNSUPPORTED',
        name,
        'is returned from a block; Core ML cannot feed a block output from a constexpr op',
      );
    const val = producer.attributes.get('val') as MilValue | undefined;
    const t = staticTensorType(val?.type);
    if (val === undefined || !t.ok) throw err('MLPACKAGE_UNSUPPORTED', name, 'const has no static tensor value');
    if (t.dtype.name !== 'float16' && t.dtype.name !== 'float32') {
      throw err(
        'MLPACKAGE_UNSUPPORTED',
        name,
        `is a ${t.dtype.name} tensor; only float16 and float32 weights can be replaced`,
      );
    }
    if (t.shape.length === 0) throw err('MLPACKAGE_UNSUPPORTED', name, 'is a scalar');
    const q = rep.tensor;
    const { nBlocks, dtype } = checkTensor(q, t.shape, name);
    const p = plan(
      q,
      nBlocks,
      opsetRow(fn.opset)?.target ?? null,
      fn.opset,
      prog.model.specificationVersion ?? 0,
      name,
    );
    const scaleDtype = t.dtype.name as 'float16' | 'float32';
    const scaleMil = t.dtype;
    const { written, inexact, maxRel } = roundScales(q.scales, scaleDtype, name);
    const zps = q.zeroPoints;
    const anyZp = zps !== undefined && zps.some((z: number) => z !== 0);
    const opNameStr = opName(producer);
    const output: MilNamedValueType = structuredClone(producer.outputs[0] as MilNamedValueType);
    const dataValue = tensorFromBytes(
      dtype,
      t.shape,
      q.data instanceof Uint8Array ? q.data.slice() : new Uint8Array(q.data.slice().buffer),
      pending,
    );
    let newOp: MilOperation;
    let scaleShape: number[];
    let storedZp: Int32Array | null;
    const stored: MilValue[] = [dataValue];
    if (!p.useBlockwise) {
      // iOS16 attribute form. Per-channel scale/zero-point vectors run along `axis`; per-tensor ones are scalars.
      scaleShape = p.perChannel ? [t.shape[p.axis] as number] : [];
      const zpArr = zps ?? new Int32Array(written.length);
      storedZp = Int32Array.from(zpArr);
      const scaleValue = tensorFromBytes(scaleMil, scaleShape, floatBytes(written, scaleDtype), pending);
      const zpValue = tensorFromBytes(dtype, scaleShape, zpBytes(storedZp, dtype), pending);
      const axisValue = int32Value([p.axis]);
      stored.push(scaleValue, zpValue, axisValue);
      newOp = {
        type: 'constexpr_affine_dequantize',
        inputs: new Map(),
        outputs: [output],
        blocks: [],
        attributes: new Map<string, MilValue>([
          ['axis', axisValue],
          ['name', stringScalar(opNameStr)],
          ['quantized_data', dataValue],
          ['scale', scaleValue],
          ['zero_point', zpValue],
        ]),
      };
    } else {
      scaleShape = nBlocks;
      const scaleValue = tensorFromBytes(scaleMil, scaleShape, floatBytes(written, scaleDtype), pending);
      stored.push(scaleValue);
      const inputs = new Map([
        ['data', { arguments: [{ value: dataValue }] }],
        ['scale', { arguments: [{ value: scaleValue }] }],
      ]);
      storedZp = null;
      if (anyZp) {
        storedZp = Int32Array.from(zps as Int32Array);
        const offsetValue = tensorFromBytes(dtype, scaleShape, zpBytes(storedZp, dtype), pending);
        stored.push(offsetValue);
        inputs.set('offset', { arguments: [{ value: offsetValue }] });
      }
      newOp = {
        type: 'constexpr_blockwise_shift_scale',
        inputs,
        outputs: [output],
        blocks: [],
        attributes: new Map([['name', stringScalar(opNameStr)]]),
      };
    }
    const slot = findOpSlot(block, producer);
    if (slot === undefined) throw ioError('MLPACKAGE_NOT_FOUND', FN, `const "${name}" not found in its block`);
    slot.block.operations[slot.index] = newOp;
    const bytesAfter = stored.reduce((a, v) => {
      const st = staticTensorType(v.type);
      return a + (st.ok ? packedBytes(st.count, st.dtype.bits) : 0);
    }, 0);
    report.push({
      id,
      name,
      op: p.useBlockwise ? 'constexpr_blockwise_shift_scale' : 'constexpr_affine_dequantize',
      dtype: q.dtype,
      shape: [...t.shape],
      blockShape: [...q.blockShape],
      scaleShape,
      scaleDtype,
      scales: written,
      inexactScales: inexact,
      maxScaleRelativeError: maxRel,
      zeroPoints: storedZp,
      bytesBefore: packedBytes(t.count, t.dtype.bits),
      bytesAfter,
    });
  }
  return { package: derivePackage(pkg, model, pending, FN), weights: report };
}
