import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  compressWeights,
  listWeights,
  readMlPackage,
  readWeight,
  upgradeOpset,
  writeMlPackage,
} from '@lowbit/io-mlpackage';
import type { MlPackage, OpsetTarget, WeightInfo } from '@lowbit/io-mlpackage';
import { quantizeWeightsStream } from '@lowbit/ptq';
import type { PtqTensorReport, WeightTensor } from '@lowbit/ptq';
import type { QuantizationConfig, QuantizationSpec, QuantizedTensor } from '@lowbit/spec';
import type { CliEnvironment } from '../cli-environment.js';
import { flag, optionalCount, positionals, requiredOption, stringOption, targetOption } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { fixed, formatBytes, formatTable } from '../format-table.js';
import { loadConfig, WEIGHT_OP_TYPES } from '../load-config.js';
import { directorySize } from '../package-size.js';
import { createProgress } from '../progress.js';

/** One row of the quantize report: every weight of the package appears exactly once. */
export interface QuantizeReportRow {
  readonly name: string;
  readonly opType: string | null;
  readonly shape: readonly number[];
  readonly status: 'quantized' | 'skipped';
  /** The spec's rule, or exactly why the weight was left alone. */
  readonly reason: string;
  readonly spec: string | null;
  readonly op: string | null;
  /** Bytes stored for the weight before and after (codes, scales, zero points as written). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** SQNR in dB of the written weight against the original, or null when left alone. */
  readonly sqnrDb: number | null;
  readonly maxAbsError: number | null;
}

/** The report `lowbit quantize` prints and writes with `--report`. */
export interface QuantizeReport {
  readonly input: string;
  readonly output: string;
  readonly config: string;
  readonly target: OpsetTarget | null;
  readonly weights: readonly QuantizeReportRow[];
  readonly totals: {
    readonly weights: number;
    readonly quantized: number;
    readonly skipped: number;
    readonly weightBytesBefore: number;
    readonly weightBytesAfter: number;
    readonly packageBytesBefore: number;
    readonly packageBytesAfter: number;
    readonly compressionRatio: number;
  };
}

/** The report row of a weight left as it was. */
function skippedRow(w: WeightInfo, reason: string): QuantizeReportRow {
  return {
    name: w.name,
    opType: w.opType,
    shape: w.shape,
    status: 'skipped',
    reason,
    spec: null,
    op: null,
    bytesBefore: w.byteSize,
    bytesAfter: w.byteSize,
    sqnrDb: null,
    maxAbsError: null,
  };
}

/** Why lowbit leaves a weight alone before any config is consulted, or null when the config decides. */
function structuralSkipReason(w: WeightInfo): string | null {
  if (w.compression) {
    return `already compressed (constexpr_${w.compression.kind}); run \`lowbit decompress\` first to requantize it`;
  }
  if (w.consumers.length === 0) return 'no op reads it';
  if (w.feedsBlockOutput) return 'it is also a program output, which Core ML cannot compress';
  if (w.dtype !== 'float16' && w.dtype !== 'float32') return `its dtype ${w.dtype} is not a float weight`;
  if (w.shape.length <= 1) return '1-D tensors (biases, norms) stay in float, as coremltools does';
  const input = w.consumers[0]?.input;
  if (input === 'bias') return 'biases stay in float';
  return null;
}

/** Adapts a spec to the weight's storage: fp16 models keep fp16 scales, so codes and written scales agree. */
function specForWeight(spec: QuantizationSpec, weight: WeightInfo): QuantizationSpec {
  if (spec.scaleDtype !== undefined || weight.dtype !== 'float16') return spec;
  return { ...spec, scaleDtype: 'float16' };
}

/** Applies the weight-storage adaptation to every spec of a config. */
function adaptConfig(config: QuantizationConfig, weight: WeightInfo): QuantizationConfig {
  const adapt = (s: QuantizationSpec | null): QuantizationSpec | null => (s ? specForWeight(s, weight) : null);
  const mapRecord = (r: Readonly<Record<string, QuantizationSpec | null>> | undefined) =>
    r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, adapt(v)])) : undefined;
  const byOpType = mapRecord(config.byOpType);
  const byOpName = mapRecord(config.byOpName);
  return {
    ...config,
    global: adapt(config.global),
    ...(byOpType ? { byOpType } : {}),
    ...(byOpName ? { byOpName } : {}),
  };
}

/**
 * Quantizes the weights of a package with a config and writes the result: the engine of `lowbit quantize`.
 * Weights are read and quantized one at a time.
 */
