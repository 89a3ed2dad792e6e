import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { defaultAxes, opKindOf, resolveBlockShape, resolveGranularityAxes } from '../src/index.js';
import type { Granularity } from '../src/index.js';
import { errorOf, spec } from './helpers.js';

const perTensor = spec({ granularity: { type: 'per_tensor' } });
const perChannel = spec({ granularity: { type: 'per_channel' } });
const block = (blockSize: number | number[], axis?: number): ReturnType<typeof spec> =>
  spec({ granularity: axis === undefined ? { type: 'per_block', blockSize } : { type: 'per_block', axis, blockSize } });

describe('opKindOf / defaultAxes', () => {
  test.each([
    ['linear', 'linear'],
    ['Gemm', 'linear'],
    ['torch.nn.modules.linear.Linear', 'linear'],
    ['MatMul', 'matmul'],
    ['conv', 'conv'],
    ['Conv', 'conv'],
    ['conv2d', 'conv'],
    ['torch.nn.Conv1d', 'conv'],
    ['conv_transpose', 'conv_transpose'],
    ['ConvTranspose', 'conv_transpose'],
    ['conv_transpose2d', 'conv_transpose'],
    ['Embedding', 'embedding'],
    ['gather', 'gather'],
    ['softmax', 'other'],
    ['', 'other'],
  ])('%s -> %s', (opType, kind) => {
    expect(opKindOf(opType)).toBe(kind);
  });

  test('coreai-opt default axes', () => {
    expect(defaultAxes('linear', 2)).toEqual({ channelAxis: 0, blockAxis: 1 });
    expect(defaultAxes('matmul', 2)).toEqual({ channelAxis: 0, blockAxis: 1 });
    expect(defaultAxes('conv', 4)).toEqual({ channelAxis: 0, blockAxis: 1 });
    expect(defaultAxes('conv_transpose', 4)).toEqual({ channelAxis: 1, blockAxis: 0 });
    expect(defaultAxes('embedding', 2)).toEqual({ channelAxis: 0, blockAxis: 1 });
    expect(defaultAxes('gather', 2)).toEqual({ channelAxis: 0, blockAxis: 1 });
    expect(defaultAxes('other', 3)).toEqual({ channelAxis: 0, blockAxis: 2 });
    expect(defaultAxes('LayerNorm', 1)).toEqual({ channelAxis: 0, blockAxis: 0 });
  });

  test('ranks too small for the op kind', () => {
    expect(errorOf(() => defaultAxes('linear', 1), 'SPEC_AXIS_OUT_OF_RANGE')).toBe(
      "defaultAxes: op kind 'linear' needs a weight of rank >= 2, got rank 1; give the granularity an explicit axis or use per_tensor",
    );
    errorOf(() => defaultAxes('other', 0), 'SPEC_AXIS_OUT_OF_RANGE');
  });
});

