import { getDType } from '@lowbit/dtypes';
import type { FloatDType } from '@lowbit/dtypes';
import type { QParams } from '../qparams.js';
import { createParamWriter } from '../qparams.js';
import type { BlockGeometry } from './block-geometry.js';
import type { ChunkCodec } from './chunk-codec.js';
import { createCodeStorage, storeCodes } from './code-storage.js';
import type { CodeStorage } from './code-storage.js';
import {
  absMaxBits,
  allBitsEqual,
  FLOAT4_WORDS,
  FLOAT8_WORDS,
  INT4_WORDS,
  INT8_WORDS,
  LineToucher,
  LITTLE_ENDIAN,
  MAX_FAST_LENGTH,
  quantizeBlocks,
  quantizeFloatRun,
  quantizeFloatWords4,
  quantizeFloatWords8,
  quantizeIntRun,
  quantizeIntWords4,
  quantizeIntWords4Fit,
  quantizeIntWords8,
  quantizeIntWords8Fit,
  roundedCode,
  touchAhead,
} from './fast-loops.js';
import { floorLog2, MIN_SCALE } from './scale-rounding.js';
import type { SpecContext } from './spec-context.js';

/**
 * The fused quantize path: one sweep over the tensor that, block by block, finds the block's abs-max in the
 * integer domain (also its NaN / Inf check), computes its parameters and quantizes it while it is still in L1,
 * packing codes four (8-bit) or eight (4-bit) to a 32-bit word, with the data a segment ahead already touched
 * (see touchLines). It gives bit for bit the codes and parameters of the reference path (chooseQParams, then
 * ChunkCodec.quantize and storeCodes) and stands aside (returns undefined) whenever it does not apply. It never
 * raises the reference path's errors itself: a NaN or Inf makes computed parameters fall back to the reference
 * path, which reports it or leaves it out of the range; with given parameters, the reference codec quantizes
 * (or reports) the blocks that hold one.
 */

/** Elements touched ahead of the range pass (16 KiB of float32), see touchLines. */
const PREFETCH = 4096;
/** Blocks up to this many elements are quantized right after their range pass, from L1. */
const L1_BLOCK = 8192;
/** Pieces of a larger block handed to the loops at once. */
const PIECE = 4096;
/** Blocks up to this many elements go through the segment loop (quantizeBlocks); larger ones one by one. */
const SEGMENT_BLOCK = 512;
/** Stands in for the float code table of integer dtypes and the scale table of float32 scales (not used). */
const NO_TABLE = new Float64Array(71);

/** Float32 value of a bit pattern. */
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
function floatFromBits(b: number): number {
  I32[0] = b;
  return F32[0] as number;
}

/** How one float element format is encoded by the fast loops (see quantizeFloatWords8). */
interface FloatCodeTable {
  /** Binade factors and offsets, then maxFinite and 2^-emin (see quantizeFloatWords8). */
  readonly table: Float64Array;
}

const floatTables = new WeakMap<FloatDType, FloatCodeTable | null>();

/**
 * The binade table of a float element format, or null when the fast loops do not cover it: they need a signed
 * format of at most 8 bits with a mantissa, IEEE-like specials (`ieee`, `fn` or `none`), and
 * `maxFinite * 2^-emin < 2^31`.
 */
function floatCodeTable(dtype: FloatDType): FloatCodeTable | null {
  let t = floatTables.get(dtype);
  if (t === undefined) {
    t = buildFloatCodeTable(dtype);
    floatTables.set(dtype, t);
  }
  return t;
}

function buildFloatCodeTable(dtype: FloatDType): FloatCodeTable | null {
  return dtype.bits <= 8 ? binadeTable(dtype) : null;
}

/** The binade table of quantizeFloatWords8 for a format, or null when its rounding formula does not apply. */
function binadeTable(dtype: FloatDType): FloatCodeTable | null {
  const m = dtype.mantissaBits;
  const emin = 1 - dtype.exponentBias;
  const ok =
    dtype.signed &&
    m >= 1 &&
    (dtype.specials === 'ieee' || dtype.specials === 'fn' || dtype.specials === 'none') &&
    dtype.minNormal === 2 ** emin &&
    dtype.maxFinite * 2 ** -emin < 2 ** 31 &&
    emin - m >= -124;
  if (!ok) return null;
  const table = new Float64Array(71);
  for (let c = 0; c <= 32; c++) {
    const idx = c === 32 ? 0 : 31 - c; // E - emin
    table[2 * c] = 2 ** (m - (idx + emin));
    table[2 * c + 1] = 6755399441055744 + idx * 2 ** m;
  }
  table[66] = dtype.maxFinite;
  table[67] = 2 ** -emin;
  return { table };
}

