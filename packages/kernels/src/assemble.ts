import { QuantError } from '@lowbit/dtypes';
import type { DTypeRegistry } from '@lowbit/dtypes';
import type { OpKind, QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import { blockGeometry } from './_internal/block-geometry.js';
import { specContext } from './_internal/spec-context.js';
import type { QParams } from './qparams.js';
import { createCodeStorage, storeCodes } from './_internal/code-storage.js';
import { assertByteCodes, assertQParams, buildQuantizedTensor, MAX_RUN } from './quantize.js';

/** The parts {@link assembleQuantizedTensor} puts together. */
export interface QuantizedTensorParts {
  readonly spec: QuantizationSpec;
  readonly shape: readonly number[];
  readonly blockShape: readonly number[];
  /** One code per element, row-major: integer values for int dtypes, bit patterns for float dtypes. */
  readonly codes: ArrayLike<number>;
  readonly scales: Float32Array;
  readonly zeroPoints?: Int32Array;
  readonly minvals?: Float32Array;
  /** Op kind used to record resolved granularity axes in the tensor's spec. */
  readonly opKind?: OpKind;
  /** Where the spec's dtype is looked up. @defaultValue the built-in dtypes */
  readonly registry?: DTypeRegistry;
}

/**
 * Builds a {@link QuantizedTensor} from codes computed elsewhere (GPTQ, QAT), validating every code and packing
 * sub-byte dtypes, so the result is exactly what {@link quantize} would have produced for those codes.
 * @throws QuantError `KERNELS_SHAPE_MISMATCH` or `KERNELS_INVALID_ARGUMENT` naming the offending element.
 */
export function assembleQuantizedTensor(parts: QuantizedTensorParts): QuantizedTensor {
  const where = 'assembleQuantizedTensor';
  const ctx = specContext(parts.spec, where, parts.registry);
  assertByteCodes(ctx, where);
  const g = blockGeometry(parts.shape, parts.blockShape, where);
  const qparams: {
    blockShape: readonly number[];
    scales: Float32Array;
    zeroPoints?: Int32Array;
    minvals?: Float32Array;
  } = {
    blockShape: parts.blockShape,
    scales: parts.scales,
  };
  if (parts.zeroPoints) qparams.zeroPoints = parts.zeroPoints;
  if (parts.minvals) qparams.minvals = parts.minvals;
  assertQParams(qparams as QParams, g, ctx, where);
  if (parts.codes.length !== g.size) {
    throw new QuantError(
      'KERNELS_SHAPE_MISMATCH',
      `${where}: shape [${parts.shape.join(', ')}] has ${g.size} elements but ${parts.codes.length} codes were given`,
    );
  }
  const lo = ctx.isFloat ? 0 : ctx.qmin;
  const hi = ctx.isFloat ? 2 ** ctx.dtype.bits - 1 : ctx.qmax;
  const data = createCodeStorage(ctx, g.size);
  const run = new Int32Array(Math.min(g.size, MAX_RUN));
  for (let i = 0; i < g.size; i++) {
    const c = parts.codes[i] as number;
    if (!Number.isInteger(c) || c < lo || c > hi) {
      throw new QuantError(
        'KERNELS_INVALID_ARGUMENT',
        `${where}: code ${c} at flat index ${i} is outside [${lo}, ${hi}] for ${ctx.dtype.name} (${parts.spec.qscheme})`,
        { details: { index: i, code: c } },
      );
    }
    run[i % MAX_RUN] = c;
    if (i % MAX_RUN === MAX_RUN - 1 || i === g.size - 1)
      storeCodes(data, ctx.dtype.bits, run, (i % MAX_RUN) + 1, i - (i % MAX_RUN));
  }
  return buildQuantizedTensor(
    ctx,
    parts.shape,
    parts.blockShape,
    data,
    qparams,
    parts.opKind ? { opKind: parts.opKind } : {},
  );
}
