import { qparamsFromRange } from '@lowbit/kernels';
import type { BlockRange, QParams, QuantizeOptions, Tensor } from '@lowbit/kernels';
import { quantRange, resolveBlockShape, resolveGranularityAxes, validateSpec } from '@lowbit/spec';
import type { QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import type { QuantizeTarget } from '../kernel-backend.js';
import type { WasmKernels } from '../wasm-kernels.js';
import type { WorkerPool } from '../worker-pool.js';
import type { QuantIntArgs } from './wasm-module.js';

/**
 * The WebAssembly paths of reduceBlockRange / chooseQParams / quantize / dequantize. Each returns `null` when
 * the call is outside what the SIMD kernels cover (other dtypes, minval formulation, blocks that are not
 * contiguous runs of at least 16 elements, NaN / Inf in the input, inconsistent arguments...): the caller then
 * runs the reference kernel, which produces the result, or the error, the reference way.
 */

/** Elements staged in WebAssembly memory at once (256 KiB of float32: stays in L2 between the two passes). */
export const TILE = 65536;
/** Smallest tensor (elements) that a pool quantizes across its threads. */
export const THREADED_MIN = 1 << 20;
/** Shortest contiguous block the SIMD path takes. */
const MIN_CHUNK = 16;
/** Scales below this make float32 1/s overflow; the reference handles them. */
const MIN_INT_SCALE = 2 ** -126;

interface DtypeInfo {
  readonly float: boolean;
  readonly bits: 4 | 8;
  readonly unsigned: boolean;
  readonly lo: number;
  readonly hi: number;
}

const DTYPES: Readonly<Record<string, DtypeInfo>> = {
  int8: { float: false, bits: 8, unsigned: false, lo: -128, hi: 127 },
  uint8: { float: false, bits: 8, unsigned: true, lo: 0, hi: 255 },
  int4: { float: false, bits: 4, unsigned: false, lo: -8, hi: 7 },
  uint4: { float: false, bits: 4, unsigned: true, lo: 0, hi: 15 },
  float8_e4m3fn: { float: true, bits: 8, unsigned: true, lo: 0, hi: 255 },
};

/** Blocks as contiguous chunks in block order (per-tensor, per-channel on the leading axes, per-block on the last). */
interface Layout {
  readonly size: number;
  readonly chunk: number;
  readonly numBlocks: number;
}

/** The sequential layout of a shape and block shape, or null when blocks are not contiguous in order. */
function sequentialLayout(shape: readonly number[], blockShape: readonly number[]): Layout | null {
  if (!Array.isArray(shape) || !Array.isArray(blockShape) || shape.length !== blockShape.length) return null;
  let size = 1;
  let blockElems = 1;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d] as number;
    const b = blockShape[d] as number;
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(b) || b < 1 || n % b !== 0) return null;
    size *= n;
    blockElems *= b;
  }
  if (size === 0) return null;
  let chunk = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    const b = blockShape[d] as number;
    if (n === b) chunk *= n;
    else {
      chunk *= b;
      break;
    }
  }
  if (chunk !== blockElems || chunk < MIN_CHUNK) return null;
  return { size, chunk, numBlocks: size / chunk };
}

/** A run of whole blocks processed together; `pieces` > 1 when one block is longer than a tile. */
interface Group {
  readonly c0: number;
  readonly chunks: number;
  readonly start: number;
  readonly length: number;
}

/** Splits the blocks into groups of at most one tile (or single blocks, when a block is longer than a tile). */
function groups(layout: Layout, packed4: boolean): Group[] | null {
  const { chunk, numBlocks } = layout;
  const out: Group[] = [];
  if (chunk <= TILE) {
    let per = Math.floor(TILE / chunk);
    // Packed 4-bit pieces must start on a byte: an even element.
    if (packed4 && chunk % 2 === 1) per -= per % 2;
    if (per === 0) return null;
    for (let c0 = 0; c0 < numBlocks; c0 += per) {
      const chunks = Math.min(per, numBlocks - c0);
      out.push({ c0, chunks, start: c0 * chunk, length: chunks * chunk });
    }
  } else {
    if (packed4 && chunk % 2 === 1) return null;
    for (let c0 = 0; c0 < numBlocks; c0++) out.push({ c0, chunks: 1, start: c0 * chunk, length: chunk });
  }
  return out;
}

