import type { MlPackage } from './ml-package.js';
import type { MilOperation, MilValue } from './proto-types.js';
import type { CompressionKind, WeightConsumer, WeightInfo } from './weight-info.js';
import type { ConstexprParam } from './_internal/constexpr.js';
import { compressionKind, constexprForm, constexprParam, isConstexpr, storedValues } from './_internal/constexpr.js';
import { packedBytes } from './_internal/mil-types.js';
import type { FunctionIndex } from './_internal/program-walk.js';
import { forEachOp, indexBlock, opName } from './_internal/program-walk.js';
import { immediateTensor, rawToIntegers, staticTensorType } from './_internal/values.js';

/** Stored bytes of one literal value (computed from its type: blobs hold exactly that many). */
function valueBytes(v: MilValue): number {
  const t = staticTensorType(v.type);
  if (!t.ok) return 0;
  return packedBytes(t.count, t.dtype.bits);
}

/** True when a const value counts as a weight: a tensor in a blob, or a float tensor of 10+ elements. */
export function isWeightValue(v: MilValue): boolean {
  const t = staticTensorType(v.type);
  if (!t.ok || t.shape.length === 0) return false;
  if (v.blobFileValue !== undefined) return true;
  return t.dtype.kind === 'float' && t.count >= 10;
}

function smallInt(p: ConstexprParam | undefined): number | undefined {
  if (p === undefined || !('value' in p)) return undefined;
  try {
    const raw = immediateTensor(p.value, 'listWeights');
    if (raw === null || raw.count !== 1) return undefined;
    return rawToIntegers(raw)[0];
  } catch {
    return undefined;
  }
}

function paramType(p: ConstexprParam | undefined, idx: FunctionIndex): { dtype: string; shape: number[] } | undefined {
  if (p === undefined) return undefined;
  const type = 'value' in p ? p.value.type : idx.producers.get(p.ref)?.op.outputs.find((o) => o.name === p.ref)?.type;
  const t = staticTensorType(type);
  return t.ok ? { dtype: t.dtype.name, shape: t.shape } : undefined;
}

function compressionDetails(op: MilOperation, kind: CompressionKind, idx: FunctionIndex): Record<string, unknown> {
  const p = (n: string) => paramType(constexprParam(op, n), idx);
  switch (kind) {
    case 'affine_dequantize':
      return {
        quantizedDtype: p('quantized_data')?.dtype,
        scaleDtype: p('scale')?.dtype,
        scaleShape: p('scale')?.shape,
        zeroPointDtype: p('zero_point')?.dtype,
        axis: smallInt(constexprParam(op, 'axis')),
      };
    case 'blockwise_shift_scale': {
      const data = p('data');
      const scale = p('scale');
      const blockShape =
        data !== undefined && scale !== undefined && data.shape.length === scale.shape.length
          ? data.shape.map((d, i) => (scale.shape[i] ? d / (scale.shape[i] as number) : 0))
          : undefined;
      return {
        dataDtype: data?.dtype,
        scaleDtype: scale?.dtype,
        scaleShape: scale?.shape,
        blockShape,
        offsetDtype: p('offset')?.dtype ?? null,
      };
    }
    case 'lut_to_dense': {
      const lut = p('lut');
      const indices = p('indices');
      if (constexprForm(op) === 'iOS16') {
        const n = lut?.shape[0] ?? 0;
        return { lutDtype: lut?.dtype, lutShape: lut?.shape, nbits: n > 0 ? Math.log2(n) : undefined };
      }
      const bits = indices?.dtype.startsWith('uint') === true ? Number(indices.dtype.slice(4)) : undefined;
      return {
        lutDtype: lut?.dtype,
        lutShape: lut?.shape,
        indicesDtype: indices?.dtype,
        nbits: bits,
        vectorAxis: smallInt(constexprParam(op, 'vector_axis')) ?? null,
      };
    }
    case 'sparse_to_dense':
      return { nonzeroDtype: p('nonzero_data')?.dtype, nonzeroCount: p('nonzero_data')?.shape[0] };
    case 'cast':
      return { sourceDtype: p('source_val')?.dtype };
    default:
      return {};
  }
}

const MAIN_PARAMS = ['quantized_data', 'data', 'indices', 'nonzero_data', 'source_val', 'indices_nonzero_data', 'lut'];

/**
 * Lists every weight of every ML Program in the package: `const` tensors (in a blob, or float tensors of 10+
 * elements) and the outputs of `constexpr_*` chains (compressed weights), with their consumers, dtype, shape,
 * stored bytes and compression. Consts read only as parameters of activation `quantize` / `dequantize` ops
 * (scale, zero point, axis) are not weights; `listActivationQuantization` reports them.
 *
 * @example
 * ```ts
 * for (const w of listWeights(pkg)) console.log(w.name, w.opType, w.shape, w.compression?.kind ?? 'none');
 * ```
 */
