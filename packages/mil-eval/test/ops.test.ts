import { isQuantError } from '@lowbit/dtypes';
import { createProgramBuilder } from '@lowbit/io-mlpackage';
import type { ProgramBuilder, ProgramVar } from '@lowbit/io-mlpackage';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadProgram, runProgram } from '../src/index.js';
import { at, maxDiff, referenceConv, referenceLinear, seeded } from './_helpers/reference.js';

async function run(
  build: (b: ProgramBuilder) => { inputs: Array<[ProgramVar, Float32Array]>; output: ProgramVar },
  batchShapes?: Record<string, number[]>,
) {
  const b = createProgramBuilder({ opset: 'iOS18' });
  const { inputs, output } = build(b);
  b.output(output);
  const program = await loadProgram(b.build());
  const feed = Object.fromEntries(
    inputs.map(([v, data]) => [v.name, { data, shape: batchShapes?.[v.name] ?? v.shape }]),
  );
  const result = runProgram(program, feed)[output.name];
  if (result === undefined) throw new Error('no output');
  return result;
}

describe('conv', () => {
  test('matches a direct convolution for random strides, pads, dilations and groups', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }),
          groups: fc.integer({ min: 1, max: 3 }),
          cg: fc.integer({ min: 1, max: 3 }),
          og: fc.integer({ min: 1, max: 2 }),
          h: fc.integer({ min: 3, max: 9 }),
          w: fc.integer({ min: 3, max: 9 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          sy: fc.integer({ min: 1, max: 3 }),
          sx: fc.integer({ min: 1, max: 3 }),
          dy: fc.integer({ min: 1, max: 2 }),
          dx: fc.integer({ min: 1, max: 2 }),
          pad: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
          bias: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        async (p) => {
          const c = p.groups * p.cg;
          const co = p.groups * p.og;
          if ((p.kh - 1) * p.dy + 1 > p.h + p.pad[0] + p.pad[1] || (p.kw - 1) * p.dx + 1 > p.w + p.pad[2] + p.pad[3])
            return;
          const xs = [p.n, c, p.h, p.w] as const;
          const ws = [co, p.cg, p.kh, p.kw] as const;
          const x = seeded(p.n * c * p.h * p.w, p.seed);
          const w = seeded(co * p.cg * p.kh * p.kw, p.seed + 1);
          const bias = p.bias ? seeded(co, p.seed + 2) : null;
          const got = await run(
            (b) => {
              const xv = b.input('x', 'float32', [1, c, p.h, p.w]);
              const out = b.conv(xv, b.constant('w', w, [...ws]), bias ? b.constant('b', bias, [co]) : undefined, {
                strides: [p.sy, p.sx],
                dilations: [p.dy, p.dx],
                padType: 'custom',
                pad: p.pad,
                groups: p.groups,
              });
              return { inputs: [[xv, x]], output: out };
            },
            { x: [...xs] },
          );
          const want = referenceConv(x, xs, w, ws, bias, {
            strides: [p.sy, p.sx],
            pad: p.pad,
            dilations: [p.dy, p.dx],
            groups: p.groups,
          });
          expect(got.shape).toEqual(want.shape);
          expect(maxDiff(got.data, want.data)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("pad_type 'same' pads ceil(in/stride) outputs with the odd pixel after", async () => {
    // 5 wide, kernel 2, stride 2: out 3, total pad (3-1)*2+2-5 = 1 -> 0 before, 1 after.
    const x = Float32Array.from([1, 2, 3, 4, 5]);
    const got = await run((b) => {
      const xv = b.input('x', 'float32', [1, 1, 1, 5]);
      return {
        inputs: [[xv, x]],
        output: b.conv(xv, b.constant('w', [1, 10], [1, 1, 1, 2]), undefined, { strides: [1, 2], padType: 'same' }),
      };
    });
    expect(got.shape).toEqual([1, 1, 1, 3]);
    expect(Array.from(got.data)).toEqual([1 + 20, 3 + 40, 5 + 0]);
  });

  test("pad_type 'valid' ignores pad", async () => {
    const got = await run((b) => {
      const xv = b.input('x', 'float32', [1, 1, 3, 3]);
      return {
        inputs: [[xv, Float32Array.from({ length: 9 }, (_, i) => i)]],
        output: b.conv(xv, b.constant('w', [1, 1, 1, 1], [1, 1, 2, 2])),
      };
    });
    expect(got.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(got.data)).toEqual([0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 3 + 4 + 6 + 7, 4 + 5 + 7 + 8]);
  });
});

describe('linear and matmul', () => {
  test('linear matches y = x W^T + b over leading dimensions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 1e6 }),
        async (rows, dout, din, seed) => {
          const x = seeded(2 * rows * din, seed);
          const w = seeded(dout * din, seed + 7);
          const bias = seeded(dout, seed + 9);
          const got = await run(
            (b) => {
              const xv = b.input('x', 'float32', [1, rows, din]);
              return {
                inputs: [[xv, x]],
                output: b.linear(xv, b.constant('w', w, [dout, din]), b.constant('b', bias, [dout])),
              };
            },
            { x: [2, rows, din] },
          );
          expect(got.shape).toEqual([2, rows, dout]);
          expect(maxDiff(got.data, referenceLinear(x, 2 * rows, w, dout, din, bias))).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('matmul with transposes and batch broadcasting matches a triple loop', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        async (batch, m, k, n, tx, ty, seed) => {
          const xShape = tx ? [batch, k, m] : [batch, m, k];
          const yShape = ty ? [n, k] : [k, n]; // broadcast over the batch
          const x = seeded(batch * m * k, seed);
          const y = seeded(k * n, seed + 3);
          const got = await run((b) => {
            const xv = b.input('x', 'float32', xShape);
            return {
              inputs: [[xv, x]],
              output: b.matmul(xv, b.constant('y', y, yShape), { transposeX: tx, transposeY: ty }),
            };
          });
          const want = new Float32Array(batch * m * n);
          for (let q = 0; q < batch; q++)
            for (let i = 0; i < m; i++)
              for (let j = 0; j < n; j++) {
                let s = 0;
                for (let r = 0; r < k; r++) {
                  const xv = x[tx ? at(xShape, q, r, i) : at(xShape, q, i, r)] as number;
                  const yv = y[ty ? at(yShape, j, r) : at(yShape, r, j)] as number;
                  s += xv * yv;
                }
                want[at([batch, m, n], q, i, j)] = s;
              }
          expect(got.shape).toEqual([batch, m, n]);
          expect(maxDiff(got.data, want)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('element-wise, softmax, shape ops and pooling', () => {
  test('add / mul / sub broadcast like NumPy', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const got = await run((b) => {
      const xv = b.input('x', 'float32', [2, 3]);
      const s = b.binary('mul', xv, b.constant('s', [10, 100, 1000], [3]));
      return { inputs: [[xv, x]], output: b.binary('sub', b.add(s, b.constant('c', [1, 2], [2, 1])), xv) };
    });
    expect(Array.from(got.data)).toEqual([
      10 + 1 - 1,
      200 + 1 - 2,
      3000 + 1 - 3,
      40 + 2 - 4,
      500 + 2 - 5,
      6000 + 2 - 6,
    ]);
  });

  test('softmax rows sum to one and follow exp(x - max)', async () => {
    const x = Float32Array.from([0, Math.log(3), 1000, 1000]);
    const got = await run((b) => {
      const xv = b.input('x', 'float32', [2, 2]);
      return { inputs: [[xv, x]], output: b.softmax(xv, -1) };
    });
    expect(maxDiff(got.data, [0.25, 0.75, 0.5, 0.5])).toBeLessThan(1e-6);
  });

  test('transpose and reshape move elements as row-major order says', async () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const got = await run((b) => {
      const xv = b.input('x', 'float32', [2, 3, 4]);
      return { inputs: [[xv, x]], output: b.reshape(b.transpose(xv, [2, 0, 1]), [4, 6]) };
    });
    const want: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    expect(got.shape).toEqual([4, 6]);
    expect(Array.from(got.data)).toEqual(want);
  });

  test('max_pool and avg_pool (padding counted or excluded)', async () => {
    const x = Float32Array.from({ length: 16 }, (_, i) => i + 1); // 4x4: 1..16
    const maxed = await run((b) => {
      const xv = b.input('x', 'float32', [1, 1, 4, 4]);
      return { inputs: [[xv, x]], output: b.maxPool(xv, { kernelSizes: [2, 2] }) };
    });
    expect(Array.from(maxed.data)).toEqual([6, 8, 14, 16]);
    for (const exclude of [false, true]) {
      const avg = await run((b) => {
        const xv = b.input('x', 'float32', [1, 1, 4, 4]);
        return {
          inputs: [[xv, x]],
          output: b.avgPool(xv, {
            kernelSizes: [2, 2],
            strides: [2, 2],
            padType: 'custom',
            pad: [1, 1, 1, 1],
            excludePaddingFromAverage: exclude,
          }),
        };
      });
      expect(avg.shape).toEqual([1, 1, 3, 3]);
      // Top-left window holds only pixel 1 and three padded zeros.
      expect(avg.data[0]).toBeCloseTo(exclude ? 1 : 1 / 4, 6);
      // Centre window: pixels 6, 7, 10, 11.
      expect(avg.data[4]).toBeCloseTo((6 + 7 + 10 + 11) / 4, 6);
    }
  });

  test('a batch runs at once when the leading dimension differs from the declared one', async () => {
    const x = seeded(5 * 6, 3);
    const got = await run(
      (b) => {
        const xv = b.input('x', 'float32', [1, 6]);
        return { inputs: [[xv, x]], output: b.relu(xv) };
      },
      { x: [5, 6] },
    );
    expect(got.shape).toEqual([5, 6]);
    expect(Array.from(got.data)).toEqual(Array.from(x, (v) => (v > 0 ? v : 0)));
  });
});

describe('errors', () => {
  test('an unsupported op is named when loading', async () => {
    const b = createProgramBuilder({ opset: 'iOS18' });
    const x = b.input('x', 'float32', [1, 4]);
    b.output(b.op('lstm', { x }, [{ dtype: 'float32', shape: [1, 4] }])[0] as ProgramVar);
    const err = await loadProgram(b.build()).catch((e: unknown) => e);
    expect(isQuantError(err) && err.code).toBe('MILEVAL_UNSUPPORTED_OP');
    expect(String((err as Error).message)).toContain('"lstm"');
  });

  test('inputs with a wrong non-batch dimension or length are rejected', async () => {
    const b = createProgramBuilder({ opset: 'iOS18' });
    const x = b.input('x', 'float32', [1, 4]);
    b.output(b.relu(x));
    const program = await loadProgram(b.build());
    for (const bad of [
      { data: new Float32Array(5), shape: [1, 5] },
      { data: new Float32Array(3), shape: [1, 4] },
    ]) {
      let caught: unknown;
      try {
        runProgram(program, { x: bad });
      } catch (e) {
        caught = e;
      }
      expect(isQuantError(caught) && caught.code).toBe('MILEVAL_INVALID_INPUT');
    }
    expect(() => runProgram(program, {})).toThrow(/input "x" is missing/);
  });
});
