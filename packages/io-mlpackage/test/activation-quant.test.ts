import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { float16BitsToFloat32, isQuantError } from '@lowbit/dtypes';
import type { ActivationQuantization, MilOperation, MilValue, MlPackage, OpsetTarget } from '../src/index.js';
import {
  createProgramBuilder,
  encodeModel,
  listActivationQuantization,
  listWeights,
  quantizeActivations,
  readMlPackage,
  upgradeOpset,
  writeMlPackage,
} from '../src/index.js';
import { f16, hashDir, randomWeights, useTempDir } from './helpers.js';

// MIL.proto DataType numbers, written out here independently of the package.
const DT = { string: 2, float16: 10, float32: 11, int8: 21, int32: 23, uint8: 31 } as const;

const tmp = useTempDir();

/** x [1, 16] -> fc1 (16 -> 12) -> relu -> fc2 (12 -> 4) -> softmax, optionally through float16. */
function buildMlp(opset: OpsetTarget, dtype: 'float16' | 'float32' = 'float32'): MlPackage {
  const b = createProgramBuilder({ opset });
  const half = dtype === 'float16';
  let x = b.input('x', 'float32', [1, 16]);
  if (half) x = b.cast(x, 'float16', 'x16');
  const w1 = b.constant('fc1_weight', randomWeights(12 * 16, 3, half), [12, 16], dtype);
  const w2 = b.constant('fc2_weight', randomWeights(4 * 12, 4, half), [4, 12], dtype);
  const h = b.relu(b.linear(x, w1, undefined, 'fc1'), 'act1');
  let y = b.softmax(b.linear(h, w2, undefined, 'fc2'), -1, half ? 'probs16' : 'probs');
  if (half) y = b.cast(y, 'float32', 'probs');
  b.output(y);
  return b.build({ author: 'lowbit tests' });
}

function ops(pkg: MlPackage): MilOperation[] {
  return pkg.programs[0]!.functions[0]!.block.operations;
}

function nameOf(op: MilOperation): string {
  return op.attributes.get('name')?.immediateValue?.tensor?.strings?.values[0] ?? '';
}

function find(pkg: MlPackage, name: string): MilOperation {
  const op = ops(pkg).find((o) => nameOf(o) === name);
  if (op === undefined) throw new Error(`no op ${name}`);
  return op;
}

function boundName(op: MilOperation, param: string): string | undefined {
  return op.inputs.get(param)?.arguments[0]?.name;
}

/** The `val` of the const op producing `name`. */
function constVal(pkg: MlPackage, name: string): MilValue {
  const op = ops(pkg).find((o) => o.type === 'const' && o.outputs[0]?.name === name);
  if (op === undefined) throw new Error(`no const ${name}`);
  return op.attributes.get('val')!;
}

