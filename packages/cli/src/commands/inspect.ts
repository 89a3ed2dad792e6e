import { resolve } from 'node:path';
import { listActivationQuantization, listWeights, readMlPackage } from '@lowbit/io-mlpackage';
import type { MlPackage, WeightInfo } from '@lowbit/io-mlpackage';
import { flag, positionals } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { formatBytes, formatTable } from '../format-table.js';
import { directorySize } from '../package-size.js';

/** Human label of how a weight is stored. */
export function compressionLabel(weight: WeightInfo): string {
  const c = weight.compression;
  if (!c) return '-';
  const details = c.details;
  const parts: string[] = [c.kind];
  const dtype = details['dtype'] ?? details['indicesDtype'];
  if (typeof dtype === 'string') parts.push(dtype);
  if (typeof details['nbits'] === 'number') parts.push(`${details['nbits']}-bit`);
  return parts.join(' ');
}

/** The inspection summary of a package, as `--json` prints it. */
export async function inspectPackage(pkg: MlPackage, path: string): Promise<Record<string, unknown>> {
  const weights = listWeights(pkg);
  const activations = listActivationQuantization(pkg);
  return {
    path,
    specificationVersion: pkg.specificationVersion,
    programs: pkg.programs.map((p) => ({
      modelPath: p.modelPath,
      specificationVersion: p.specificationVersion,
      functions: p.functions.map((f) => ({ name: f.name, opset: f.opset, target: f.target })),
    })),
    totals: {
      weights: weights.length,
      compressed: weights.filter((w) => w.compression !== null).length,
      weightBytes: weights.reduce((sum, w) => sum + w.byteSize, 0),
      elements: weights.reduce((sum, w) => sum + w.elementCount, 0),
      packageBytes: await directorySize(path),
    },
    weights: weights.map((w) => ({
      name: w.name,
      id: w.id,
      consumer: w.consumers[0]?.opName ?? null,
      opType: w.opType,
      input: w.consumers[0]?.input ?? null,
      dtype: w.dtype,
      shape: w.shape,
      bytes: w.byteSize,
      storage: w.storage,
      compression: w.compression
        ? { kind: w.compression.kind, form: w.compression.form, details: w.compression.details }
        : null,
    })),
    activationQuantization: activations.map((a) => ({
      source: a.source,
      consumers: a.consumers.map((c) => c.opName),
      dtype: a.dtype,
      scales: a.scales ? [...a.scales] : null,
      zeroPoints: a.zeroPoints ? [...a.zeroPoints] : null,
      axis: a.axis,
    })),
  };
}

/** `lowbit inspect`: every weight of a Core ML package. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list every weight of a .mlpackage: consumer, op type, dtype, shape, bytes, compression',
  help: `usage: lowbit inspect <model.mlpackage> [--json]

Prints the package's specification version and opsets, then one row per weight (const tensors and
constexpr-compressed weights): name, consuming op, op type, dtype, shape, stored bytes and compression
(affine_dequantize, blockwise_shift_scale, lut_to_dense, sparse_to_dense...), then totals.

options:
  --json   print the inspection as JSON
`,
  options: { json: { type: 'boolean' } },
  async run(args, env) {
    const [input] = positionals(args, ['model.mlpackage'], 'inspect');
    const path = resolve(env.cwd, input as string);
    const pkg = await readMlPackage(path);
    const summary = await inspectPackage(pkg, path);
    if (flag(args, 'json')) {
      env.out(`${JSON.stringify(summary, null, 2)}\n`);
      return EXIT.ok;
    }
    const weights = listWeights(pkg);
    const lines = [`${path}`, `specification version ${pkg.specificationVersion}`];
    for (const program of pkg.programs) {
      for (const fn of program.functions) {
        lines.push(
          `ML Program ${program.modelPath || '(root)'} spec ${program.specificationVersion}, function ${fn.name}: opset ${fn.opset}${fn.target ? ` (${fn.target})` : ''}`,
        );
      }
    }
    lines.push('');
    lines.push(
      formatTable(
        ['weight', 'consumer', 'op type', 'dtype', 'shape', 'bytes', 'compression'],
        weights.map((w) => [
          w.name,
          w.consumers[0]?.opName ?? '-',
          w.opType ?? '-',
          w.dtype,
          `[${w.shape.join(', ')}]`,
          w.byteSize,
          compressionLabel(w),
        ]),
      ),
    );
    const activations = listActivationQuantization(pkg);
    if (activations.length > 0) {
      lines.push('', 'activation quantization (iOS17 quantize / dequantize pairs):');
      lines.push(
        formatTable(
          ['value', 'read by', 'dtype', 'scale', 'zero point'],
          activations.map((a) => [
            a.source,
            a.consumers.map((c) => c.opName).join(', '),
            a.dtype ?? '?',
            a.scales && a.scales.length === 1
              ? (a.scales[0] as number).toExponential(4)
              : a.scales
                ? `${a.scales.length} values`
                : '-',
            a.zeroPoints && a.zeroPoints.length === 1
              ? String(a.zeroPoints[0])
              : a.zeroPoints
                ? `${a.zeroPoints.length} values`
                : '-',
          ]),
        ),
      );
    }
    const totals = summary['totals'] as {
      weights: number;
      compressed: number;
      weightBytes: number;
      packageBytes: number;
    };
    lines.push('');
    lines.push(
      `${totals.weights} weights (${totals.compressed} compressed), ${formatBytes(totals.weightBytes)} of weight data, package ${formatBytes(totals.packageBytes)} on disk`,
    );
    env.out(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};
