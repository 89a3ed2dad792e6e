import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isQuantError } from '@lowbit/dtypes';
import { createProgramBuilder, decodeModel, encodeModel, readMlPackage, writeMlPackage } from '@lowbit/io-mlpackage';
import type { MilOperation, MilValue, MilValueType } from '@lowbit/io-mlpackage';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadProgram, runProgram } from '../src/index.js';

// The builder has no int8 values, so the iOS17 quantize / dequantize ops are spliced into a written package's
// model file by hand, as coremltools serializes them: parameters bound by name to const ops.
const scalar = (dataType: number): MilValueType => ({
  tensorType: { dataType, dimensions: [], attributes: new Map() },
});
const str = (s: string): MilValue => ({ type: scalar(2), immediateValue: { tensor: { strings: { values: [s] } } } });
const vec = (dataType: number, n: number): MilValueType => ({
  tensorType: { dataType, rank: 1, dimensions: [{ constant: { size: n } }], attributes: new Map() },
});
const constOp = (name: string, val: MilValue): MilOperation => ({
  type: 'const',
  inputs: new Map(),
  outputs: [{ name, type: val.type as MilValueType }],
  blocks: [],
  attributes: new Map([
    ['name', str(name)],
    ['val', val],
  ]),
});
const op = (type: string, name: string, inputs: Record<string, string>, out: MilValueType): MilOperation => ({
  type,
  inputs: new Map(Object.entries(inputs).map(([k, v]) => [k, { arguments: [{ name: v }] }])),
  outputs: [{ name, type: out }],
  blocks: [],
  attributes: new Map([['name', str(name)]]),
});

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mil-eval-q-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** x [2, 3] -> quantize(scale, zero_point, axis?) -> dequantize -> relu (output), plus the int8 codes kept by name. */
async function program(
  params: { scale: number[]; zp: number[]; dtype: 'int8' | 'uint8'; axis?: number },
  name: string,
) {
  const b = createProgramBuilder({ opset: 'iOS18' });
  const x = b.input('x', 'float32', [2, 3]);
  b.output(b.relu(x, 'out'));
  const path = join(dir, name);
  const written = await writeMlPackage(b.build(), path);
  const pkg = await readMlPackage(written.path);
  const file = join(path, 'Data', ...pkg.rootModelPath.split('/'));
  const model = decodeModel(new Uint8Array(await readFile(file)));
  const block = model.mlProgram?.functions.get('main')?.blockSpecializations.get('CoreML8');
  if (block === undefined) throw new Error('no block');
  const dt = params.dtype === 'int8' ? 21 : 31;
  const n = params.scale.length;
  const scaleVal: MilValue =
    n === 1 && params.axis === undefined
      ? { type: scalar(11), immediateValue: { tensor: { floats: { values: Float32Array.from(params.scale) } } } }
      : { type: vec(11, n), immediateValue: { tensor: { floats: { values: Float32Array.from(params.scale) } } } };
  const zpVal: MilValue = {
    type: n === 1 && params.axis === undefined ? scalar(dt) : vec(dt, n),
    immediateValue: { tensor: { bytes: { values: Uint8Array.from(params.zp, (z) => z & 0xff) } } },
  };
  const t = (d: number): MilValueType => ({
    tensorType: {
      dataType: d,
      rank: 2,
      dimensions: [{ constant: { size: 2 } }, { constant: { size: 3 } }],
      attributes: new Map(),
    },
  });
  const ops: MilOperation[] = [constOp('s', scaleVal), constOp('zp', zpVal), constOp('odt', str(params.dtype))];
  const qIn: Record<string, string> = { input: 'x', scale: 's', zero_point: 'zp', output_dtype: 'odt' };
  const dqIn: Record<string, string> = { input: 'q', scale: 's', zero_point: 'zp' };
  if (params.axis !== undefined) {
    ops.push(
      constOp('ax', { type: scalar(23), immediateValue: { tensor: { ints: { values: Int32Array.of(params.axis) } } } }),
    );
    qIn.axis = 'ax';
    dqIn.axis = 'ax';
  }
  ops.push(op('quantize', 'q', qIn, t(dt)), op('dequantize', 'dq', dqIn, t(11)));
  const relu = block.operations.find((o) => o.type === 'relu') as MilOperation;
  relu.inputs.set('x', { arguments: [{ name: 'dq' }] });
  block.operations = [...ops, ...block.operations];
  await writeFile(file, encodeModel(model));
  return loadProgram(await readMlPackage(path));
}

describe('iOS17 quantize / dequantize', () => {
  test('per-tensor int8: round half to even, zero point, clipping', async () => {
    const p = await program({ scale: [0.5], zp: [3], dtype: 'int8' }, 'per-tensor.mlpackage');
    // x / 0.5 = [0.5, 1.5, -2.5, 1000, -1000, 2.4] -> round half even [0, 2, -2, 200, -200, 2] + 3 -> clip to [-128, 127]
    const r = runProgram(
      p,
      { x: { data: Float32Array.of(0.25, 0.75, -1.25, 500, -500, 1.2), shape: [2, 3] } },
      { keep: ['q', 'dq'] },
    );
    expect(Array.from(r.q?.data ?? [])).toEqual([3, 5, 1, 127, -128, 5]);
    expect(r.q?.dtype).toBe('int8');
    // dequantize: 0.5 * (q - 3)
    expect(Array.from(r.dq?.data ?? [])).toEqual([0, 1, -1, 62, -65.5, 1]);
    expect(Array.from(r.out?.data ?? [])).toEqual([0, 1, 0, 62, 0, 1]);
  });

  test('per-axis uint8 along axis 1', async () => {
    const p = await program({ scale: [1, 2, 4], zp: [128, 0, 10], dtype: 'uint8', axis: 1 }, 'per-axis.mlpackage');
    const r = runProgram(p, { x: { data: Float32Array.of(-3, 5, 8, 1000, -1, 3), shape: [2, 3] } }, { keep: ['q'] });
    // column scales 1, 2, 4 and zero points 128, 0, 10: [-3+128, 2.5->2, 2+10], [clip 1128 -> 255, -0.5->-0 -> 0, 0.75->1 +10]
    expect(Array.from(r.q?.data ?? [])).toEqual([125, 2, 12, 255, 0, 11]);
  });

  test('dequantize(quantize(x)) is within half a step of x inside the range', async () => {
    const p = await program({ scale: [0.1], zp: [-5], dtype: 'int8' }, 'prop.mlpackage');
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: Math.fround(-12), max: Math.fround(12), noNaN: true }), {
          minLength: 6,
          maxLength: 6,
        }),
        (xs) => {
          const r = runProgram(p, { x: { data: Float32Array.from(xs), shape: [2, 3] } }, { keep: ['dq'] });
          const dq = r.dq?.data ?? new Float32Array(0);
          xs.forEach((v, i) => expect(Math.abs((dq[i] as number) - v)).toBeLessThanOrEqual(0.05 + 1e-6));
        },
      ),
      { numRuns: 50 },
    );
  });

  test('inputs of the wrong length are rejected before any op runs', async () => {
    const p = await program({ scale: [0.5], zp: [3], dtype: 'int8' }, 'bad.mlpackage');
    expect(() => runProgram(p, { x: { data: new Float32Array(6), shape: [2, 3] } })).not.toThrow();
    let caught: unknown;
    try {
      runProgram(p, { x: { data: new Float32Array(5), shape: [2, 3] } });
    } catch (e) {
      caught = e;
    }
    expect(isQuantError(caught) && caught.code).toBe('MILEVAL_INVALID_INPUT');
  });
});
