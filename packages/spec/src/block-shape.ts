import { QuantError } from '@lowbit/dtypes';
import { defaultAxesOrNull, opKindOf } from './op-kind.js';
import type { OpKind } from './op-kind.js';
import { newContext, readGranularity } from './_internal/spec-reader.js';
import { throwIssues } from './_internal/throw-issues.js';
import { show, showShape } from './_internal/show.js';
import type { Granularity, QuantizationSpec } from './quantization-spec.js';

interface Resolved {
  readonly blockShape: number[];
  readonly granularity: Granularity;
}

function checkShape(fn: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape) || !shape.every((d: unknown) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new QuantError('SPEC_INVALID', `${fn}: shape must be an array of positive integers, given ${show(shape)}`, {
      details: { shape },
    });
  }
  return shape as readonly number[];
}

function checkGranularity(fn: string, spec: QuantizationSpec): Granularity {
  const ctx = newContext(false, undefined);
  const value: unknown = typeof spec === 'object' && spec !== null ? spec.granularity : undefined;
  const granularity = readGranularity(value, 'granularity', ctx);
  if (granularity === undefined || ctx.issues.length > 0) throwIssues(fn, ctx.issues);
  return granularity;
}

function normalizeAxis(fn: string, axis: number, shape: readonly number[]): number {
  const rank = shape.length;
  if (axis >= -rank && axis < rank) return axis < 0 ? axis + rank : axis;
  const valid = rank === 0 ? 'a rank-0 tensor has no axes; use per_tensor' : `valid axes: ${-rank}..${rank - 1}`;
  throw new QuantError(
    'SPEC_AXIS_OUT_OF_RANGE',
    `${fn}: granularity.axis is ${axis}, out of range for shape ${showShape(shape)} (rank ${rank}); ${valid}`,
    { details: { axis, rank, shape } },
  );
}

function missingDefault(fn: string, kind: OpKind, what: string, shape: readonly number[]): never {
  throw new QuantError(
    'SPEC_AXIS_OUT_OF_RANGE',
    `${fn}: granularity.axis is not given and op kind '${kind}' has no default ${what} axis for shape ` +
      `${showShape(shape)} (rank ${shape.length}, needs rank >= ${kind === 'other' ? 1 : 2}); give an explicit axis or use per_tensor`,
    { details: { opKind: kind, rank: shape.length, shape } },
  );
}

/** Up to `count` divisors of `n` closest to `near`, ascending. */
function divisorsNear(n: number, near: number, count: number): number[] {
  const divisors: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i === 0) {
      divisors.push(i);
      if (i * i !== n) divisors.push(n / i);
    }
  }
  divisors.sort((a, b) => Math.abs(a - near) - Math.abs(b - near) || a - b);
  return divisors.slice(0, count).sort((a, b) => a - b);
}

function resolve(fn: string, spec: QuantizationSpec, shapeInput: readonly number[], opKind: string): Resolved {
  const shape = checkShape(fn, shapeInput);
  const granularity = checkGranularity(fn, spec);
  const kind = opKindOf(opKind);
  const rank = shape.length;
  const defaults = defaultAxesOrNull(kind, rank);
  switch (granularity.type) {
    case 'per_tensor':
      return { blockShape: shape.slice(), granularity };
    case 'per_channel': {
      const given = granularity.axis ?? defaults?.channelAxis;
      if (given === undefined) return missingDefault(fn, kind, 'channel', shape);
      const axis = normalizeAxis(fn, given, shape);
      return { blockShape: shape.map((d, i) => (i === axis ? 1 : d)), granularity: { type: 'per_channel', axis } };
    }
    case 'per_block': {
      const blockSize = granularity.blockSize;
      if (typeof blockSize === 'number') {
        const given = granularity.axis ?? defaults?.blockAxis;
        if (given === undefined) return missingDefault(fn, kind, 'block', shape);
        const axis = normalizeAxis(fn, given, shape);
        const dim = shape[axis] ?? 0;
        checkBlock(fn, `granularity.blockSize (along axis ${axis})`, blockSize, dim, axis, shape);
        let paired = -1;
        if (defaults !== null) {
          if (defaults.channelAxis !== axis) paired = defaults.channelAxis;
          else if (defaults.blockAxis !== axis) paired = defaults.blockAxis;
        }
        return {
          blockShape: shape.map((d, i) => (i === axis ? blockSize : i === paired ? 1 : d)),
          granularity: { type: 'per_block', axis, blockSize },
        };
      }
      if (blockSize.length !== rank) {
        throw new QuantError(
          'SPEC_BLOCK_SIZE_MISMATCH',
          `${fn}: granularity.blockSize has ${blockSize.length} entries ${show(blockSize)} but shape ${showShape(shape)} ` +
            `has rank ${rank}; give exactly ${rank} entries, one per dimension (0 means the whole dimension)`,
          { details: { blockSize, shape } },
        );
      }
      const blockShape = blockSize.map((size, i) => {
        const dim = shape[i] ?? 0;
        if (size === 0) return dim;
        checkBlock(fn, `granularity.blockSize[${i}]`, size, dim, i, shape);
        return size;
      });
      return { blockShape, granularity };
    }
  }
}

