/**
 * The demo's accuracy table (`pnpm demo`, `lowbit demo`): the bundled Fashion-MNIST classifier compressed by each
 * lowbit workflow, every result written as an `.mlpackage`, read back, and run through the reference evaluator
 * (@lowbit/mil-eval) on the 10k test images, so each number describes the file on disk.
 *
 * Only @lowbit/* packages and Node built-ins are imported, so the module can move into the CLI unchanged.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isQuantError } from '@lowbit/dtypes';
import {
  compressWeights,
  listWeights,
  quantizeActivations,
  readMlPackage,
  readWeight,
  writeMlPackage,
} from '@lowbit/io-mlpackage';
import type { MlPackage, WeightInfo } from '@lowbit/io-mlpackage';
import { dequantize, sqnr } from '@lowbit/kernels';
import type { Tensor } from '@lowbit/kernels';
import { evaluateClassifier, layerInputRows, loadProgram, readIdxDataset, runProgram } from '@lowbit/mil-eval';
import type { IdxDataset, MilInput } from '@lowbit/mil-eval';
import { createCalibrator, quantizeWeights } from '@lowbit/ptq';
import { getPreset, resolveBlockShape } from '@lowbit/spec';
import type { QuantizationConfig, QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import { gptqQuantizePackage } from '../gptq-package.js';
import { imageBatches } from '../image-batches.js';
import { fixed, formatTable } from '../format-table.js';
import { DEMO_MODEL, findDemoData } from './demo-data.js';
import { qatFineTuneClassifier } from './qat-finetune.js';

/** The rows of the table, in order. */
export const DEMO_ROWS = ['float32', 'w8', 'w4', 'w4_per_block', 'w4_gptq', 'w4_qat', 'w8a8', 'fp8'] as const;
/** One row id. */
export type DemoRowId = (typeof DEMO_ROWS)[number];

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Directory with the IDX files (`t10k-*`, `calib-*`). @defaultValue the bundled data (see `findDemoData`) */
  readonly dataDir?: string;
  /** The float model. @defaultValue `<dataDir>/fashion-mnist-classifier.mlpackage` */
  readonly modelPath?: string;
  /** Where the compressed packages are written. @defaultValue `demo-out` (relative to the working directory) */
  readonly outDir?: string;
  /** Evaluate only the first `limit` test images. @defaultValue all 10000 */
  readonly limit?: number;
  /** Rows to run. @defaultValue all of {@link DEMO_ROWS} */
  readonly rows?: readonly DemoRowId[];
  /** Receives one line per finished step. */
  readonly log?: (line: string) => void;
  /** Receives transient progress text (a progress bar redraws it in place). */
  readonly progress?: (text: string) => void;
}

/** One measured row. */
export interface DemoRow {
  readonly id: DemoRowId;
  /** What is stored: `int4 per-block(32)`, ... */
  readonly config: string;
  /** How it was produced: `PTQ (RTN)`, `GPTQ`, `PTQ + activation calibration`... */
  readonly workflow: string;
  /** The written package, or null when the format cannot hold the result (computed in memory). */
  readonly file: string | null;
  /** Bytes stored for all weights (codes, scales, zero points; float biases as they are). */
  readonly weightBytes: number;
  /** float16 bytes of the same weights / `weightBytes`. */
  readonly ratio: number;
  /** Top-1 accuracy on the evaluated test images, in [0, 1]. */
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
  /** SQNR (dB) of the compressed layer weights, all together, against the float weights; Infinity for the baseline. */
  readonly sqnrDb: number;
  /** Wall time of the row: compression, writing, reading back and evaluation. */
  readonly seconds: number;
  /** Remarks (fallbacks, why a row is in memory). */
  readonly notes: readonly string[];
}

/** Result of {@link runDemo}. */
export interface DemoResult {
  readonly rows: readonly DemoRow[];
  /** The table as printed. */
  readonly table: string;
  readonly seconds: number;
  readonly testImages: number;
  readonly calibrationImages: number;
}

interface Layer {
  readonly info: WeightInfo;
  readonly opType: string;
  readonly tensor: Tensor;
}

interface Context {
  readonly pkg: MlPackage;
  readonly layers: readonly Layer[];
  readonly fp16Bytes: number;
  readonly test: IdxDataset;
  readonly calib: IdxDataset;
  readonly outDir: string;
  readonly limit: number;
  readonly progress: (text: string) => void;
}