/** Pieces of at most one tile of a group (a single piece unless the group is one long block). */
function* pieces(g: Group): Generator<{ start: number; length: number }> {
  for (let s = 0; s < g.length; s += TILE) yield { start: g.start + s, length: Math.min(TILE, g.length - s) };
}

/** Scratch space in WebAssembly memory for one call, released by `free()`. */
class Scratch {
  readonly x: number;
  readonly codes: number;
  readonly packed: number;
  readonly scales: number;
  readonly zps: number;
  readonly omin: number;
  readonly omax: number;
  private readonly base: number;

  constructor(private readonly k: WasmKernels) {
    const perChunk = TILE / MIN_CHUNK + 16;
    this.base = k.alloc(TILE * 4 + TILE + TILE / 2 + 16 + 4 * perChunk * 4);
    this.x = this.base;
    this.codes = this.x + TILE * 4;
    this.packed = this.codes + TILE;
    this.scales = this.packed + TILE / 2 + 16;
    this.zps = this.scales + perChunk * 4;
    this.omin = this.zps + perChunk * 4;
    this.omax = this.omin + perChunk * 4;
  }

  free(): void {
    this.k.free(this.base);
  }
}

/** Where the float32 input lives: in place in WebAssembly memory (zero copy) or in a JS array to stage. */
class Source {
  /** Byte address of the data in WebAssembly memory, or -1 when it lives in JS memory. */
  readonly address: number;
  private readonly length: number;
  /** Create before allocating scratch: an allocation may grow the memory and detach a zero-copy view. */
  constructor(
    private readonly k: WasmKernels,
    private readonly data: Float32Array,
  ) {
    this.address = k.addressOf(data);
    this.length = data.length;
  }

  /** Address of elements [start, start + length), staging them into `stage` unless they already are in memory. */
  piece(start: number, length: number, stage: number): number {
    if (this.address >= 0) return this.address + start * 4;
    this.k.f32(stage, length).set(this.data.subarray(start, start + length));
    return stage;
  }

  /**
   * Always a staged copy, also for data already in WebAssembly memory: the compute-heavy one-pass kernel runs
   * faster on a tile that a bulk copy has just brought into L2 than on data streamed from RAM in place.
   */
  staged(start: number, length: number, stage: number): number {
    if (this.address < 0) return this.piece(start, length, stage);
    const from = this.address + start * 4;
    new Uint8Array(this.k.memory.buffer).copyWithin(stage, from, from + length * 4);
    return stage;
  }

  /** A live view of the data (views over a grown memory are detached, so re-create them). */
  view(): Float32Array {
    return this.address >= 0 ? this.k.f32(this.address, this.length) : this.data;
  }
}

/**
 * The reference sets `min = v` only when `v < min`, so the first zero of a block decides the sign of a zero min
 * (and max). SIMD lanes may see another zero first; look the first one up.
 */
function fixZeroSign(value: number, x: Float32Array, start: number, length: number): number {
  if (value !== 0) return value;
  for (let i = start; i < start + length; i++) if (x[i] === 0) return x[i] as number;
  return value;
}

/** Fixes the sign of zero block ends of a group (ranges of chunk g.c0 + j at index j of min / max). */
function fixZeroSigns(src: Source, chunk: number, g: Group, min: Float32Array, max: Float32Array): void {
  let x: Float32Array | undefined;
  for (let j = 0; j < g.chunks; j++) {
    if (min[j] === 0 || max[j] === 0) {
      x ??= src.view();
      const start = (g.c0 + j) * chunk;
      min[j] = fixZeroSign(min[j] as number, x, start, chunk);
      max[j] = fixZeroSign(max[j] as number, x, start, chunk);
    }
  }
}

/**
 * Per-block ranges over a group (whole blocks), written at `at + j` for chunk `g.c0 + j`; false on non-finite
 * input.
 */