describe('resolveBlockShape', () => {
  test('linear [out, in]', () => {
    expect(resolveBlockShape(perTensor, [64, 128], 'linear')).toEqual([64, 128]);
    expect(resolveBlockShape(perChannel, [64, 128], 'linear')).toEqual([1, 128]);
    expect(resolveBlockShape(block(32), [64, 128], 'linear')).toEqual([1, 32]);
    // Explicit axis 0: blocks along out, the other leading axis per index (coreai-opt single-axis mode).
    expect(resolveBlockShape(block(16, 0), [64, 128], 'linear')).toEqual([16, 1]);
  });

  test('conv [out, in, kh, kw] is [1, b, kh, kw], like coremltools', () => {
    expect(resolveBlockShape(perChannel, [64, 32, 3, 3], 'conv')).toEqual([1, 32, 3, 3]);
    expect(resolveBlockShape(block(8), [64, 32, 3, 3], 'conv')).toEqual([1, 8, 3, 3]);
    expect(resolveBlockShape(block(8), [64, 32, 3, 3], 'torch.nn.modules.conv.Conv2d')).toEqual([1, 8, 3, 3]);
  });

  test('conv_transpose [in, out, kh, kw]: channel 1, blocks along 0', () => {
    expect(resolveBlockShape(perChannel, [32, 64, 3, 3], 'conv_transpose')).toEqual([32, 1, 3, 3]);
    expect(resolveBlockShape(block(8), [32, 64, 3, 3], 'conv_transpose')).toEqual([8, 1, 3, 3]);
  });

  test('embedding / gather [vocab, dim]', () => {
    expect(resolveBlockShape(perChannel, [1000, 64], 'embedding')).toEqual([1, 64]);
    expect(resolveBlockShape(block(16), [1000, 64], 'gather')).toEqual([1, 16]);
  });

  test("'other': channel 0, blocks along the last axis", () => {
    expect(resolveBlockShape(block(4), [6, 5, 8])).toEqual([1, 5, 4]);
    expect(resolveBlockShape(block(4), [8])).toEqual([4]);
    expect(resolveBlockShape(perChannel, [8])).toEqual([1]);
    expect(resolveBlockShape(perTensor, [])).toEqual([]);
  });

  test('multi-axis arrays, 0 meaning the whole dimension', () => {
    expect(resolveBlockShape(block([0, 32]), [64, 128], 'linear')).toEqual([64, 32]);
    expect(resolveBlockShape(block([8, 16, 0, 0]), [64, 32, 3, 3], 'conv')).toEqual([8, 16, 3, 3]);
    expect(resolveBlockShape(block([1, 0]), [64, 128])).toEqual([1, 128]);
  });

  test('negative axes are normalised', () => {
    expect(resolveBlockShape(spec({ granularity: { type: 'per_channel', axis: -1 } }), [4, 6, 8])).toEqual([4, 6, 1]);
    expect(resolveBlockShape(block(2, -2), [4, 6, 8])).toEqual([1, 2, 8]);
  });

  test('axis out of range names the rank and the valid range', () => {
    expect(
      errorOf(
        () => resolveBlockShape(spec({ granularity: { type: 'per_channel', axis: 2 } }), [64, 128]),
        'SPEC_AXIS_OUT_OF_RANGE',
      ),
    ).toBe('resolveBlockShape: granularity.axis is 2, out of range for shape [64, 128] (rank 2); valid axes: -2..1');
    expect(errorOf(() => resolveBlockShape(block(4, -3), [64, 128]), 'SPEC_AXIS_OUT_OF_RANGE')).toContain(
      'valid axes: -2..1',
    );
    expect(errorOf(() => resolveBlockShape(perChannel, [8], 'linear'), 'SPEC_AXIS_OUT_OF_RANGE')).toContain(
      "op kind 'linear' has no default channel axis for shape [8] (rank 1",
    );
  });

  test('a block size that does not divide lists sizes that would', () => {
    const message = errorOf(() => resolveBlockShape(block(48), [64, 100], 'linear'), 'SPEC_BLOCK_SIZE_MISMATCH');
    expect(message).toBe(
      'resolveBlockShape: granularity.blockSize (along axis 1) is 48, which does not divide dimension 1 (size 100) of shape [64, 100]; ' +
        // Divisors of 100 nearest to 48: 50 (2 away), 25, 20, 10, 5, 4 (44 away); 100 is 52 away.
        'block sizes that divide 100 include 4, 5, 10, 20, 25, 50 (0 means the whole dimension)',
    );
    expect(errorOf(() => resolveBlockShape(block([0, 3]), [64, 100]), 'SPEC_BLOCK_SIZE_MISMATCH')).toContain(
      'granularity.blockSize[1] is 3, which does not divide dimension 1 (size 100)',
    );
    expect(errorOf(() => resolveBlockShape(block(256), [64, 128], 'linear'), 'SPEC_BLOCK_SIZE_MISMATCH')).toContain(
      'is 256',
    );
    expect(errorOf(() => resolveBlockShape(block([1, 32, 0]), [64, 128]), 'SPEC_BLOCK_SIZE_MISMATCH')).toContain(
      'granularity.blockSize has 3 entries [1,32,0] but shape [64, 128] has rank 2',
    );
  });

  test('bad block sizes and shapes', () => {
    expect(errorOf(() => resolveBlockShape(block(0), [64, 128]), 'SPEC_INVALID')).toContain(
      'granularity.blockSize is 0',
    );
    expect(errorOf(() => resolveBlockShape(block(2.5), [64, 128]), 'SPEC_INVALID')).toContain(
      'granularity.blockSize is 2.5',
    );
    expect(errorOf(() => resolveBlockShape(perTensor, [64, 0]), 'SPEC_INVALID')).toContain(
      'shape must be an array of positive integers, given [64,0]',
    );
  });

  test('resolveGranularityAxes fills the axis in', () => {
    expect(resolveGranularityAxes(perChannel, [32, 64, 3, 3], 'conv_transpose').granularity).toEqual({
      type: 'per_channel',
      axis: 1,
    });
    expect(resolveGranularityAxes(block(16), [64, 128], 'linear').granularity).toEqual({
      type: 'per_block',
      axis: 1,
      blockSize: 16,
    });
    expect(resolveGranularityAxes(block(2, -1), [4, 6]).granularity).toEqual({
      type: 'per_block',
      axis: 1,
      blockSize: 2,
    });
    expect(resolveGranularityAxes(perTensor, [4, 6]).granularity).toEqual({ type: 'per_tensor' });
    expect(resolveGranularityAxes(block([2, 0]), [4, 6]).granularity).toEqual({ type: 'per_block', blockSize: [2, 0] });
    errorOf(() => resolveGranularityAxes(block(5), [4, 6]), 'SPEC_BLOCK_SIZE_MISMATCH');
  });

  test('property: blocks always tile the shape, and resolving the resolved spec changes nothing', () => {
    const dims = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 4 });
    const kinds = fc.constantFrom('linear', 'conv', 'conv_transpose', 'embedding', 'other');
    fc.assert(
      fc.property(dims, kinds, fc.nat(), fc.nat(), (shape, kind, pickAxis, pickDivisor) => {
        const rank = shape.length;
        if (kind !== 'other' && rank < 2) return;
        const axis = pickAxis % rank;
        const dim = shape[axis] ?? 1;
        const divisors = Array.from({ length: dim }, (_, i) => i + 1).filter((d) => dim % d === 0);
        const size = divisors[pickDivisor % divisors.length] ?? 1;
        const granularities: Granularity[] = [
          { type: 'per_tensor' },
          { type: 'per_channel' },
          { type: 'per_channel', axis },
          { type: 'per_block', axis, blockSize: size },
          { type: 'per_block', blockSize: shape.map((d, i) => (i === axis ? size : 0)) },
        ];
        for (const granularity of granularities) {
          const s = spec({ granularity });
          const blockShape = resolveBlockShape(s, shape, kind);
          expect(blockShape).toHaveLength(rank);
          blockShape.forEach((b, i) => {
            expect(Number.isInteger(b) && b >= 1).toBe(true);
            expect((shape[i] ?? 0) % b).toBe(0);
          });
          const resolved = resolveGranularityAxes(s, shape, kind);
          expect(resolveBlockShape(resolved, shape, kind)).toEqual(blockShape);
        }
        // An explicit block along `axis`: exactly `size` there.
        expect(
          resolveBlockShape(spec({ granularity: { type: 'per_block', axis, blockSize: size } }), shape, kind)[axis],
        ).toBe(size);
      }),
    );
  });
});