/**
 * How quantizeBlocks computes scales for the spec's scale dtype (see there): mode 0 float32, 1 a small float
 * format rounded with `table` (float16, float8_e4m3fn), 2 float8_e8m0fnu for float elements; undefined when it
 * does not (the per-block path then calls the parameter writer).
 */
function scaleRounding(ctx: SpecContext): { mode: number; table: Float64Array } | undefined {
  const sd = ctx.scaleDtype;
  if (sd === 'float32') return { mode: 0, table: NO_TABLE };
  if (sd === 'float8_e8m0fnu') {
    if (!ctx.isFloat) return undefined;
    const table = new Float64Array(71);
    table[70] = floorLog2(ctx.maxFinite);
    return { mode: 2, table };
  }
  const t = binadeTable(getDType(sd) as FloatDType);
  if (!t) return undefined;
  const table = new Float64Array(71);
  table.set(t.table);
  table[68] = sd === 'float16' ? 2 ** -24 : 2 ** -9; // roundScale's value for a scale that rounds to 0
  return { mode: 1, table };
}

/** What the fused loops write for one spec. */
type CodeKind = 'int8' | 'int4' | 'intRun' | 'float8' | 'float4' | 'floatRun';

function codeKind(ctx: SpecContext, chunk: number): { kind: CodeKind; float: FloatCodeTable | null } | undefined {
  const bits = ctx.dtype.bits;
  if (ctx.isFloat) {
    const float = floatCodeTable(ctx.dtype as FloatDType);
    if (!float) return undefined;
    if (bits === 8 && chunk % 4 === 0) return { kind: 'float8', float };
    if (bits === 4 && chunk % 8 === 0) return { kind: 'float4', float };
    return { kind: 'floatRun', float };
  }
  if (bits === 8 && chunk % 4 === 0) return { kind: 'int8', float: null };
  if (bits === 4 && chunk % 8 === 0) return { kind: 'int4', float: null };
  return { kind: 'intRun', float: null };
}

/** True when the spec pins a float range (parameters then depend on more than the abs-max). */
function hasPins(ctx: SpecContext): boolean {
  const r = ctx.spec.floatRange;
  return r !== undefined && (r[0] !== null || r[1] !== null);
}

/** Parameters to quantize with, and the reference codec (built on demand) for blocks holding NaN or Inf. */
export interface GivenParams {
  readonly qparams: QParams;
  readonly codec: () => ChunkCodec;
}

/**
 * Quantizes `x` with parameters computed from its own ranges (`given` undefined) or with `given` parameters.
 * Returns undefined, having written nothing the caller can see, when the fused path does not apply (the
 * minval formulation, asymmetric or pinned ranges to compute, blocks spanning rows to compute, formats the
 * loops do not cover, NaN / Inf in computed ranges...): the caller then runs the reference path.
 */