function groupRange(
  k: WasmKernels,
  s: Scratch,
  src: Source,
  layout: Layout,
  g: Group,
  min: Float32Array,
  max: Float32Array,
  at: number,
): boolean {
  const lo = min.subarray(at, at + g.chunks);
  const hi = max.subarray(at, at + g.chunks);
  if (g.length <= TILE) {
    const ptr = src.piece(g.start, g.length, s.x);
    if (k.exports.range(ptr, g.chunks, layout.chunk, s.omin, s.omax) !== 0) return false;
    lo.set(k.f32(s.omin, g.chunks));
    hi.set(k.f32(s.omax, g.chunks));
  } else {
    let a = Infinity;
    let b = -Infinity;
    for (const p of pieces(g)) {
      const ptr = src.piece(p.start, p.length, s.x);
      if (k.exports.range(ptr, 1, p.length, s.omin, s.omax) !== 0) return false;
      const pa = k.f32(s.omin, 1)[0] as number;
      const pb = k.f32(s.omax, 1)[0] as number;
      if (pa < a) a = pa;
      if (pb > b) b = pb;
    }
    lo[0] = a;
    hi[0] = b;
  }
  fixZeroSigns(src, layout.chunk, g, lo, hi);
  return true;
}

function isTensor(t: Tensor): boolean {
  return typeof t === 'object' && t !== null && t.data instanceof Float32Array && Array.isArray(t.shape);
}

/** WASM reduceBlockRange, or null. */
export function wasmReduceBlockRange(k: WasmKernels, tensor: Tensor, blockShape: readonly number[]): BlockRange | null {
  if (!isTensor(tensor)) return null;
  const layout = sequentialLayout(tensor.shape, blockShape);
  if (!layout || layout.size !== tensor.data.length) return null;
  const range = rangesOf(k, tensor.data, layout);
  return range && { blockShape: [...blockShape], min: range.min, max: range.max };
}

function rangesOf(k: WasmKernels, data: Float32Array, layout: Layout): { min: Float32Array; max: Float32Array } | null {
  const gs = groups(layout, false);
  if (!gs) return null;
  const min = new Float32Array(layout.numBlocks);
  const max = new Float32Array(layout.numBlocks);
  const src = new Source(k, data);
  const s = new Scratch(k);
  try {
    for (const g of gs) if (!groupRange(k, s, src, layout, g, min, max, g.c0)) return null;
  } finally {
    s.free();
  }
  return { min, max };
}

function blockShapeOf(tensor: Tensor, spec: QuantizationSpec, options: QuantizeOptions): readonly number[] {
  return options.qparams?.blockShape ?? options.blockShape ?? resolveBlockShape(spec, tensor.shape, options.opKind);
}

/** WASM chooseQParams, or null. */
export function wasmChooseQParams(
  k: WasmKernels,
  tensor: Tensor,
  spec: QuantizationSpec,
  options: Omit<QuantizeOptions, 'qparams'>,
): QParams | null {
  if (!isTensor(tensor)) return null;
  let blockShape: readonly number[];
  try {
    validateSpec(spec);
    blockShape = blockShapeOf(tensor, spec, options);
  } catch {
    return null;
  }
  const layout = sequentialLayout(tensor.shape, blockShape);
  if (!layout || layout.size !== tensor.data.length) return null;
  const range = rangesOf(k, tensor.data, layout);
  return range && qparamsFromRange(range.min, range.max, spec, blockShape);
}

interface SpecFacts {
  readonly info: DtypeInfo;
  readonly qmin: number;
  readonly qmax: number;
  readonly implicitZeroPoint: number;
}

function specFacts(spec: QuantizationSpec): SpecFacts | null {
  try {
    validateSpec(spec);
  } catch {
    return null;
  }
  const info = DTYPES[spec.dtype];
  if (!info || spec.qformulation === 'minval') return null;
  const { qmin, qmax } = quantRange(spec);
  const symmetricZeroPoint = info.float ? 0 : Math.floor((qmax + qmin + 1) / 2);
  return { info, qmin, qmax, implicitZeroPoint: spec.qscheme === 'asymmetric' ? 0 : symmetricZeroPoint };
}

function validScales(scales: Float32Array, n: number, floor: number): boolean {
  if (!(scales instanceof Float32Array) || scales.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const s = scales[i] as number;
    if (!(s >= floor && s < Infinity && s > 0)) return false;
  }
  return true;
}

function validZeroPoints(zps: Int32Array | undefined, n: number): boolean {
  if (zps === undefined) return true;
  if (!(zps instanceof Int32Array) || zps.length !== n) return false;
  for (let i = 0; i < n; i++) if (Math.abs(zps[i] as number) > 1024) return false;
  return true;
}

