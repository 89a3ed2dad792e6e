/**
 * Decoding const and constexpr values to float32: const tensors, constexpr_affine_dequantize,
 * constexpr_blockwise_shift_scale, constexpr_lut_to_dense (iOS16 and iOS18 forms), constexpr_sparse_to_dense
 * (both forms) and constexpr_cast, following chains of constexpr ops. Every allocation is bounded by the bytes
 * actually stored, so hostile shapes cannot trigger giant allocations.
 */
import {
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  getDType,
  unpackBits,
  bfloat16BitsToFloat32,
} from '@lowbit/dtypes';
import type { MilOperation } from '../proto-types.js';
import type { BlobSession } from './blob-session.js';
import type { ConstexprParam } from './constexpr.js';
import { constexprForm, constexprParam, isConstexpr } from './constexpr.js';
import { badModel } from './errors.js';
import type { MilDType } from './mil-types.js';
import { milDTypeByName, packedBytes } from './mil-types.js';
import type { FunctionIndex } from './program-walk.js';
import { opName } from './program-walk.js';
import type { RawTensor } from './values.js';
import { rawToFloat32, rawToIntegers, staticTensorType } from './values.js';

/** A decoded tensor: elements as float32 (integers are exact), with its dtype and shape. */
export interface DecodedTensor {
  readonly dtype: MilDType;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Context of one decode: the session, the function index and a message prefix. */
export interface DecodeContext {
  readonly session: BlobSession;
  readonly index: FunctionIndex;
  readonly where: string;
}

const F16 = () => getDType('float16');

/** Rounds float32 values to a storage dtype's precision (float16, bfloat16) in place; others are returned as is. */
export function roundToDType(values: Float32Array, dtype: MilDType): Float32Array {
  if (dtype.name === 'float16') {
    const codes = F16().encodeArray(values);
    return F16().decodeArray(codes, values);
  }
  if (dtype.name === 'bfloat16') {
    for (let i = 0; i < values.length; i++)
      values[i] = bfloat16BitsToFloat32(float32ToBFloat16Bits(values[i] as number));
  }
  return values;
}

function round1(x: number, dtype: MilDType): number {
  if (dtype.name === 'float16') return float16BitsToFloat32(float32ToFloat16Bits(x));
  if (dtype.name === 'bfloat16') return bfloat16BitsToFloat32(float32ToBFloat16Bits(x));
  if (dtype.name === 'float32') return Math.fround(x);
  return x;
}

interface Param {
  readonly dtype: MilDType;
  readonly shape: readonly number[];
  readonly count: number;
  readonly raw: RawTensor | null;
  readonly decoded: DecodedTensor | null;
}

function floatsOf(p: Param): Float32Array {
  return p.decoded !== null ? p.decoded.values : rawToFloat32(p.raw as RawTensor);
}

function intsOf(p: Param): ArrayLike<number> {
  if (p.decoded !== null) return p.decoded.values;
  const raw = p.raw as RawTensor;
  return raw.dtype.kind === 'float' ? rawToFloat32(raw) : rawToIntegers(raw);
}

/** Packed bytes of a byte-typed parameter (iOS16 indices and mask). */
function bytesOf(p: Param, where: string): Uint8Array {
  if (p.raw !== null && p.raw.bytes !== null) return p.raw.bytes;
  const ints = intsOf(p);
  const out = new Uint8Array(ints.length);
  for (let i = 0; i < ints.length; i++) {
    const v = ints[i] as number;
    if (!(v >= 0 && v <= 255)) throw badModel(where, `byte value ${v} out of range`);
    out[i] = v;
  }
  return out;
}

function product(shape: readonly number[], where: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw badModel(where, `invalid dimension ${d}`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw badModel(where, `shape [${shape.join(', ')}] has too many elements`);
  return n;
}

async function param(ctx: DecodeContext, op: MilOperation, name: string, depth: number, required: true): Promise<Param>;
async function param(
  ctx: DecodeContext,
  op: MilOperation,
  name: string,
  depth: number,
  required: false,
): Promise<Param | undefined>;
async function param(
  ctx: DecodeContext,
  op: MilOperation,
  name: string,
  depth: number,
  required: boolean,
): Promise<Param | undefined> {
  const where = `${ctx.where}: op "${opName(op)}" (${op.type}) parameter ${name}`;
  const p: ConstexprParam | undefined = constexprParam(op, name);
  if (p === undefined) {
    if (required) throw badModel(where, 'is missing');
    return undefined;
  }
  if ('ref' in p) {
    const d = await decodeValue(ctx, p.ref, depth + 1);
    return { dtype: d.dtype, shape: d.shape, count: d.values.length, raw: null, decoded: d };
  }
  const raw = await ctx.session.read(p.value, where);
  return { dtype: raw.dtype, shape: raw.shape, count: raw.count, raw, decoded: null };
}

function requireDType(p: Param, allowed: readonly string[], where: string): void {
  if (!allowed.includes(p.dtype.name))
    throw badModel(where, `has dtype ${p.dtype.name}; allowed: ${allowed.join(', ')}`);
}

function scalarInt(p: Param | undefined, fallback: number, where: string): number {
  if (p === undefined) return fallback;
  if (p.count !== 1) throw badModel(where, `must be a scalar, got shape [${p.shape.join(', ')}]`);
  return intsOf(p)[0] as number;
}

function normAxis(axis: number, rank: number, where: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw badModel(where, `axis ${axis} out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Iterates the flat block index of every element of `shape` split into blocks of `blockShape`. */
function forEachBlock(
  shape: readonly number[],
  blockShape: readonly number[],
  fn: (i: number, blk: number) => void,
): void {
  const r = shape.length;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count === 0) return;
  if (r === 0) {
    fn(0, 0);
    return;
  }
  const nBlocks = shape.map((s, i) => s / (blockShape[i] as number));
  const bStride = Array.from({ length: r }, () => 1);
  for (let i = r - 2; i >= 0; i--) bStride[i] = (bStride[i + 1] as number) * (nBlocks[i + 1] as number);
  const idx = Array.from({ length: r }, () => 0);
  const last = shape[r - 1] as number;
  const bLast = blockShape[r - 1] as number;
  let flat = 0;
  for (;;) {
    let base = 0;
    for (let a = 0; a < r - 1; a++)
      base += Math.floor((idx[a] as number) / (blockShape[a] as number)) * (bStride[a] as number);
    for (let j = 0; j < last; j++) fn(flat++, base + Math.floor(j / bLast));
    let a = r - 2;
    while (a >= 0) {
      idx[a] = (idx[a] as number) + 1;
      if ((idx[a] as number) < (shape[a] as number)) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

async function decodeAffine(
  ctx: DecodeContext,
  op: MilOperation,
  depth: number,
  where: string,
): Promise<{ values: Float32Array; shape: readonly number[]; dtype: MilDType }> {
  const q = await param(ctx, op, 'quantized_data', depth, true);
  const scale = await param(ctx, op, 'scale', depth, true);
  const zp = await param(ctx, op, 'zero_point', depth, true);
  const axisP = await param(ctx, op, 'axis', depth, false);
  requireDType(q, ['int8', 'uint8'], `${where} quantized_data`);
  requireDType(scale, ['float16', 'float32'], `${where} scale`);
  requireDType(zp, ['int8', 'uint8', 'float32', 'float16'], `${where} zero_point`);
  const rank = q.shape.length;
  if (rank < 1) throw badModel(where, 'quantized_data must have rank >= 1');
  const axis = normAxis(scalarInt(axisP, 0, `${where} axis`), rank, where);
  const dim = q.shape[axis] as number;
  for (const [n, p] of [
    ['scale', scale],
    ['zero_point', zp],
  ] as const) {
    if (p.shape.length > 1 || (p.shape.length === 1 && p.count !== dim)) {
      throw badModel(
        where,
        `${n} of shape [${p.shape.join(', ')}] must be a scalar or a vector of length ${dim} (quantized_data.shape[${axis}])`,
      );
    }
  }
  const qv = intsOf(q);
  const sv = floatsOf(scale);
  const zv = floatsOf(zp);
  const n = q.count;
  const inner = q.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const sVec = sv.length > 1 || scale.shape.length === 1;
  const zVec = zv.length > 1 || zp.shape.length === 1;
  for (let i = 0; i < n; i++) {
    const k = inner === 0 ? 0 : Math.floor(i / inner) % dim;
    const s = sv[sVec ? k : 0] as number;
    const z = zv[zVec ? k : 0] as number;
    out[i] = Math.fround(s * Math.fround((qv[i] as number) - z));
  }
  return { values: roundToDType(out, scale.dtype), shape: q.shape, dtype: scale.dtype };
}

async function decodeBlockwise(
  ctx: DecodeContext,
  op: MilOperation,
  depth: number,
  where: string,
): Promise<{ values: Float32Array; shape: readonly number[]; dtype: MilDType }> {
  const data = await param(ctx, op, 'data', depth, true);
  const scale = await param(ctx, op, 'scale', depth, true);
  const offset = await param(ctx, op, 'offset', depth, false);
  requireDType(data, ['int4', 'uint4', 'int8', 'uint8', 'float16', 'float32'], `${where} data`);
  requireDType(scale, ['float16', 'float32'], `${where} scale`);
  const rank = data.shape.length;
  if (rank < 1 || scale.shape.length !== rank)
    throw badModel(where, `scale rank ${scale.shape.length} must equal data rank ${rank} (>= 1)`);
  const blockShape = data.shape.map((d, i) => {
    const s = scale.shape[i] as number;
    if (s === 0 || d % s !== 0)
      throw badModel(where, `data.shape[${i}] = ${d} is not a multiple of scale.shape[${i}] = ${s}`);
    return d / s;
  });
  if (offset !== undefined) {
    requireDType(offset, ['int4', 'uint4', 'int8', 'uint8', 'float16', 'float32'], `${where} offset`);
    if (offset.shape.length !== rank || offset.shape.some((d, i) => d !== scale.shape[i])) {
      throw badModel(
        where,
        `offset shape [${offset.shape.join(', ')}] must equal scale shape [${scale.shape.join(', ')}]`,
      );
    }
    if (offset.dtype.kind !== 'float' && offset.dtype.name !== data.dtype.name) {
      throw badModel(where, `integer offset dtype ${offset.dtype.name} must equal data dtype ${data.dtype.name}`);
    }
  }
  const dv = data.dtype.kind === 'float' ? floatsOf(data) : intsOf(data);
  const sv = floatsOf(scale);
  const ov = offset === undefined ? undefined : offset.dtype.kind === 'float' ? floatsOf(offset) : intsOf(offset);
  const out = new Float32Array(data.count);
  const dst = scale.dtype;
  const exact = data.dtype.kind !== 'float' && (offset === undefined || offset.dtype.kind !== 'float');
  forEachBlock(data.shape, blockShape, (i, blk) => {
    const s = sv[blk] as number;
    const o = ov === undefined ? 0 : (ov[blk] as number);
    if (exact) out[i] = s * ((dv[i] as number) - o);
    else out[i] = round1(s * round1(round1(dv[i] as number, dst) - round1(o, dst), dst), dst);
  });
  return { values: roundToDType(out, dst), shape: data.shape, dtype: dst };
}

async function decodeLut(
  ctx: DecodeContext,
  op: MilOperation,
  depth: number,
  where: string,
): Promise<{ values: Float32Array; shape: readonly number[]; dtype: MilDType }> {
  const lut = await param(ctx, op, 'lut', depth, true);
  const indices = await param(ctx, op, 'indices', depth, true);
  requireDType(lut, ['uint8', 'int8', 'float16', 'float32'], `${where} lut`);
  const lv = floatsOf(lut);
  if (constexprForm(op) === 'iOS16') {
    const shapeP = await param(ctx, op, 'shape', depth, true);
    requireDType(indices, ['uint8'], `${where} indices`);
    if (lut.shape.length !== 1) throw badModel(where, `lut must be a vector, got shape [${lut.shape.join(', ')}]`);
    const nbits = Math.log2(lut.count);
    if (!Number.isInteger(nbits) || nbits < 1 || nbits > 8)
      throw badModel(where, `lut has ${lut.count} entries; it must have 2, 4, 16, 64 or 256`);
    const shape = Array.from(intsOf(shapeP));
    const count = product(shape, where);
    const bytes = bytesOf(indices, `${where} indices`);
    const need = packedBytes(count, nbits);
    if (bytes.length !== need)
      throw badModel(where, `indices hold ${bytes.length} bytes; ${count} elements of ${nbits} bits need ${need}`);
    const idx = unpackBits(bytes, nbits, count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = lv[idx[i] as number] as number;
    return { values: out, shape, dtype: lut.dtype };
  }
  const vecP = await param(ctx, op, 'vector_axis', depth, false);
  requireDType(indices, ['uint1', 'uint2', 'uint3', 'uint4', 'uint6', 'uint8'], `${where} indices`);
  const K = indices.shape.length;
  if (K < 1 || lut.shape.length !== K + 2)
    throw badModel(where, `lut rank ${lut.shape.length} must be indices rank ${K} + 2`);
  const np = lut.shape[K] as number;
  const vs = lut.shape[K + 1] as number;
  if (np !== 2 ** indices.dtype.bits)
    throw badModel(where, `lut has ${np} palettes; ${indices.dtype.name} indices need ${2 ** indices.dtype.bits}`);
  const blockShape = indices.shape.map((d, i) => {
    const l = lut.shape[i] as number;
    if (l === 0 || d % l !== 0)
      throw badModel(where, `indices.shape[${i}] = ${d} is not a multiple of lut.shape[${i}] = ${l}`);
    return d / l;
  });
  if (vs < 1) throw badModel(where, 'lut vector size must be >= 1');
  const iv = intsOf(indices);
  const outShape = [...indices.shape];
  let axis = 0;
  if (vs > 1) {
    if (vecP === undefined) throw badModel(where, 'vector_axis is required when the lut vector size is > 1');
    axis = normAxis(scalarInt(vecP, 0, where), K, where);
    outShape[axis] = (outShape[axis] as number) * vs;
  }
  const out = new Float32Array(indices.count * vs);
  const inner = indices.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  forEachBlock(indices.shape, blockShape, (i, blk) => {
    const base = (blk * np + (iv[i] as number)) * vs;
    if (vs === 1) {
      out[i] = lv[base] as number;
      return;
    }
    // element i = (outer, p_a, rest); its vector goes to (outer, p_a * vs + v, rest)
    const outer = Math.floor(i / (inner * (indices.shape[axis] as number)));
    const pa = Math.floor(i / inner) % (indices.shape[axis] as number);
    const rest = i % inner;
    for (let v = 0; v < vs; v++) {
      out[(outer * (indices.shape[axis] as number) * vs + pa * vs + v) * inner + rest] = lv[base + v] as number;
    }
  });
  return { values: out, shape: outShape, dtype: lut.dtype };
}

async function decodeSparse(
  ctx: DecodeContext,
  op: MilOperation,
  depth: number,
  where: string,
): Promise<{ values: Float32Array; shape: readonly number[]; dtype: MilDType }> {
  const nz = await param(ctx, op, 'nonzero_data', depth, true);
  const mask = await param(ctx, op, 'mask', depth, true);
  requireDType(nz, ['uint8', 'int8', 'float16', 'float32', 'int4', 'uint4'], `${where} nonzero_data`);
  let shape: number[];
  let bits: ArrayLike<number>;
  if (constexprForm(op) === 'iOS16') {
    requireDType(mask, ['uint8'], `${where} mask`);
    const shapeP = await param(ctx, op, 'shape', depth, true);
    shape = Array.from(intsOf(shapeP));
    const count = product(shape, where);
    const bytes = bytesOf(mask, `${where} mask`);
    if (bytes.length !== packedBytes(count, 1))
      throw badModel(where, `mask holds ${bytes.length} bytes; ${count} elements need ${packedBytes(count, 1)}`);
    bits = unpackBits(bytes, 1, count);
  } else {
    requireDType(mask, ['uint1'], `${where} mask`);
    shape = [...mask.shape];
    bits = intsOf(mask);
  }
  const nv = floatsOf(nz);
  let ones = 0;
  for (let i = 0; i < bits.length; i++) ones += bits[i] as number;
  if (ones !== nv.length) throw badModel(where, `mask has ${ones} set bits but nonzero_data has ${nv.length} elements`);
  const out = new Float32Array(bits.length);
  let k = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) out[i] = nv[k++] as number;
  return { values: out, shape, dtype: nz.dtype };
}

async function decodeCast(
  ctx: DecodeContext,
  op: MilOperation,
  depth: number,
  where: string,
): Promise<{ values: Float32Array; shape: readonly number[]; dtype: MilDType }> {
  const src = await param(ctx, op, 'source_val', depth, true);
  requireDType(src, ['float16'], `${where} source_val`);
  return { values: Float32Array.from(floatsOf(src)), shape: src.shape, dtype: milDTypeByName('float32') as MilDType };
}

/** Decodes the value named `name` (a const or a constexpr output) to float32. */
export async function decodeValue(ctx: DecodeContext, name: string, depth = 0): Promise<DecodedTensor> {
  if (depth > 32) throw badModel(ctx.where, `constexpr chain deeper than 32 ops at ${name}`);
  const producer = ctx.index.producers.get(name)?.op;
  if (producer === undefined) throw badModel(ctx.where, `no op produces a value named "${name}"`);
  return decodeOp(ctx, producer, name, depth);
}

/** Decodes the output `name` of a const or constexpr op. */
export async function decodeOp(
  ctx: DecodeContext,
  op: MilOperation,
  name: string,
  depth: number,
): Promise<DecodedTensor> {
  const where = `${ctx.where}: op "${opName(op)}" (${op.type})`;
  if (op.type === 'const') {
    const val = op.attributes.get('val');
    if (val === undefined) throw badModel(where, 'const has no val attribute');
    const raw = await ctx.session.read(val, `${where} val`);
    return { dtype: raw.dtype, shape: raw.shape, values: rawToFloat32(raw) };
  }
  if (!isConstexpr(op.type)) throw badModel(where, `value "${name}" is computed at run time, not a constant`);
  if (op.outputs.length !== 1)
    throw badModel(
      where,
      `${op.type} has ${op.outputs.length} outputs; multi-output constexpr ops are not decoded by lowbit yet`,
    );
  let r: { values: Float32Array; shape: readonly number[]; dtype: MilDType };
  switch (op.type) {
    case 'constexpr_affine_dequantize':
      r = await decodeAffine(ctx, op, depth, where);
      break;
    case 'constexpr_blockwise_shift_scale':
      r = await decodeBlockwise(ctx, op, depth, where);
      break;
    case 'constexpr_lut_to_dense':
      r = await decodeLut(ctx, op, depth, where);
      break;
    case 'constexpr_sparse_to_dense':
      r = await decodeSparse(ctx, op, depth, where);
      break;
    case 'constexpr_cast':
      r = await decodeCast(ctx, op, depth, where);
      break;
    default:
      throw badModel(where, `${op.type} is not decoded by lowbit`);
  }
  const t = staticTensorType(op.outputs[0]?.type);
  if (!t.ok) throw badModel(where, `output type: ${t.reason}`);
  if (t.shape.length !== r.shape.length || t.shape.some((d, i) => d !== r.shape[i])) {
    throw badModel(
      where,
      `decodes to shape [${r.shape.join(', ')}] but its output is declared [${t.shape.join(', ')}]`,
    );
  }
  if (t.dtype.name !== r.dtype.name)
    throw badModel(where, `decodes to ${r.dtype.name} but its output is declared ${t.dtype.name}`);
  return { dtype: t.dtype, shape: t.shape, values: r.values };
}