export function listWeights(pkg: MlPackage): WeightInfo[] {
  const out: WeightInfo[] = [];
  for (const prog of pkg.programs) {
    for (const fn of prog.functions) {
      const idx = indexBlock(fn.block);
      const realUses = (name: string): WeightConsumer[] =>
        (idx.uses.get(name) ?? [])
          .filter((u) => !isConstexpr(u.op.type))
          .map((u) => ({ opName: opName(u.op), opType: u.op.type ?? '', input: u.input }));
      const onlyChained = (name: string): boolean => {
        const uses = idx.uses.get(name) ?? [];
        return uses.length > 0 && uses.every((u) => isConstexpr(u.op.type)) && !idx.blockOutputs.has(name);
      };
      const base = (name: string, op: MilOperation) => {
        const consumers = realUses(name);
        return {
          id: `${prog.modelPath}/${fn.name}/${name}`,
          name,
          opName: opName(op),
          modelPath: prog.modelPath,
          functionName: fn.name,
          opset: fn.opset,
          consumers,
          opType: consumers[0]?.opType ?? null,
          feedsBlockOutput: idx.blockOutputs.has(name),
        };
      };
      // Scale / zero point / axis consts of activation quantize / dequantize ops are parameters, not weights.
      const onlyActivationParams = (name: string): boolean => {
        const uses = idx.uses.get(name) ?? [];
        return (
          uses.length > 0 &&
          uses.every((u) => (u.op.type === 'quantize' || u.op.type === 'dequantize') && u.input !== 'input') &&
          !idx.blockOutputs.has(name)
        );
      };
      forEachOp(fn.block, (op) => {
        const out0 = op.outputs[0];
        const name = out0?.name;
        if (name === undefined) return;
        if (op.type === 'const') {
          const val = op.attributes.get('val');
          if (val === undefined || !isWeightValue(val) || onlyChained(name) || onlyActivationParams(name)) return;
          const t = staticTensorType(val.type);
          if (!t.ok) return;
          const ref = val.blobFileValue;
          out.push({
            ...base(name, op),
            dtype: t.dtype.name,
            shape: t.shape,
            elementCount: t.count,
            byteSize: valueBytes(val),
            storage: ref !== undefined ? 'blob' : 'immediate',
            blob: ref !== undefined ? { fileName: ref.fileName ?? '', offset: ref.offset ?? 0 } : null,
            compression: null,
          });
          return;
        }
        const kind = compressionKind(op.type);
        if (kind === undefined || op.outputs.length !== 1 || onlyChained(name)) return;
        const t = staticTensorType(out0?.type);
        if (!t.ok) return;
        // Walk the chain of constexpr / const producers feeding this op.
        const chain: MilOperation[] = [];
        const seen = new Set<MilOperation>();
        const visit = (o: MilOperation, depth: number) => {
          if (seen.has(o) || depth > 32) return;
          seen.add(o);
          for (const pname of o.inputs.keys()) {
            const prm = constexprParam(o, pname);
            if (prm !== undefined && 'ref' in prm) {
              const prod = idx.producers.get(prm.ref)?.op;
              if (prod !== undefined && (isConstexpr(prod.type) || prod.type === 'const')) visit(prod, depth + 1);
            }
          }
          chain.push(o);
        };
        visit(op, 0);
        let byteSize = 0;
        for (const o of chain) {
          for (const v of storedValues(o))
            if (o.type !== 'const' || v === o.attributes.get('val')) byteSize += valueBytes(v);
        }
        let main: MilValue | undefined;
        for (const o of chain) {
          for (const pn of MAIN_PARAMS) {
            const prm =
              o.type === 'const'
                ? pn === 'data'
                  ? { value: o.attributes.get('val') as MilValue }
                  : undefined
                : constexprParam(o, pn);
            if (main === undefined && prm !== undefined && 'value' in prm && prm.value !== undefined) main = prm.value;
          }
        }
        const ref = main?.blobFileValue;
        out.push({
          ...base(name, op),
          dtype: t.dtype.name,
          shape: t.shape,
          elementCount: t.count,
          byteSize,
          storage: ref !== undefined ? 'blob' : 'immediate',
          blob: ref !== undefined ? { fileName: ref.fileName ?? '', offset: ref.offset ?? 0 } : null,
          compression: {
            kind,
            chain: chain.map((o) => o.type ?? ''),
            form: constexprForm(op),
            details: compressionDetails(op, kind, idx),
          },
        });
      });
    }
  }
  return out;
}