interface Produced {
  readonly config: string;
  readonly workflow: string;
  /** A package to write, or null for in-memory rows. */
  readonly pkg: MlPackage | null;
  /** In-memory rows: dequantized weights by name and the stored bytes. */
  readonly overrides?: Record<string, MilInput>;
  readonly weightBytes?: number;
  readonly notes: string[];
}

const LABELS: Readonly<Record<DemoRowId, string>> = {
  float32: 'float32 baseline',
  w8: 'W8 per-channel',
  w4: 'W4 per-channel',
  w4_per_block: 'W4 per-block-32',
  w4_gptq: 'W4 per-channel GPTQ',
  w4_qat: 'W4 per-channel QAT',
  w8a8: 'W8A8',
  fp8: 'float8_e4m3fn',
};

/** A preset's config for every layer weight, whatever its size (the bundled model's conv has only 72 weights). */
function allWeights(name: string): QuantizationConfig {
  return { ...getPreset(name), minSize: 0 };
}

function weightSpec(config: QuantizationConfig): QuantizationSpec {
  return config.global as QuantizationSpec;
}

/** Per-block config with a per-channel fallback (same dtype) for layers whose input axis the block does not divide. */
function perBlockConfig(layers: readonly Layer[], notes: string[]): QuantizationConfig {
  const base = allWeights('w4_per_block');
  const spec = weightSpec(base);
  const byOpName: Record<string, QuantizationSpec> = {};
  for (const l of layers) {
    try {
      resolveBlockShape(spec, l.tensor.shape, l.opType);
    } catch (e) {
      if (!isQuantError(e) || e.code !== 'SPEC_BLOCK_SIZE_MISMATCH') throw e;
      byOpName[l.info.name] = { ...spec, granularity: { type: 'per_channel' } };
      notes.push(
        `${l.info.name} [${l.tensor.shape.join(', ')}]: input axis not divisible by 32, int4 per-channel instead`,
      );
    }
  }
  return { ...base, byOpName };
}

async function ptq(ctx: Context, config: QuantizationConfig): Promise<Map<string, QuantizedTensor>> {
  const { tensors } = await quantizeWeights(
    ctx.layers.map((l) => ({ name: l.info.name, opType: l.opType, tensor: l.tensor })),
    config,
  );
  return new Map(tensors.map((t) => [t.name, t.quantized]));
}

function compress(ctx: Context, tensors: ReadonlyMap<string, QuantizedTensor>): MlPackage {
  return compressWeights(
    ctx.pkg,
    [...tensors].map(([weight, tensor]) => ({ weight, tensor })),
  ).package;
}

function inputOf(ctx: Context): string {
  return ctx.pkg.model.description?.input[0]?.name ?? 'image';
}

function calibrationBatches(ctx: Context, size: number): MilInput[] {
  const { images } = ctx.calib;
  return imageBatches(images, size, [1, images.rows, images.cols]);
}

