import type { MlPackage } from './ml-package.js';
import type { MilOperation, MilValue } from './proto-types.js';
import type { WeightConsumer } from './weight-info.js';
import type { FunctionIndex } from './_internal/program-walk.js';
import { forEachOp, indexBlock, opName } from './_internal/program-walk.js';
import { immediateTensor, rawToFloat32, rawToIntegers, staticTensorType } from './_internal/values.js';

/** One iOS17 `quantize` -> `dequantize` pair found in a program (activation quantization). */
export interface ActivationQuantizationInfo {
  readonly modelPath: string;
  readonly functionName: string;
  /** Names of the two ops. */
  readonly quantizeOp: string;
  readonly dequantizeOp: string;
  /** The float value that is quantized (the quantize op's `input`). */
  readonly source: string;
  /** The dequantized value, and the ops (and parameters) that read it. */
  readonly output: string;
  readonly consumers: readonly WeightConsumer[];
  /** `int8` or `uint8` (the quantize op's `output_dtype`), or null when it cannot be read. */
  readonly dtype: string | null;
  /** Dtype of the stored scale (`float16` / `float32`), or null when unknown. */
  readonly scaleDtype: string | null;
  /** The quantize op's scales (one per-tensor, else one per index along `axis`); null when not stored inline. */
  readonly scales: Float32Array | null;
  /** Its zero points (zeros when the optional input is absent); null when not stored inline. */
  readonly zeroPoints: Int32Array | null;
  /** Axis of per-axis parameters, null for per-tensor. */
  readonly axis: number | null;
  /** True when the dequantize op uses the same scales, zero points and axis as the quantize op. */
  readonly paramsMatch: boolean;
}

/** A parameter's literal value: bound inline, or the `val` of the `const` op producing the bound name. */
function paramValue(op: MilOperation, name: string, idx: FunctionIndex): MilValue | undefined {
  const b = op.inputs.get(name)?.arguments[0];
  if (b === undefined) return undefined;
  if (b.value !== undefined) return b.value;
  if (b.name === undefined) return undefined;
  const prod = idx.producers.get(b.name)?.op;
  return prod?.type === 'const' ? prod.attributes.get('val') : undefined;
}

function decode(v: MilValue | undefined, kind: 'float' | 'int'): Float32Array | Int32Array | null {
  if (v === undefined) return null;
  try {
    const raw = immediateTensor(v, 'listActivationQuantization');
    if (raw === null) return null;
    return kind === 'float' ? rawToFloat32(raw) : Int32Array.from(rawToIntegers(raw));
  } catch {
    return null;
  }
}

interface Params {
  readonly scaleDtype: string | null;
  readonly scales: Float32Array | null;
  readonly zeroPoints: Int32Array | null;
  readonly axis: number | null;
}

function readParams(op: MilOperation, idx: FunctionIndex): Params {
  const scaleValue = paramValue(op, 'scale', idx);
  const st = staticTensorType(scaleValue?.type);
  const scales = decode(scaleValue, 'float') as Float32Array | null;
  const zp = op.inputs.has('zero_point')
    ? (decode(paramValue(op, 'zero_point', idx), 'int') as Int32Array | null)
    : scales === null
      ? null
      : new Int32Array(scales.length);
  const axis = op.inputs.has('axis') ? (decode(paramValue(op, 'axis', idx), 'int')?.[0] ?? null) : null;
  return { scaleDtype: st.ok ? st.dtype.name : null, scales, zeroPoints: zp, axis };
}

function same(a: ArrayLike<number> | null, b: ArrayLike<number> | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Lists the activation quantization of every ML Program in the package: each `dequantize` op whose input is
 * produced by a `quantize` op (the iOS17 form `quantizeActivations` writes, and coremltools too), with the value
 * quantized, the ops reading the result, and the quantize op's dtype, scales, zero points and axis.
 *
 * @example
 * ```ts
 * for (const a of listActivationQuantization(pkg)) console.log(a.consumers[0]?.opName, a.dtype, a.scales);
 * ```
 */
export function listActivationQuantization(pkg: MlPackage): ActivationQuantizationInfo[] {
  const out: ActivationQuantizationInfo[] = [];
  for (const prog of pkg.programs) {
    for (const fn of prog.functions) {
      if ((fn.opTypeCounts.dequantize ?? 0) === 0) continue;
      const idx = indexBlock(fn.block);
      forEachOp(fn.block, (dq) => {
        if (dq.type !== 'dequantize') return;
        const inName = dq.inputs.get('input')?.arguments[0]?.name;
        const q = inName === undefined ? undefined : idx.producers.get(inName)?.op;
        if (q?.type !== 'quantize') return;
        const output = dq.outputs[0]?.name ?? '';
        const qp = readParams(q, idx);
        const dp = readParams(dq, idx);
        const dtype = paramValue(q, 'output_dtype', idx)?.immediateValue?.tensor?.strings?.values[0] ?? null;
        out.push({
          modelPath: prog.modelPath,
          functionName: fn.name,
          quantizeOp: opName(q),
          dequantizeOp: opName(dq),
          source: q.inputs.get('input')?.arguments[0]?.name ?? '',
          output,
          consumers: (idx.uses.get(output) ?? []).map((u) => ({
            opName: opName(u.op),
            opType: u.op.type ?? '',
            input: u.input,
          })),
          dtype,
          scaleDtype: qp.scaleDtype,
          scales: qp.scales,
          zeroPoints: qp.zeroPoints,
          axis: qp.axis,
          paramsMatch: same(qp.scales, dp.scales) && same(qp.zeroPoints, dp.zeroPoints) && qp.axis === dp.axis,
        });
      });
    }
  }
  return out;
}