export async function quantizePackage(
  inputPath: string,
  outputPath: string,
  config: QuantizationConfig,
  options: { configLabel: string; target?: OpsetTarget; overwrite?: boolean; env?: CliEnvironment },
): Promise<QuantizeReport> {
  let pkg: MlPackage = await readMlPackage(inputPath);
  if (options.target) pkg = upgradeOpset(pkg, options.target);
  const weights = listWeights(pkg);
  const rows = new Map<string, QuantizeReportRow>();
  const candidates: WeightInfo[] = [];
  for (const w of weights) {
    const reason = structuralSkipReason(w);
    if (reason === null) {
      candidates.push(w);
      continue;
    }
    rows.set(w.id, skippedRow(w, `skipped: ${reason}`));
  }
  const progress = options.env ? createProgress(options.env, 'quantize') : null;
  // Config names match weight names (the const's output); ids disambiguate names repeated across functions.
  const nameCounts = new Map<string, number>();
  for (const w of candidates) nameCounts.set(w.name, (nameCounts.get(w.name) ?? 0) + 1);
  const keyOf = (w: WeightInfo): string => ((nameCounts.get(w.name) ?? 0) > 1 ? w.id : w.name);
  const byName = new Map<string, WeightInfo>();
  for (const w of candidates) byName.set(keyOf(w), w);
  async function* tensors(): AsyncGenerator<WeightTensor> {
    for (const w of candidates) {
      yield {
        name: keyOf(w),
        opType: w.opType ?? 'other',
        tensor: { data: await readWeight(pkg, w), shape: [...w.shape] },
        consumers: w.consumers.map((c) => c.opName),
        originalDType: w.dtype,
      };
    }
  }
  const quantized: { weight: WeightInfo; tensor: QuantizedTensor; entry: PtqTensorReport }[] = [];
  const skipped: PtqTensorReport[] = [];
  let index = 0;
  for await (const item of quantizeWeightsStream(tensors(), perWeightConfig(config, byName), {
    total: candidates.length,
    onError: 'skip',
  })) {
    if (item.type === 'report') break;
    progress?.update(++index, candidates.length, item.name);
    const weight = byName.get(item.name) as WeightInfo;
    if (item.quantized) quantized.push({ weight, tensor: item.quantized, entry: item.entry });
    else skipped.push(item.entry);
  }
  for (const entry of skipped) {
    const w = byName.get(entry.name) as WeightInfo;
    const notAWeightOp =
      entry.skipReason === 'disabled_globally' && !(WEIGHT_OP_TYPES as readonly string[]).includes(w.opType ?? '');
    rows.set(
      w.id,
      skippedRow(
        w,
        notAWeightOp
          ? `skipped: ${w.opType} ops are not quantized by this config (it covers ${WEIGHT_OP_TYPES.join(', ')}); add "${w.opType}" to byOpType in a --config to include them`
          : entry.status === 'failed'
            ? `skipped: cannot be quantized with ${entry.specLabel ?? 'its spec'}: ${entry.error?.message ?? entry.reason}`
            : entry.reason,
      ),
    );
  }
  const result = compressWeights(
    pkg,
    quantized.map((q) => ({ weight: q.weight, tensor: q.tensor })),
  );
  for (const [i, written] of result.weights.entries()) {
    const q = quantized[i] as (typeof quantized)[number];
    rows.set(q.weight.id, {
      name: q.weight.name,
      opType: q.weight.opType,
      shape: q.weight.shape,
      status: 'quantized',
      reason: q.entry.reason,
      spec: q.entry.specLabel,
      op: written.op,
      bytesBefore: written.bytesBefore,
      bytesAfter: written.bytesAfter,
      sqnrDb: q.entry.sqnrDb,
      maxAbsError: q.entry.maxAbsError,
    });
  }
  const written = await writeMlPackage(result.package, outputPath, {
    overwrite: options.overwrite === true,
    onProgress: (p) => progress?.update(p.done, p.total, `writing ${p.phase}`),
  });
  const ordered = weights.map((w) => rows.get(w.id) as QuantizeReportRow);
  const packageBytesBefore = await directorySize(inputPath);
  const weightBytesBefore = ordered.reduce((s, r) => s + r.bytesBefore, 0);
  const weightBytesAfter = ordered.reduce((s, r) => s + r.bytesAfter, 0);
  progress?.finish(`quantize: wrote ${written.path}`);
  return {
    input: inputPath,
    output: written.path,
    config: options.configLabel,
    target: options.target ?? null,
    weights: ordered,
    totals: {
      weights: ordered.length,
      quantized: ordered.filter((r) => r.status === 'quantized').length,
      skipped: ordered.filter((r) => r.status === 'skipped').length,
      weightBytesBefore,
      weightBytesAfter,
      packageBytesBefore,
      packageBytesAfter: written.totalBytes,
      compressionRatio: packageBytesBefore / written.totalBytes,
    },
  };
}