async function produce(ctx: Context, id: DemoRowId): Promise<Produced> {
  const notes: string[] = [];
  switch (id) {
    case 'float32':
      return { config: 'float32', workflow: 'trained (tools/train-fashion-mnist.ts)', pkg: ctx.pkg, notes };
    case 'w8':
      return {
        config: 'int8 per-channel',
        workflow: 'PTQ (RTN, preset w8)',
        pkg: compress(ctx, await ptq(ctx, allWeights('w8'))),
        notes,
      };
    case 'w4':
      return {
        config: 'int4 per-channel',
        workflow: 'PTQ (RTN, preset w4)',
        pkg: compress(ctx, await ptq(ctx, allWeights('w4'))),
        notes,
      };
    case 'w4_per_block':
      return {
        config: 'int4 per-block(32)',
        workflow: 'PTQ (RTN, preset w4_per_block)',
        pkg: compress(ctx, await ptq(ctx, perBlockConfig(ctx.layers, notes))),
        notes,
      };
    case 'w4_gptq': {
      const result = await gptqQuantizePackage(ctx.pkg, ctx.calib.images, allWeights('w4'), {
        onProgress: (p) => ctx.progress(`GPTQ ${p.phase} ${p.layer} (${p.index + 1}/${p.total})`),
      });
      const tensors = new Map(result.layers.map((l) => [l.weight, l.result.quantized]));
      notes.push(
        `calibrated on ${ctx.calib.images.count} training images, sequential over ${result.layers.length} layers`,
      );
      return { config: 'int4 per-channel', workflow: 'GPTQ (preset w4)', pkg: compress(ctx, tensors), notes };
    }
    case 'w4_qat': {
      const result = await qatFineTuneClassifier(ctx.pkg, ctx.calib.images, ctx.calib.labels, allWeights('w4'), {
        onProgress: (step, total) => ctx.progress(`QAT step ${step}/${total}`),
      });
      notes.push(
        `fine-tuned ${result.steps} steps of 64 on ${ctx.calib.images.count} training images, distilling the float ` +
          `model (loss vs labels ${result.firstLoss.toFixed(3)} -> ${result.lastLoss.toFixed(3)}), LSQ scales`,
      );
      return {
        config: 'int4 per-channel',
        workflow: 'QAT (fake-quant fine-tuning, STE/LSQ)',
        pkg: compress(ctx, result.tensors),
        notes,
      };
    }
    case 'w8a8': {
      const config = getPreset('w8a8');
      const actSpec = config.activation as QuantizationSpec;
      const calibrator = createCalibrator({ spec: actSpec });
      const program = await loadProgram(ctx.pkg);
      const layerOps = new Set(ctx.layers.flatMap((l) => l.info.consumers.map((c) => c.opName)));
      for (const batch of calibrationBatches(ctx, 256)) {
        runProgram(
          program,
          { [inputOf(ctx)]: batch },
          {
            onOp: (e) => {
              const x = e.inputs.x;
              if (layerOps.has(e.name) && x !== undefined && layerInputRows(e) !== null)
                calibrator.observe(e.name, { data: x.data, shape: x.shape });
            },
          },
        );
      }
      const qp = calibrator.finalize();
      const specs = Object.entries(qp).map(([op, p]) => ({
        op,
        dtype: 'int8' as const,
        scale: p.qparams.scales[0] as number,
        zeroPoint: p.qparams.zeroPoints?.[0] ?? 0,
      }));
      notes.push(
        `activations: int8 per-tensor quantize/dequantize before ${specs.map((s) => s.op).join(', ')} (min-max on ${ctx.calib.images.count} images)`,
      );
      return {
        config: 'int8 per-channel + int8 activations',
        workflow: 'PTQ + activation calibration (preset w8a8)',
        pkg: quantizeActivations(compress(ctx, await ptq(ctx, { ...config, minSize: 0 })), specs).package,
        notes,
      };
    }
    case 'fp8': {
      const tensors = await ptq(ctx, allWeights('fp8'));
      try {
        compress(ctx, tensors);
        notes.push('io-mlpackage accepted float8 weights (unexpected)');
      } catch (e) {
        notes.push(
          `not writable: ${isQuantError(e) ? e.code : 'error'} (Core ML has no float8 weight op); evaluated in memory`,
        );
      }
      const overrides: Record<string, MilInput> = {};
      let weightBytes = 0;
      const quantized = new Set(tensors.keys());
      for (const [name, q] of tensors) {
        overrides[name] = { data: dequantize(q).data, shape: q.shape };
        weightBytes += q.data.byteLength + q.scales.length * 2; // codes + float16 scales, as Core ML would store them
      }
      for (const w of listWeights(ctx.pkg)) if (!quantized.has(w.name)) weightBytes += w.byteSize;
      return {
        config: 'float8_e4m3fn per-channel',
        workflow: 'PTQ (preset fp8), in memory',
        pkg: null,
        overrides,
        weightBytes,
        notes,
      };
    }
  }
}

/** Overall SQNR of the layer weights of `pkg` (or of the overrides) against the float weights. */
async function weightSqnr(
  ctx: Context,
  pkg: MlPackage | null,
  overrides: Record<string, MilInput> | undefined,
): Promise<number> {
  const n = ctx.layers.reduce((a, l) => a + l.tensor.data.length, 0);
  const ref = new Float32Array(n);
  const got = new Float32Array(n);
  let o = 0;
  for (const l of ctx.layers) {
    ref.set(l.tensor.data, o);
    got.set(overrides?.[l.info.name]?.data ?? (pkg !== null ? await readWeight(pkg, l.info.name) : l.tensor.data), o);
    o += l.tensor.data.length;
  }
  return sqnr(ref, got);
}