export function quantizeFused(
  x: Float32Array,
  ctx: SpecContext,
  g: BlockGeometry,
  blockShape: readonly number[],
  givenParams: GivenParams | undefined,
): { data: CodeStorage; qparams: QParams } | undefined {
  if (!LITTLE_ENDIAN || g.size === 0 || g.size > MAX_FAST_LENGTH || ctx.minval || ctx.dtype.bits > 8) return undefined;
  const { rows, rowLength, chunk, chunksPerRow, rowBase } = g;
  const given = givenParams?.qparams;
  if (given === undefined) {
    // Computed parameters: symmetric abs-max ranges only, and every block must lie inside one row.
    if (ctx.asymmetric || hasPins(ctx)) return undefined;
    if (g.numBlocks !== rows * chunksPerRow) return undefined;
    for (let r = 0; r < rows; r++) if (rowBase[r] !== r * chunksPerRow) return undefined;
  } else if (given.zeroPoints && !ctx.isFloat) {
    // The integer loops need |qmin - z|, |qmax - z| <= 2^18 (see quantizeIntWords8); usual zero points lie in
    // [qmin, qmax].
    for (const z of given.zeroPoints) if (!(z >= ctx.qmin - 65536 && z <= ctx.qmax + 65536)) return undefined;
  }
  const plan = codeKind(ctx, chunk);
  if (!plan) return undefined;
  const { kind, float } = plan;

  const data = createCodeStorage(ctx, g.size);
  const packed = kind === 'int8' || kind === 'int4' || kind === 'float8' || kind === 'float4';
  const words = packed ? new Int32Array(data.buffer, 0, data.byteLength >> 2) : null;
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  const codeBits = ctx.dtype.bits;
  const run = kind === 'intRun' || kind === 'floatRun' ? new Int32Array(Math.min(chunk, PIECE)) : null;

  const writer = given === undefined ? createParamWriter(ctx, g.numBlocks, 'qparamsFromRange') : null;
  const scales = given ? given.scales : (writer as NonNullable<typeof writer>).scales;
  const zeroPoints = given ? given.zeroPoints : (writer as NonNullable<typeof writer>).zeroPoints;
  const fastScale = ctx.scaleDtype === 'float32';
  const levels = ctx.qmax - ctx.qmin;
  const symmetricZeroPoint = ctx.symmetricZeroPoint;
  const implicitZeroPoint = ctx.implicitZeroPoint;
  const maxFinite = ctx.maxFinite;
  const { qmin, qmax } = ctx;
  const n = x.length;

  const toucher = new LineToucher(bits, PREFETCH);

  /**
   * Quantizes elements [start, end) of block b (finite values, abs-max `amax`), with optional prefetching for
   * large blocks.
   */
  const quantizeRange = (start: number, end: number, b: number, amax: number, prefetch: boolean): void => {
    const s = scales[b] as number;
    if (float) {
      const { table } = float;
      const inv = 1 / s;
      for (let p = start; p < end; p += PIECE) {
        const q = Math.min(end, p + PIECE);
        if (prefetch && q < n) touchAhead(bits, q, Math.min(n, q + PIECE));
        if (kind === 'float8') quantizeFloatWords8(x, bits, p, q, inv, table, words as Int32Array, p >> 2);
        else if (kind === 'float4') quantizeFloatWords4(x, bits, p, q, inv, table, words as Int32Array, p >> 3);
        else {
          const r = run as Int32Array;
          quantizeFloatRun(x, bits, p, q, inv, table, codeBits - 1, r, 0);
          storeCodes(data, codeBits, r, q - p, p);
        }
      }
      return;
    }
    const z = zeroPoints ? (zeroPoints[b] as number) : implicitZeroPoint;
    const inv = 1 / s;
    const lo = qmin - z;
    const hi = qmax - z;
    // The block's codes lie between those of -amax and +amax (see quantizeBlocks): no clamp when they fit.
    const top = amax * inv;
    const fits = top <= 262144 && roundedCode(top) <= hi + 1 && roundedCode(-top) >= lo;
    for (let p = start; p < end; p += PIECE) {
      const q = Math.min(end, p + PIECE);
      if (prefetch && q < n) touchAhead(bits, q, Math.min(n, q + PIECE));
      if (kind === 'int8') {
        if (fits) quantizeIntWords8Fit(x, p, q, inv, hi, z, words as Int32Array, p >> 2);
        else quantizeIntWords8(x, p, q, inv, lo, hi, z, words as Int32Array, p >> 2);
      } else if (kind === 'int4') {
        if (fits) quantizeIntWords4Fit(x, p, q, inv, hi, z, words as Int32Array, p >> 3);
        else quantizeIntWords4(x, p, q, inv, lo, hi, z, words as Int32Array, p >> 3);
      } else if (codeBits === 8) quantizeIntRun(x, p, q, inv, lo, hi, z, data, p);
      else {
        const r = run as Int32Array;
        quantizeIntRun(x, p, q, inv, lo, hi, z, r, 0);
        storeCodes(data, codeBits, r, q - p, p);
      }
    }
  };

  /** The reference codec for a run holding NaN or Inf (given parameters only): it throws or saturates. */
  const quantizeNonFinite = (start: number, end: number, b: number): void => {
    const c = (givenParams as GivenParams).codec();
    for (let p = start; p < end; p += PIECE) {
      const len = Math.min(end - p, PIECE);
      if (codeBits >= 8) {
        c.quantize(x, p, len, b, data, p);
      } else {
        const r = new Int32Array(len);
        c.quantize(x, p, len, b, r, 0);
        storeCodes(data, codeBits, r, len, p);
      }
    }
  };

  /** Range, parameters and codes of one block; false when computed parameters meet a NaN or Inf. */
  const processBlock = (start: number, end: number, b: number): boolean => {
    // Range pass (also the NaN / Inf check), in pieces with the data ahead in flight.
    let m = 0;
    for (let p = start; p < end; p += PIECE) {
      const q = Math.min(end, p + PIECE);
      toucher.upTo(q, Math.min(n, q + PREFETCH));
      const pm = absMaxBits(bits, p, q);
      if (pm > m) m = pm;
    }
    if (m >= 0x7f800000) {
      if (!writer) quantizeNonFinite(start, end, b);
      return !writer; // the reference path reports or saturates NaN / Inf in computed ranges
    }
    if (writer) {
      if (allBitsEqual(bits, start, end)) {
        const v = x[start] as number;
        writer.set(b, v, v);
      } else {
        const amax = floatFromBits(m);
        if (!fastScale) {
          writer.set(b, -amax, amax);
        } else if (float) {
          // qparamsFromRange for float elements, float32 scales: amax / maxFinite, at least MIN_SCALE.
          writer.scales[b] = Math.fround(Math.max(amax > 0 ? amax / maxFinite : 1, MIN_SCALE));
        } else {
          // qparamsFromRange, symmetric, float32 scales: (amax - -amax) / (qmax - qmin), at least MIN_SCALE.
          const width = amax - -amax;
          writer.scales[b] = Math.fround(Math.max(width > 0 ? width / levels : 1, MIN_SCALE));
          if (zeroPoints) zeroPoints[b] = symmetricZeroPoint;
        }
      }
    }
    quantizeRange(start, end, b, floatFromBits(m), end - start > L1_BLOCK);
    return true;
  };

  // Packed codes and blocks that fit the prefetch window: one call handles a whole segment of blocks (range,
  // parameters and codes), leaving only the rare special block (NaN / Inf, constant) to processBlock.
  const wordKind =
    kind === 'int8' ? INT8_WORDS : kind === 'int4' ? INT4_WORDS : kind === 'float8' ? FLOAT8_WORDS : FLOAT4_WORDS;
  const rounding = given ? { mode: -1, table: NO_TABLE } : scaleRounding(ctx);
  if (packed && chunk <= SEGMENT_BLOCK && rounding) {
    const segment = chunk * Math.max(1, Math.floor(PREFETCH / chunk));
    const zeros = zeroPoints ?? new Int32Array(1);
    const zDefault = given ? implicitZeroPoint : symmetricZeroPoint;
    const table = float ? float.table : NO_TABLE;
    const w = words as Int32Array;
    for (let r = 0; r < rows; r++) {
      const base = rowBase[r] as number;
      const rowStart = r * rowLength;
      const rowEnd = rowStart + rowLength;
      for (let seg = rowStart; seg < rowEnd; seg += segment) {
        const segEnd = Math.min(rowEnd, seg + segment);
        if (segEnd < n) touchAhead(bits, segEnd, Math.min(n, segEnd + segment));
        let p = seg;
        while (p < segEnd) {
          const b = base + (p - rowStart) / chunk;
          p = quantizeBlocks(
            x,
            bits,
            p,
            segEnd,
            chunk,
            b,
            wordKind,
            rounding.mode,
            levels,
            qmin,
            qmax,
            zDefault,
            scales,
            zeros,
            zeroPoints !== undefined,
            table,
            rounding.table,
            F32,
            I32,
            w,
          );
          if (p < segEnd) {
            if (!processBlock(p, p + chunk, base + (p - rowStart) / chunk)) return undefined;
            p += chunk;
          }
        }
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const base = rowBase[r] as number;
      const rowStart = r * rowLength;
      for (let c = 0; c < chunksPerRow; c++) {
        const start = rowStart + c * chunk;
        if (!processBlock(start, start + chunk, base + c)) return undefined;
      }
    }
  }
  return { data, qparams: given ?? (writer as NonNullable<typeof writer>).finish(blockShape) };
}