/** Resolves the config per weight so fp16 weights get fp16 scales (see {@link specForWeight}). */
function perWeightConfig(config: QuantizationConfig, weights: ReadonlyMap<string, WeightInfo>): QuantizationConfig {
  const anyFp16 = [...weights.values()].some((w) => w.dtype === 'float16');
  const first = [...weights.values()][0];
  if (!anyFp16 || first === undefined) return config;
  // Mixed fp16/fp32 programs do not occur in practice (a program has one weight precision); use the first.
  return adaptConfig(config, first);
}

/** Renders the report as the table `lowbit quantize` prints. */
export function formatQuantizeReport(report: QuantizeReport): string {
  const t = report.totals;
  return [
    formatTable(
      ['weight', 'op type', 'shape', 'result', 'bytes before', 'bytes after', 'SQNR dB', 'max abs err'],
      report.weights.map((r) => [
        r.name,
        r.opType ?? '-',
        `[${r.shape.join(', ')}]`,
        r.status === 'quantized' ? `${r.spec} -> ${r.op}` : r.reason,
        r.bytesBefore,
        r.bytesAfter,
        r.sqnrDb === null ? '-' : fixed(r.sqnrDb, 2),
        r.maxAbsError === null ? '-' : r.maxAbsError.toExponential(2),
      ]),
    ),
    '',
    `config: ${report.config}${report.target ? `, opset raised to ${report.target}` : ''}`,
    `${t.quantized} of ${t.weights} weights quantized, ${t.skipped} left alone (each with its reason above)`,
    `weights ${formatBytes(t.weightBytesBefore)} -> ${formatBytes(t.weightBytesAfter)}; package ${formatBytes(t.packageBytesBefore)} -> ${formatBytes(t.packageBytesAfter)} (${t.compressionRatio.toFixed(2)}x)`,
    `wrote ${report.output}`,
  ].join('\n');
}

/** `lowbit quantize`: linear weight quantization of a Core ML package. */
export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'quantize the weights of a .mlpackage (int8 / int4, per-channel or per-block) with a report',
  help: `usage: lowbit quantize <in.mlpackage> -o <out.mlpackage> [--preset NAME | --config spec.json]
                      [--target iOS16|iOS17|iOS18] [--report report.json] [--json] [--overwrite]

Writes a smaller package whose weights are stored as constexpr_affine_dequantize (iOS16/17: int8/uint8
per-tensor or per-channel) or constexpr_blockwise_shift_scale (iOS18: int4/uint4/int8/uint8 per-block).
Without --preset or --config it does what coremltools' linear_quantize_weights does by default: int8,
per-channel, symmetric with clipping (scale amax/127), weights of linear / conv / conv_transpose / matmul /
gather ops with more than 2048 elements. Every weight appears in the report: quantized with which spec
(bytes before and after, SQNR and max error of the written weight), or skipped and exactly why.

options:
  -o, --output PATH   where to write the new package (never the input)
  --preset NAME       w8, w8_coreml, w4, w4_per_block, fp8, mxfp4, nvfp4 (fp8/fp4 cannot be stored in Core ML
                      today and are refused with a clear error)
  --config FILE       a QuantizationConfig JSON (lowbit or coreai-opt spelling); see docs/spec.md
  --target OS         raise the program's opset first (only when no op changes meaning; otherwise the
                      blocking ops are listed). int4 and per-block need iOS18.
  --min-size N        quantize only weights with more than N elements (default 2048, coremltools' threshold)
  --report FILE       also write the report as JSON
  --json              print the report as JSON instead of a table
  --overwrite         replace an existing output package
`,
  options: {
    output: { type: 'string', short: 'o' },
    preset: { type: 'string' },
    config: { type: 'string' },
    target: { type: 'string' },
    report: { type: 'string' },
    'min-size': { type: 'string' },
    json: { type: 'boolean' },
    overwrite: { type: 'boolean' },
  },
  async run(args, env) {
    const [input] = positionals(args, ['in.mlpackage'], 'quantize');
    const output = requiredOption(args, 'output', 'quantize');
    const target = targetOption(args, 'quantize');
    const { config, label } = await loadConfig(
      stringOption(args, 'preset'),
      stringOption(args, 'config'),
      env.cwd,
      'quantize',
      optionalCount(args, 'min-size', 'quantize'),
    );
    const report = await quantizePackage(resolve(env.cwd, input as string), resolve(env.cwd, output), config, {
      configLabel: label,
      ...(target ? { target } : {}),
      overwrite: flag(args, 'overwrite'),
      env,
    });
    const reportPath = stringOption(args, 'report');
    if (reportPath !== undefined) {
      await writeFile(resolve(env.cwd, reportPath), `${JSON.stringify(report, null, 2)}\n`);
    }
    env.out(flag(args, 'json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatQuantizeReport(report)}\n`);
    return EXIT.ok;
  },
};