/**
 * The one-pass quantization with computed parameters (integer dtypes, float32 scales, no range pins): per tile one
 * `quant_rows` call computes each block's range, parameters and codes while the block is in L1. Afterwards the
 * parameters are checked against `qparamsFromRange` (the reference's own function, over all blocks at once) and the
 * tiles of any block whose parameters differ (constant blocks, for one) are quantized again with the right ones.
 * Returns the parameters, or null on non-finite input.
 */
function quantizeRows(
  k: WasmKernels,
  s: Scratch,
  src: Source,
  layout: Layout,
  gs: readonly Group[],
  facts: SpecFacts,
  spec: QuantizationSpec,
  blockShape: readonly number[],
  data: Int8Array | Uint8Array,
  outAddress: number,
  pool: WorkerPool | undefined,
): QParams | null {
  const { info, qmin, qmax } = facts;
  const n = layout.numBlocks;
  const chunk = layout.chunk;
  const params = k.alloc(16 * n);
  try {
    const pScales = params;
    const pZps = params + 4 * n;
    const pMin = params + 8 * n;
    const pMax = params + 12 * n;
    const asym = spec.qscheme === 'asymmetric' ? 1 : 0;
    const direct = outAddress >= 0 && info.bits === 8;
    const signedBytes = data instanceof Int8Array;
    const threaded =
      pool !== undefined &&
      pool.kernels === k &&
      pool.threads > 1 &&
      pool.canBlock &&
      !pool.closed &&
      src.address >= 0 &&
      (info.bits === 8 || layout.chunk % 2 === 0) &&
      layout.size >= THREADED_MIN;
    if (threaded) {
      if (!quantizeRowsThreaded(k, pool, src.address, layout, facts, asym, data, outAddress, params)) return null;
    }
    for (let gi = 0; gi < (threaded ? 0 : gs.length); gi++) {
      const g = gs[gi]!;
      const ptr = src.staged(g.start, g.length, s.x);
      const codes = direct ? outAddress + g.start : s.codes;
      const at = 4 * g.c0;
      const bad = k.exports.quant_rows(
        ptr,
        g.chunks,
        chunk,
        qmin,
        qmax,
        facts.implicitZeroPoint,
        asym,
        codes,
        pScales + at,
        pZps + at,
        pMin + at,
        pMax + at,
      );
      if (bad !== 0) return null;
      storeCodes(k, s, info.bits, direct, signedBytes, data, outAddress, g.start, g.length);
    }
    const min = k.f32(pMin, n).slice();
    const max = k.f32(pMax, n).slice();
    let x: Float32Array | undefined;
    for (let b = 0; b < n; b++) {
      if (min[b] === 0 || max[b] === 0) {
        x ??= src.view();
        min[b] = fixZeroSign(min[b] as number, x, b * chunk, chunk);
        max[b] = fixZeroSign(max[b] as number, x, b * chunk, chunk);
      }
    }
    const qp = qparamsFromRange(min, max, spec, blockShape);
    if (!validScales(qp.scales, n, MIN_INT_SCALE)) return null;
    // Tiles holding a block whose parameters differ from the reference's are quantized again.
    const wScales = k.f32(pScales, n);
    const wZps = k.i32(pZps, n);
    const zps = qp.zeroPoints;
    for (let gi = 0; gi < gs.length; gi++) {
      const g = gs[gi]!;
      let same = true;
      for (let b = g.c0; b < g.c0 + g.chunks && same; b++) {
        same = wScales[b] === qp.scales[b] && wZps[b] === (zps ? (zps[b] as number) : 0);
      }
      if (same) continue;
      k.f32(s.scales, g.chunks).set(qp.scales.subarray(g.c0, g.c0 + g.chunks));
      const z = k.i32(s.zps, g.chunks);
      if (zps) z.set(zps.subarray(g.c0, g.c0 + g.chunks));
      else z.fill(0);
      const ptr = src.piece(g.start, g.length, s.x);
      const codes = direct ? outAddress + g.start : s.codes;
      k.exports.quant_int_fx(ptr, g.chunks, chunk, s.scales, s.zps, qmin, qmax, info.unsigned ? 1 : 0, codes);
      storeCodes(k, s, info.bits, direct, signedBytes, data, outAddress, g.start, g.length);
    }
    return qp;
  } finally {
    k.free(params);
  }
}