async function measure(ctx: Context, id: DemoRowId, started: number): Promise<DemoRow> {
  const made = await produce(ctx, id);
  let file: string | null = null;
  let pkg: MlPackage | null = null;
  let weightBytes = made.weightBytes ?? 0;
  if (made.pkg !== null) {
    file = join(ctx.outDir, `${id}.mlpackage`);
    ctx.progress(`writing ${file}`);
    await writeMlPackage(made.pkg, file, { overwrite: true });
    pkg = await readMlPackage(file);
    weightBytes = listWeights(pkg).reduce((a, w) => a + w.byteSize, 0);
  }
  const evaluated = pkg ?? ctx.pkg;
  const result = await evaluateClassifier(evaluated, ctx.test.images, ctx.test.labels, {
    limit: ctx.limit,
    batchSize: 500,
    ...(made.overrides === undefined ? {} : { overrides: made.overrides }),
    onProgress: (p) =>
      ctx.progress(
        `evaluating ${file ?? 'in memory'}: ${p.done}/${p.total} images, ${((p.correct / p.done) * 100).toFixed(2)}%`,
      ),
  });
  return {
    id,
    config: made.config,
    workflow: made.workflow,
    file,
    weightBytes,
    ratio: ctx.fp16Bytes / weightBytes,
    accuracy: result.accuracy,
    correct: result.correct,
    total: result.total,
    sqnrDb: id === 'float32' ? Infinity : await weightSqnr(ctx, pkg, made.overrides),
    seconds: (performance.now() - started) / 1000,
    notes: made.notes,
  };
}

/** Renders the rows as the demo prints them (accuracy in %, delta against the first row). */
export function formatDemoTable(rows: readonly DemoRow[]): string {
  const base = rows.find((r) => r.id === 'float32')?.accuracy;
  const body = rows.map((r) => [
    LABELS[r.id] + (r.file === null ? ' *' : ''),
    r.workflow,
    `${fixed(r.ratio, 2)}x`,
    `${(r.weightBytes / 1024).toFixed(1)} KiB`,
    `${fixed(r.accuracy * 100, 2)}%`,
    base === undefined || r.id === 'float32'
      ? '-'
      : `${r.accuracy - base >= 0 ? '+' : ''}${((r.accuracy - base) * 100).toFixed(2)}`,
    r.sqnrDb === Infinity ? '-' : `${fixed(r.sqnrDb, 1)} dB`,
    `${r.seconds.toFixed(1)} s`,
  ]);
  return formatTable(['config', 'workflow', 'ratio vs fp16', 'weights', 'top-1', 'delta', 'weight SQNR', 'time'], body);
}

/**
 * Runs the demo: loads the bundled model and data, then for each row compresses, writes
 * `<outDir>/<row>.mlpackage`, reads it back and measures top-1 accuracy with the reference evaluator.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const progress = options.progress ?? (() => {});
  const dataDir = findDemoData(options.dataDir);
  const outDir = resolve(options.outDir ?? 'demo-out');
  await mkdir(outDir, { recursive: true });
  const pkg = await readMlPackage(options.modelPath ?? join(dataDir, DEMO_MODEL));
  const test = await readIdxDataset(dataDir, 't10k');
  const calib = await readIdxDataset(dataDir, 'calib');
  const all = listWeights(pkg);
  const layers: Layer[] = [];
  for (const info of all) {
    const consumer = info.consumers.find((c) => c.input === 'weight' && (c.opType === 'linear' || c.opType === 'conv'));
    if (consumer === undefined) continue;
    layers.push({
      info,
      opType: consumer.opType,
      tensor: { data: await readWeight(pkg, info.name), shape: info.shape },
    });
  }
  const fp16Bytes = all.reduce((a, w) => a + w.elementCount * 2, 0);
  const limit = options.limit ?? test.images.count;
  log(
    `model ${DEMO_MODEL}: ${layers.map((l) => `${l.info.name} [${l.tensor.shape.join(', ')}] (${l.opType})`).join(', ')}`,
  );
  log(`data: ${limit} test images, ${calib.images.count} calibration images; packages go to ${outDir}`);
  const ctx: Context = { pkg, layers, fp16Bytes, test, calib, outDir, limit, progress };
  const rows: DemoRow[] = [];
  const ids = options.rows ?? DEMO_ROWS;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as DemoRowId;
    const t0 = performance.now();
    progress(`[${i + 1}/${ids.length}] ${LABELS[id]}`);
    const row = await measure(ctx, id, t0);
    rows.push(row);
    log(
      `[${i + 1}/${ids.length}] ${LABELS[id]}: ${(row.accuracy * 100).toFixed(2)}% top-1, ${fixed(row.ratio, 2)}x, ${row.seconds.toFixed(1)} s${row.file !== null ? ` -> ${row.file}` : ' (in memory)'}`,
    );
    for (const note of row.notes) log(`      ${note}`);
  }
  return {
    rows,
    table: formatDemoTable(rows),
    seconds: (performance.now() - started) / 1000,
    testImages: limit,
    calibrationImages: calib.images.count,
  };
}