function checkBlock(
  fn: string,
  where: string,
  size: number,
  dim: number,
  axis: number,
  shape: readonly number[],
): void {
  if (dim % size === 0) return;
  const valid = divisorsNear(dim, size, 6);
  throw new QuantError(
    'SPEC_BLOCK_SIZE_MISMATCH',
    `${fn}: ${where} is ${size}, which does not divide dimension ${axis} (size ${dim}) of shape ${showShape(shape)}; ` +
      `block sizes that divide ${dim} include ${valid.join(', ')} (0 means the whole dimension)`,
    { details: { blockSize: size, axis, dim, shape, validBlockSizes: valid } },
  );
}

/**
 * Turns a spec's granularity into one block size per dimension: the elements of a block share one scale (and
 * zero point / minval). This is the only form the kernels' loops see; `shape[i] % result[i] === 0` always.
 *
 * | granularity | block shape | linear `[out, in]` | conv `[out, in, kh, kw]` |
 * |---|---|---|---|
 * | per_tensor | `shape` | `[out, in]` | `[out, in, kh, kw]` |
 * | per_channel (axis c) | 1 on c, whole elsewhere | `[1, in]` | `[1, in, kh, kw]` |
 * | per_block, number b (axis a) | b on a, 1 on the op's channel axis, whole elsewhere | `[1, b]` | `[1, b, kh, kw]` |
 * | per_block, array | one entry per dim, 0 = whole dim | as given | as given |
 *
 * Missing axes come from {@link defaultAxes} for the op kind (conv_transpose `[in, out, ...]`: per_channel
 * `[in, 1, kh, kw]`, per_block `[b, 1, kh, kw]`). With a numeric block size along the op's channel axis, the op's
 * default block axis gets 1 instead (coreai-opt: the other of the two leading axes). Negative axes count from
 * the end.
 *
 * @param opKind an {@link OpKind} or any op type string (mapped by `opKindOf`); default `'other'`.
 * @throws QuantError `SPEC_INVALID` for a malformed granularity or shape; `SPEC_AXIS_OUT_OF_RANGE` (names the
 * rank and the valid range); `SPEC_BLOCK_SIZE_MISMATCH` when a block size does not divide its dimension (names
 * the dimension and lists block sizes that would) or the array has the wrong length.
 */
export function resolveBlockShape(
  spec: QuantizationSpec,
  shape: readonly number[],
  opKind: OpKind | (string & {}) = 'other',
): number[] {
  return resolve('resolveBlockShape', spec, shape, opKind).blockShape;
}

/**
 * Returns the spec with its granularity axis filled in and normalised to a non-negative index (as stored in
 * `QuantizedTensor.spec`), after the same checks as {@link resolveBlockShape}. per_tensor and array block sizes
 * are returned unchanged.
 */
export function resolveGranularityAxes(
  spec: QuantizationSpec,
  shape: readonly number[],
  opKind: OpKind | (string & {}) = 'other',
): QuantizationSpec {
  const { granularity } = resolve('resolveGranularityAxes', spec, shape, opKind);
  return { ...spec, granularity };
}
