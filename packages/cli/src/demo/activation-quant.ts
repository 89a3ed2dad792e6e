/**
 * Writes activation quantization into a package the way Core ML expresses it (iOS17+): in front of an op's input,
 * a `quantize` (float -> int8/uint8) and a `dequantize` (back to float) op pair, with the calibrated scale and zero
 * point as `const` scalars (coremltools `iOS17/quantization_ops.py`: quantize(input, zero_point, scale, axis,
 * output_dtype), dequantize(input, zero_point, scale, axis)). The package's model file is decoded, edited and
 * re-encoded in place; weights are untouched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError } from '@lowbit/dtypes';
import { decodeModel, encodeModel, readMlPackage } from '@lowbit/io-mlpackage';
import type { MilOperation, MilValue, MilValueType, MlPackage } from '@lowbit/io-mlpackage';

/** Calibrated per-tensor parameters of one op input. */
export interface ActivationQuantization {
  /** Name of the op whose input is quantized (its `name` attribute, e.g. `fc1`). */
  readonly op: string;
  /** The op parameter (default `x`). */
  readonly input?: string;
  readonly dtype: 'int8' | 'uint8';
  readonly scale: number;
  readonly zeroPoint: number;
}

const MIL = { string: 2, float32: 11, int8: 21, uint8: 31 } as const;

function scalarType(dataType: number): MilValueType {
  return { tensorType: { dataType, dimensions: [], attributes: new Map() } };
}

function stringValue(s: string): MilValue {
  return { type: scalarType(MIL.string), immediateValue: { tensor: { strings: { values: [s] } } } };
}

function constOp(name: string, val: MilValue): MilOperation {
  return {
    type: 'const',
    inputs: new Map(),
    outputs: [{ name, type: structuredClone(val.type) as MilValueType }],
    blocks: [],
    attributes: new Map([
      ['name', stringValue(name)],
      ['val', val],
    ]),
  };
}

function opName(op: MilOperation): string | undefined {
  return op.attributes.get('name')?.immediateValue?.tensor?.strings?.values[0];
}

/**
 * Inserts a quantize/dequantize pair in front of each listed op input of the package at `path` (root ML
 * Program, every function), rewriting its model file, and returns the package read back.
 *
 * @throws QuantError `MLPACKAGE_INVALID_ARGUMENT` when an op is not found, its input is not a named value, or
 *   the program's opset is older than iOS17 (CoreML7).
 */
export async function insertActivationQuantization(
  path: string,
  specs: readonly ActivationQuantization[],
): Promise<MlPackage> {
  const FN = 'insertActivationQuantization';
  const pkg = await readMlPackage(path);
  const file = join(path, 'Data', ...pkg.rootModelPath.split('/'));
  const model = decodeModel(new Uint8Array(await readFile(file)));
  const program = model.mlProgram;
  if (program === undefined) throw new QuantError('MLPACKAGE_INVALID_ARGUMENT', `${FN}: ${path} is not an ML Program`);
  const pending = new Map(specs.map((s) => [s.op, s]));
  for (const fn of program.functions.values()) {
    const opset = fn.opset ?? '';
    const block = fn.blockSpecializations.get(opset);
    if (block === undefined) continue;
    if (!/^CoreML\d+$/.test(opset) || Number(opset.slice(6)) < 7) {
      throw new QuantError(
        'MLPACKAGE_INVALID_ARGUMENT',
        `${FN}: quantize/dequantize need iOS17 (CoreML7) or later, the program is ${opset}`,
      );
    }
    const types = new Map<string, MilValueType>();
    for (const input of fn.inputs)
      if (input.name !== undefined && input.type !== undefined) types.set(input.name, input.type);
    const out: MilOperation[] = [];
    for (const op of block.operations) {
      const name = opName(op);
      const spec = name === undefined ? undefined : pending.get(name);
      if (spec !== undefined && name !== undefined) {
        const param = spec.input ?? 'x';
        const binding = op.inputs.get(param)?.arguments[0];
        const source = binding?.name;
        const sourceType = source === undefined ? undefined : types.get(source);
        if (source === undefined || sourceType?.tensorType === undefined) {
          throw new QuantError(
            'MLPACKAGE_INVALID_ARGUMENT',
            `${FN}: op "${name}" parameter ${param} is not bound to a named tensor`,
          );
        }
        const dt = MIL[spec.dtype];
        const scaleName = `${name}_${param}_scale`;
        const zpName = `${name}_${param}_zero_point`;
        const dtypeName = `${name}_${param}_output_dtype`;
        const qName = `${name}_${param}_quantized`;
        const dqName = `${name}_${param}_dequantized`;
        out.push(
          constOp(scaleName, {
            type: scalarType(MIL.float32),
            immediateValue: { tensor: { floats: { values: Float32Array.of(spec.scale) } } },
          }),
        );
        out.push(
          constOp(zpName, {
            type: scalarType(dt),
            immediateValue: { tensor: { bytes: { values: Uint8Array.of(spec.zeroPoint & 0xff) } } },
          }),
        );
        out.push(constOp(dtypeName, stringValue(spec.dtype)));
        const qType: MilValueType = structuredClone(sourceType);
        (qType.tensorType as { dataType?: number }).dataType = dt;
        out.push({
          type: 'quantize',
          inputs: new Map([
            ['input', { arguments: [{ name: source }] }],
            ['zero_point', { arguments: [{ name: zpName }] }],
            ['scale', { arguments: [{ name: scaleName }] }],
            ['output_dtype', { arguments: [{ name: dtypeName }] }],
          ]),
          outputs: [{ name: qName, type: qType }],
          blocks: [],
          attributes: new Map([['name', stringValue(qName)]]),
        });
        out.push({
          type: 'dequantize',
          inputs: new Map([
            ['input', { arguments: [{ name: qName }] }],
            ['zero_point', { arguments: [{ name: zpName }] }],
            ['scale', { arguments: [{ name: scaleName }] }],
          ]),
          outputs: [{ name: dqName, type: structuredClone(sourceType) }],
          blocks: [],
          attributes: new Map([['name', stringValue(dqName)]]),
        });
        op.inputs.set(param, { arguments: [{ name: dqName }] });
        pending.delete(name);
      }
      out.push(op);
      for (const o of op.outputs) if (o.name !== undefined && o.type !== undefined) types.set(o.name, o.type);
    }
    block.operations = out;
  }
  if (pending.size > 0) {
    throw new QuantError(
      'MLPACKAGE_INVALID_ARGUMENT',
      `${FN}: no op named ${[...pending.keys()].map((k) => `"${k}"`).join(', ')} in ${path}`,
    );
  }
  await writeFile(file, encodeModel(model));
  return readMlPackage(path);
}