/**
 * quant_rows over every block at once, split across the pool's threads, reading the input in place (it lives in
 * the pool's memory): codes straight into a target in that memory, else through a scratch area (4-bit codes are
 * packed by each thread from a scratch of code bytes; blocks are even-sized then, so shares start on a byte);
 * parameters and ranges into the `params` area of quantizeRows. False on non-finite input.
 */
function quantizeRowsThreaded(
  k: WasmKernels,
  pool: WorkerPool,
  x: number,
  layout: Layout,
  facts: SpecFacts,
  asym: number,
  data: Int8Array | Uint8Array,
  outAddress: number,
  params: number,
): boolean {
  const n = layout.numBlocks;
  const packed = facts.info.bits === 4;
  const bytes = packed ? layout.size / 2 : layout.size;
  const out = outAddress >= 0 ? outAddress : k.alloc(bytes);
  const codes = packed ? k.alloc(layout.size) : out;
  const bad = k.alloc(4);
  try {
    k.i32(bad, 1)[0] = 0;
    pool.runBlocking(
      'quant_rows_part',
      [
        x,
        layout.chunk,
        facts.qmin,
        facts.qmax,
        facts.implicitZeroPoint,
        asym,
        codes,
        params,
        params + 4 * n,
        params + 8 * n,
        params + 12 * n,
        bad,
        packed ? out : 0,
      ],
      n,
    );
    if (k.i32(bad, 1)[0] !== 0) return false;
    if (outAddress < 0) data.set(data instanceof Int8Array ? k.i8(out, bytes) : k.u8(out, bytes));
    return true;
  } finally {
    k.free(bad);
    if (packed) k.free(codes);
    if (outAddress < 0) k.free(out);
  }
}

/** Moves a tile's codes from the scratch area to the output (packing 4-bit codes), unless written in place. */
function storeCodes(
  k: WasmKernels,
  s: Scratch,
  bits: 4 | 8,
  direct: boolean,
  signedBytes: boolean,
  data: Int8Array | Uint8Array,
  outAddress: number,
  start: number,
  length: number,
): void {
  if (bits === 4) {
    if (outAddress >= 0) k.exports.pack4(s.codes, length, outAddress + start / 2);
    else {
      k.exports.pack4(s.codes, length, s.packed);
      data.set(k.u8(s.packed, Math.ceil(length / 2)), start / 2);
    }
  } else if (!direct) {
    data.set(signedBytes ? k.i8(s.codes, length) : k.u8(s.codes, length), start);
  }
}