function expectError(f: () => unknown, code: string, ...parts: RegExp[]): void {
  try {
    f();
  } catch (e) {
    expect(isQuantError(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    for (const p of parts) expect((e as Error).message).toMatch(p);
    return;
  }
  throw new Error('expected a QuantError');
}

async function writeAndRead(pkg: MlPackage): Promise<{ pkg: MlPackage; path: string }> {
  const path = tmp.nextPackagePath('a');
  await writeMlPackage(pkg, path);
  return { pkg: await readMlPackage(path), path };
}

describe('quantizeActivations', () => {
  for (const opset of ['iOS17', 'iOS18'] as const) {
    test(`${opset}: inserts quantize/dequantize pairs with the exact parameters and wiring`, async () => {
      const pkg = buildMlp(opset);
      const { package: out, activations } = quantizeActivations(pkg, [
        { op: 'fc1', dtype: 'int8', scale: 0.0123, zeroPoint: -3 },
        { op: 'fc2', input: 'x', dtype: 'uint8', scale: 0.5, zeroPoint: 128 },
      ]);
      const { pkg: re } = await writeAndRead(out);
      const list = ops(re);
      const fc1 = list.indexOf(find(re, 'fc1'));
      // The four consts, quantize and dequantize come right before fc1, in that order.
      expect(list.slice(fc1 - 5, fc1 + 1).map((o) => [o.type, nameOf(o)])).toEqual([
        ['const', 'fc1_x_scale'],
        ['const', 'fc1_x_zero_point'],
        ['const', 'fc1_x_output_dtype'],
        ['quantize', 'fc1_x_quantized'],
        ['dequantize', 'fc1_x_dequantized'],
        ['linear', 'fc1'],
      ]);
      const q = find(re, 'fc1_x_quantized');
      const dq = find(re, 'fc1_x_dequantized');
      expect(boundName(q, 'input')).toBe('x');
      expect(boundName(q, 'scale')).toBe('fc1_x_scale');
      expect(boundName(q, 'zero_point')).toBe('fc1_x_zero_point');
      expect(boundName(q, 'output_dtype')).toBe('fc1_x_output_dtype');
      expect(q.inputs.has('axis')).toBe(false);
      expect(boundName(dq, 'input')).toBe('fc1_x_quantized');
      expect(boundName(dq, 'scale')).toBe('fc1_x_scale');
      expect(boundName(dq, 'zero_point')).toBe('fc1_x_zero_point');
      expect([...dq.inputs.keys()].sort()).toEqual(['input', 'scale', 'zero_point']);
      expect(boundName(find(re, 'fc1'), 'x')).toBe('fc1_x_dequantized');
      expect(boundName(find(re, 'fc1'), 'weight')).toBe('fc1_weight');
      expect(boundName(find(re, 'fc2'), 'x')).toBe('fc2_x_dequantized');
      expect(boundName(find(re, 'fc2_x_quantized'), 'input')).toBe('act1');
      // Types: the quantized value is int8 / uint8 of the source's shape, the dequantized one float32 again.
      expect(q.outputs[0]!.type!.tensorType!.dataType).toBe(DT.int8);
      expect(q.outputs[0]!.type!.tensorType!.dimensions.map((d) => d.constant?.size)).toEqual([1, 16]);
      expect(dq.outputs[0]!.type!.tensorType!.dataType).toBe(DT.float32);
      expect(find(re, 'fc2_x_quantized').outputs[0]!.type!.tensorType!.dataType).toBe(DT.uint8);
      // Stored parameters: scale fp32 scalar, zero point int8 scalar (one byte, two's complement), dtype string.
      const s1 = constVal(re, 'fc1_x_scale');
      expect(s1.type!.tensorType!.dataType).toBe(DT.float32);
      expect(s1.type!.tensorType!.rank ?? 0).toBe(0);
      expect([...s1.immediateValue!.tensor!.floats!.values]).toEqual([Math.fround(0.0123)]);
      const z1 = constVal(re, 'fc1_x_zero_point');
      expect(z1.type!.tensorType!.dataType).toBe(DT.int8);
      expect([...z1.immediateValue!.tensor!.bytes!.values!]).toEqual([256 - 3]);
      expect(constVal(re, 'fc2_x_zero_point').type!.tensorType!.dataType).toBe(DT.uint8);
      expect([...constVal(re, 'fc2_x_zero_point').immediateValue!.tensor!.bytes!.values!]).toEqual([128]);
      expect(constVal(re, 'fc1_x_output_dtype').immediateValue!.tensor!.strings!.values).toEqual(['int8']);
      expect(constVal(re, 'fc2_x_output_dtype').immediateValue!.tensor!.strings!.values).toEqual(['uint8']);
      // The report says the same.
      expect(activations.map((a) => [a.op, a.input, a.source, a.quantizeOp, a.dequantizeOp, a.dtype])).toEqual([
        ['fc1', 'x', 'x', 'fc1_x_quantized', 'fc1_x_dequantized', 'int8'],
        ['fc2', 'x', 'act1', 'fc2_x_quantized', 'fc2_x_dequantized', 'uint8'],
      ]);
      expect([...activations[0]!.scales]).toEqual([Math.fround(0.0123)]);
      // The reader finds both pairs.
      const found = listActivationQuantization(re);
      expect(
        found.map((a) => [
          a.source,
          a.output,
          a.consumers,
          a.dtype,
          a.scaleDtype,
          [...a.scales!],
          [...a.zeroPoints!],
          a.axis,
          a.paramsMatch,
        ]),
      ).toEqual([
        [
          'x',
          'fc1_x_dequantized',
          [{ opName: 'fc1', opType: 'linear', input: 'x' }],
          'int8',
          'float32',
          [Math.fround(0.0123)],
          [-3],
          null,
          true,
        ],
        [
          'act1',
          'fc2_x_dequantized',
          [{ opName: 'fc2', opType: 'linear', input: 'x' }],
          'uint8',
          'float32',
          [0.5],
          [128],
          null,
          true,
        ],
      ]);
      // Everything else is unchanged: the other ops in order, the weights, inputs, outputs, opset.
      const strip = (p: MlPackage) =>
        ops(p)
          .filter((o) => !nameOf(o).match(/_x_(scale|zero_point|output_dtype|quantized|dequantized)$/))
          .map((o) => [o.type, nameOf(o)]);
      expect(strip(re)).toEqual(strip(pkg));
      expect(listWeights(re).map((w) => [w.name, w.shape, w.byteSize])).toEqual(
        listWeights(pkg).map((w) => [w.name, w.shape, w.byteSize]),
      );
      expect(re.model.description).toEqual(pkg.model.description);
      expect(re.programs[0]!.functions[0]!.opset).toBe(pkg.programs[0]!.functions[0]!.opset);
      expect(re.specificationVersion).toBe(pkg.specificationVersion);
    });
  }

  test('float16 activations get float16 scales, rounded and reported as written', async () => {
    const pkg = buildMlp('iOS18', 'float16');
    const { package: out, activations } = quantizeActivations(pkg, [
      { op: 'fc1', dtype: 'int8', scale: 0.1, zeroPoint: 0 },
    ]);
    expect(activations[0]!.scaleDtype).toBe('float16');
    expect(activations[0]!.source).toBe('x16');
    expect([...activations[0]!.scales]).toEqual([f16(0.1)]);
    const { pkg: re } = await writeAndRead(out);
    const s = constVal(re, 'fc1_x_scale');
    expect(s.type!.tensorType!.dataType).toBe(DT.float16);
    const bytes = s.immediateValue!.tensor!.bytes!.values!;
    expect(bytes.length).toBe(2);
    expect(float16BitsToFloat32(bytes[0]! | (bytes[1]! << 8))).toBe(f16(0.1));
    expect(find(re, 'fc1_x_dequantized').outputs[0]!.type!.tensorType!.dataType).toBe(DT.float16);
    expectError(
      () => quantizeActivations(pkg, [{ op: 'fc1', dtype: 'int8', scale: 1e6, zeroPoint: 0 }]),
      'MLPACKAGE_INVALID_ARGUMENT',
      /op "fc1"/,
      /overflows in float16/,
    );
    expectError(
      () => quantizeActivations(pkg, [{ op: 'fc1', dtype: 'int8', scale: 1e-9, zeroPoint: 0 }]),
      'MLPACKAGE_INVALID_ARGUMENT',
      /underflows to 0 in float16/,
    );
  });

  test('per-axis parameters: vectors along the axis, axis const written, not listed as weights', async () => {
    const pkg = buildMlp('iOS18');
    const scales = Array.from({ length: 16 }, (_, i) => 0.01 * (i + 1));
    const zps = Array.from({ length: 16 }, (_, i) => i - 8);
    const { package: out, activations } = quantizeActivations(pkg, [
      { op: 'fc1', dtype: 'int8', scale: scales, zeroPoint: zps, axis: -1 },
    ]);
    expect(activations[0]!.axis).toBe(1);
    const { pkg: re } = await writeAndRead(out);
    const q = find(re, 'fc1_x_quantized');
    expect(boundName(q, 'axis')).toBe('fc1_x_axis');
    expect(boundName(find(re, 'fc1_x_dequantized'), 'axis')).toBe('fc1_x_axis');
    expect([...constVal(re, 'fc1_x_axis').immediateValue!.tensor!.ints!.values]).toEqual([1]);
    const s = constVal(re, 'fc1_x_scale');
    expect(s.type!.tensorType!.dimensions.map((d) => d.constant?.size)).toEqual([16]);
    expect([...s.immediateValue!.tensor!.floats!.values]).toEqual(scales.map(Math.fround));
    expect([
      ...new Int8Array(constVal(re, 'fc1_x_zero_point').immediateValue!.tensor!.bytes!.values!.slice().buffer),
    ]).toEqual(zps);
    // A 16-element float32 const would count as a weight; as a quantize parameter it does not.
    expect(listWeights(re).map((w) => w.name)).toEqual(['fc1_weight', 'fc2_weight']);
    const [a] = listActivationQuantization(re);
    expect([a!.axis, [...a!.scales!], [...a!.zeroPoints!]]).toEqual([1, scales.map(Math.fround), zps]);
  });

  test('the input package object and its file are left untouched', async () => {
    const { path } = await writeAndRead(buildMlp('iOS17'));
    const pkg = await readMlPackage(path);
    const before = encodeModel(pkg.model);
    const hash = await hashDir(path);
    const { package: out } = quantizeActivations(pkg, [{ op: 'fc1', dtype: 'int8', scale: 0.02, zeroPoint: 1 }]);
    expect(out).not.toBe(pkg);
    expect(encodeModel(pkg.model)).toEqual(before);
    expect(ops(pkg).some((o) => o.type === 'quantize')).toBe(false);
    expect(boundName(find(pkg, 'fc1'), 'x')).toBe('x');
    expect(await hashDir(path)).toBe(hash);
    // Writing the result elsewhere still leaves the source as it was.
    await writeMlPackage(out, tmp.nextPackagePath('a'));
    expect(await hashDir(path)).toBe(hash);
    expect(Object.isFrozen(out)).toBe(true);
  });

  test('new names never collide with existing values or ops', async () => {
    const b = createProgramBuilder({ opset: 'iOS18' });
    const x = b.input('x', 'float32', [1, 4]);
    const taken = b.constant('fc1_x_scale', [1, 2, 3, 4], [4]);
    const y = b.add(x, taken, 'fc1_x_quantized');
    const w = b.constant('w', randomWeights(12, 9, false), [3, 4], 'float32');
    b.output(b.linear(y, w, undefined, 'fc1'));
    const pkg = b.build();
    const { package: out, activations } = quantizeActivations(pkg, [
      { op: 'fc1', dtype: 'int8', scale: 0.1, zeroPoint: 0 },
    ]);
    expect(activations[0]!.constNames.scale).toBe('fc1_x_scale_1');
    expect(activations[0]!.quantizeOp).toBe('fc1_x_quantized_1');
    const { pkg: re } = await writeAndRead(out);
    const names = ops(re).flatMap((o) => o.outputs.map((v) => v.name));
    expect(new Set(names).size).toBe(names.length);
    expect(boundName(find(re, 'fc1_x_quantized_1'), 'input')).toBe('fc1_x_quantized');
    expect(boundName(find(re, 'fc1_x_quantized_1'), 'scale')).toBe('fc1_x_scale_1');
    expect(boundName(find(re, 'fc1_x_quantized'), 'y')).toBe('fc1_x_scale');
  });

  test('refuses programs older than iOS17, and works after upgradeOpset', () => {
    const pkg = buildMlp('iOS16');
    expectError(
      () => quantizeActivations(pkg, [{ op: 'fc1', dtype: 'int8', scale: 0.1, zeroPoint: 0 }]),
      'MLPACKAGE_OPSET_TOO_OLD',
      /op "fc1"/,
      /CoreML6 \(iOS16/,
      /upgradeOpset\(pkg, 'iOS17'\)/,
    );
    // A program of ops unchanged between iOS16 and iOS17 can be raised, then quantized.
    const b = createProgramBuilder({ opset: 'iOS16' });
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.softmax(b.relu(x, 'r'), -1, 'y'));
    const old = b.build();
    expectError(
      () => quantizeActivations(old, [{ op: 'r', dtype: 'uint8', scale: 0.1, zeroPoint: 0 }]),
      'MLPACKAGE_OPSET_TOO_OLD',
    );
    const up = upgradeOpset(old, 'iOS17');
    const { package: out } = quantizeActivations(up, [{ op: 'r', dtype: 'uint8', scale: 0.1, zeroPoint: 0 }]);
    expect(boundName(find(out, 'r'), 'x')).toBe('r_x_dequantized');
  });

  test('bad arguments give clear errors naming the op', () => {
    const pkg = buildMlp('iOS18');
    const base: ActivationQuantization = { op: 'fc1', dtype: 'int8', scale: 0.1, zeroPoint: 0 };
    const bad = (e: Partial<ActivationQuantization> & Record<string, unknown>, code: string, ...m: RegExp[]) =>
      expectError(() => quantizeActivations(pkg, [{ ...base, ...e } as ActivationQuantization]), code, ...m);
    bad({ op: 'nope' }, 'MLPACKAGE_NOT_FOUND', /op "nope": no op of that name/);
    bad({ input: 'bias' }, 'MLPACKAGE_INVALID_ARGUMENT', /op "fc1": linear has no parameter "bias"/, /x, weight/);
    for (const scale of [0, -0.5, Number.NaN, Infinity])
      bad({ scale }, 'MLPACKAGE_INVALID_ARGUMENT', /op "fc1": scale = .* must be a finite number > 0/);
    bad({ zeroPoint: 128 }, 'MLPACKAGE_INVALID_ARGUMENT', /zeroPoint = 128 .* int8 range \[-128, 127\]/);
    bad({ dtype: 'uint8', zeroPoint: -1 }, 'MLPACKAGE_INVALID_ARGUMENT', /uint8 range \[0, 255\]/);
    bad({ zeroPoint: 1.5 }, 'MLPACKAGE_INVALID_ARGUMENT', /must be an integer/);
    bad({ dtype: 'int4' as 'int8' }, 'MLPACKAGE_INVALID_ARGUMENT', /dtype must be "int8" or "uint8"/);
    bad({ axis: 0 }, 'MLPACKAGE_INVALID_ARGUMENT', /axis must not be given with a scalar scale/);
    bad({ scale: [0.1, 0.2] }, 'MLPACKAGE_INVALID_ARGUMENT', /axis is required/);
    bad(
      { scale: [0.1, 0.2], zeroPoint: [0, 0], axis: 1 },
      'MLPACKAGE_INVALID_ARGUMENT',
      /scale has 2 entries, input dimension 1 has 16/,
    );
    bad({ scale: [0.1], zeroPoint: [0], axis: 2 }, 'MLPACKAGE_INVALID_ARGUMENT', /axis 2 is outside \[-2, 1\]/);
    bad(
      { scale: [0.1], zeroPoint: 0, axis: 0 },
      'MLPACKAGE_INVALID_ARGUMENT',
      /zeroPoint must be an array of 1 integers/,
    );
    expectError(() => quantizeActivations(pkg, [base, base]), 'MLPACKAGE_INVALID_ARGUMENT', /listed twice/);
    expectError(
      () => quantizeActivations(pkg, null as never),
      'MLPACKAGE_INVALID_ARGUMENT',
      /entries must be an array/,
    );
    // Quantizing twice: the second pass sees the dequantize output.
    const once = quantizeActivations(pkg, [base]).package;
    expectError(
      () => quantizeActivations(once, [base]),
      'MLPACKAGE_UNSUPPORTED',
      /already reads the dequantize output/,
    );
  });

  test('refuses inputs that are not one named float tensor', () => {
    const b = createProgramBuilder({ opset: 'iOS18' });
    const x = b.input('x', 'float32', [1, 4]);
    const i = b.input('i', 'int32', [1, 4]);
    const [c] = b.op('concat', { values: [x, x] }, [{ dtype: 'float32', shape: [2, 4] }], 'cat');
    const [k] = b.op('identity', { x: i }, [{ dtype: 'int32', shape: [1, 4] }], 'ident');
    b.output(c!);
    b.output(k!);
    const pkg = b.build();
    expectError(
      () => quantizeActivations(pkg, [{ op: 'cat', input: 'values', dtype: 'int8', scale: 1, zeroPoint: 0 }]),
      'MLPACKAGE_UNSUPPORTED',
      /op "cat": parameter values is not bound to a single named tensor value/,
    );
    expectError(
      () => quantizeActivations(pkg, [{ op: 'ident', dtype: 'int8', scale: 1, zeroPoint: 0 }]),
      'MLPACKAGE_UNSUPPORTED',
      /op "ident": parameter x reads "i" of type int32; quantize takes fp16 or fp32/,
    );
  });

  test('property: write -> read gives the same protobuf, and the parameters survive exactly', async () => {
    // Start from a package read from disk, so blob references are final and the protobufs comparable.
    const { pkg } = await writeAndRead(buildMlp('iOS18'));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('int8' as const, 'uint8' as const),
        fc.float({ min: Math.fround(1e-30), max: Math.fround(1e30), noNaN: true }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        async (dtype, scale, zRaw, perAxis) => {
          const zp = dtype === 'int8' ? zRaw - 128 : zRaw;
          const entry: ActivationQuantization = perAxis
            ? { op: 'fc2', dtype, scale: Array(12).fill(scale), zeroPoint: Array(12).fill(zp), axis: 1 }
            : { op: 'fc2', dtype, scale, zeroPoint: zp };
          const { package: out } = quantizeActivations(pkg, [entry]);
          const { pkg: re } = await writeAndRead(out);
          expect(encodeModel(re.model)).toEqual(encodeModel(out.model));
          const [a] = listActivationQuantization(re);
          expect(a!.dtype).toBe(dtype);
          expect([...a!.scales!]).toEqual(Array(perAxis ? 12 : 1).fill(Math.fround(scale)));
          expect([...a!.zeroPoints!]).toEqual(Array(perAxis ? 12 : 1).fill(zp));
          expect(a!.axis).toBe(perAxis ? 1 : null);
        },
      ),
      { numRuns: 20 },
    );
  });
});