/** WASM quantize, or null. With `target`, codes and scales are written into its buffers (checked by the caller). */
export function wasmQuantize(
  k: WasmKernels,
  tensor: Tensor,
  spec: QuantizationSpec,
  options: QuantizeOptions,
  target?: QuantizeTarget,
  pool?: WorkerPool,
): QuantizedTensor | null {
  if (!isTensor(tensor)) return null;
  const facts = specFacts(spec);
  if (!facts) return null;
  const { info } = facts;
  let blockShape: readonly number[];
  try {
    blockShape = blockShapeOf(tensor, spec, options);
  } catch {
    return null;
  }
  const layout = sequentialLayout(tensor.shape, blockShape);
  if (!layout || layout.size !== tensor.data.length) return null;
  const gs = groups(layout, info.bits === 4);
  if (!gs) return null;
  const n = layout.numBlocks;
  const size = layout.size;
  const bytes = info.bits === 4 ? Math.ceil(size / 2) : size;
  const DataType = info.bits === 8 && !info.unsigned ? Int8Array : Uint8Array;
  if (
    target &&
    (!(target.data instanceof DataType) ||
      target.data.length !== bytes ||
      target.scales.length !== n ||
      (target.zeroPoints !== undefined && target.zeroPoints.length !== n))
  ) {
    return null;
  }
  const given = options.qparams;
  if (given) {
    if (!validScales(given.scales, n, info.float ? 0 : MIN_INT_SCALE)) return null;
    if (!info.float && !validZeroPoints(given.zeroPoints, n)) return null;
  }
  const scales = target ? target.scales : given ? given.scales : new Float32Array(n);
  if (target && given) scales.set(given.scales);
  let zeroPoints = given?.zeroPoints;
  let computedZeroPoints: Int32Array | undefined;
  // Output: straight into WebAssembly memory when the target lives there (no copy), else a JS array.
  const outAddress = target ? k.addressOf(target.data) : -1;
  const data: Int8Array | Uint8Array = target ? target.data : new DataType(bytes);
  const src = new Source(k, tensor.data);
  const s = new Scratch(k);
  const fused = !given && !info.float;
  // The one-pass path: range, parameters and codes per block in one WebAssembly call per tile.
  const rows =
    fused && spec.floatRange === undefined && (spec.scaleDtype ?? 'float32') === 'float32' && layout.chunk <= TILE;
  try {
    if (rows) {
      const qp = quantizeRows(k, s, src, layout, gs, facts, spec, blockShape, data, outAddress, pool);
      if (!qp) return null;
      scales.set(qp.scales);
      computedZeroPoints = qp.zeroPoints;
    }
    const perTile = TILE / MIN_CHUNK;
    const ranges = given ? undefined : { min: new Float32Array(perTile), max: new Float32Array(perTile) };
    for (let gi = 0; gi < (rows ? 0 : gs.length); gi++) {
      const g = gs[gi]!;
      const single = g.length <= TILE;
      // One staging copy per tile: the range pass and the quantize pass read the same (L2-resident) tile.
      const staged = single ? src.piece(g.start, g.length, s.x) : -1;
      if (ranges) {
        const lo = g.chunks <= ranges.min.length ? ranges.min.subarray(0, g.chunks) : new Float32Array(g.chunks);
        const hi = g.chunks <= ranges.max.length ? ranges.max.subarray(0, g.chunks) : new Float32Array(g.chunks);
        if (single) {
          if (k.exports.range(staged, g.chunks, layout.chunk, s.omin, s.omax) !== 0) return null;
          lo.set(k.f32(s.omin, g.chunks));
          hi.set(k.f32(s.omax, g.chunks));
          fixZeroSigns(src, layout.chunk, g, lo, hi);
        } else if (!groupRange(k, s, src, layout, g, lo, hi, 0)) return null;
        const qp = qparamsFromRange(lo, hi, spec, blockShape);
        if (!info.float && !validScales(qp.scales, g.chunks, MIN_INT_SCALE)) return null;
        scales.set(qp.scales, g.c0);
        if (qp.zeroPoints) {
          computedZeroPoints ??= new Int32Array(n);
          computedZeroPoints.set(qp.zeroPoints, g.c0);
        }
        k.f32(s.scales, g.chunks).set(qp.scales);
        const z = k.i32(s.zps, g.chunks);
        if (qp.zeroPoints) z.set(qp.zeroPoints);
        else z.fill(facts.implicitZeroPoint);
      }
      for (let start = g.start; start < g.start + g.length; start += TILE) {
        const length = Math.min(TILE, g.start + g.length - start);
        const ptr = single ? staged : src.piece(start, length, s.x);
        const chunks = single ? g.chunks : 1;
        const chunk = single ? layout.chunk : length;
        if (given) {
          k.f32(s.scales, chunks).set(scales.subarray(g.c0, g.c0 + chunks));
          if (!info.float) {
            const z = k.i32(s.zps, chunks);
            if (zeroPoints) z.set(zeroPoints.subarray(g.c0, g.c0 + chunks));
            else z.fill(facts.implicitZeroPoint);
          }
        }
        const direct = outAddress >= 0 && info.bits === 8;
        const codes = direct ? outAddress + start : s.codes;
        if (info.float) {
          if (k.exports.quant_e4m3(ptr, chunks, chunk, s.scales, codes) !== 0) return null;
        } else {
          const args: QuantIntArgs = [
            ptr,
            chunks,
            chunk,
            s.scales,
            s.zps,
            facts.qmin,
            facts.qmax,
            info.unsigned ? 1 : 0,
            codes,
          ];
          // Fused: the range pass has found the input finite and zero points come from qparamsFromRange.
          if (fused) k.exports.quant_int_fx(...args);
          else if (k.exports.quant_int(...args) !== 0) return null;
        }
        if (info.bits === 4) {
          const packedBytes = Math.ceil(length / 2);
          if (outAddress >= 0) k.exports.pack4(s.codes, length, outAddress + start / 2);
          else {
            k.exports.pack4(s.codes, length, s.packed);
            data.set(k.u8(s.packed, packedBytes), start / 2);
          }
        } else if (!direct) {
          data.set(DataType === Int8Array ? k.i8(s.codes, length) : k.u8(s.codes, length), start);
        }
      }
    }
  } finally {
    s.free();
  }
  const result: { -readonly [K in keyof QuantizedTensor]: QuantizedTensor[K] } = {
    dtype: spec.dtype,
    shape: [...tensor.shape],
    blockShape: [...blockShape],
    spec: resolveGranularityAxes(spec, tensor.shape, options.opKind),
    // A target in WebAssembly memory: return a live view (the scratch allocation may have grown the memory).
    data: outAddress < 0 ? data : DataType === Int8Array ? k.i8(outAddress, bytes) : k.u8(outAddress, bytes),
    scales,
  };
  if (!info.float) {
    if (!given)
      zeroPoints = computedZeroPoints && computedZeroPoints.some((z) => z !== 0) ? computedZeroPoints : undefined;
    if (zeroPoints !== undefined || facts.implicitZeroPoint !== 0) {
      const zp = zeroPoints ?? new Int32Array(n).fill(facts.implicitZeroPoint);
      if (target?.zeroPoints) {
        target.zeroPoints.set(zp);
        result.zeroPoints = target.zeroPoints;
      } else {
        result.zeroPoints = zp;
      }
    }
  }
  return result;
}

/** WASM dequantize, or null. */
export function wasmDequantize(k: WasmKernels, q: QuantizedTensor): Tensor | null {
  if (typeof q !== 'object' || q === null) return null;
  const facts = specFacts(q.spec);
  if (!facts || q.minvals !== undefined) return null;
  const { info } = facts;
  const layout = sequentialLayout(q.shape, q.blockShape);
  if (!layout) return null;
  const gs = groups(layout, info.bits === 4);
  if (!gs) return null;
  const n = layout.numBlocks;
  if (!validScales(q.scales, n, 0)) return null;
  const zeroPoints = info.float ? undefined : q.zeroPoints;
  if (!validZeroPoints(zeroPoints, n)) return null;
  const bytes = info.bits === 4 ? Math.ceil(layout.size / 2) : layout.size;
  if (!(q.data instanceof Uint8Array || q.data instanceof Int8Array) || q.data.length !== bytes) return null;
  const raw = new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.length);
  const out = new Float32Array(layout.size);
  const s = new Scratch(k);
  try {
    for (const g of gs) {
      for (const p of pieces(g)) {
        const chunks = g.length <= TILE ? g.chunks : 1;
        const chunk = g.length <= TILE ? layout.chunk : p.length;
        if (info.bits === 4) {
          const b0 = p.start / 2;
          const b1 = Math.ceil((p.start + p.length) / 2);
          k.u8(s.packed, b1 - b0).set(raw.subarray(b0, b1));
          k.exports.unpack4(s.packed, p.length, info.unsigned ? 0 : 1, s.codes);
        } else {
          k.u8(s.codes, p.length).set(raw.subarray(p.start, p.start + p.length));
        }
        k.f32(s.scales, chunks).set(q.scales.subarray(g.c0, g.c0 + chunks));
        if (info.float) {
          k.exports.dequant_e4m3(s.codes, chunks, chunk, s.scales, s.x);
        } else {
          const z = k.i32(s.zps, chunks);
          if (zeroPoints) z.set(zeroPoints.subarray(g.c0, g.c0 + chunks));
          else z.fill(facts.implicitZeroPoint);
          const bad = k.exports.dequant_int(
            s.codes,
            chunks,
            chunk,
            s.scales,
            s.zps,
            info.unsigned ? 1 : 0,
            s.x,
            facts.qmin,
            facts.qmax,
          );
          // A code outside a clipped range: the reference reports it.
          if (bad !== 0) return null;
        }
        out.set(k.f32(s.x, p.length), p.start);
      }
    }
  } finally {
    s.free();
  }
  return { data: out, shape: [...q.shape] };
}
