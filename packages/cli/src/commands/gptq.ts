import { resolve } from 'node:path';
import { compressWeights, readMlPackage, upgradeOpset, writeMlPackage } from '@lowbit/io-mlpackage';
import type { MlPackage } from '@lowbit/io-mlpackage';
import { readIdxDataset } from '@lowbit/mil-eval';
import { describeSpec } from '@lowbit/spec';
import {
  flag,
  integerOption,
  optionalCount,
  positionals,
  requiredOption,
  stringOption,
  targetOption,
} from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { fixed, formatTable } from '../format-table.js';
import { gptqQuantizePackage } from '../gptq-package.js';
import { loadConfig } from '../load-config.js';
import { createProgress } from '../progress.js';

/** `lowbit gptq`: GPTQ weight quantization of a package, calibrated on IDX images. */
export const gptqCommand: Command = {
  name: 'gptq',
  summary: 'GPTQ-quantize the linear/conv weights of a .mlpackage, calibrated on IDX images',
  help: `usage: lowbit gptq <in.mlpackage> -o <out.mlpackage> --calib <dir> [--prefix calib] [--limit N]
                  [--preset w4 | --config spec.json] [--target iOS18] [--act-order] [--json] [--overwrite]

Sequential GPTQ (Frantar et al. 2022): runs the calibration images through the package with lowbit's reference
evaluator, accumulates each linear/conv layer's input Hessian with every earlier layer already quantized, and
quantizes the layer column by column with error feedback. The result is written with the same constexpr ops as
\`lowbit quantize\`. The model must have one image input; pixels 0..255 are passed as float32.

options:
  -o, --output PATH   where to write the new package
  --calib DIR         directory with <prefix>-images-idx3-ubyte[.gz] calibration images (required)
  --prefix NAME       calibration file prefix (default calib; e.g. train)
  --limit N           use only the first N calibration images (default 1024; GPTQ needs ~128+)
  --preset NAME       spec applied to linear/conv weights (default w4: int4 per-channel)
  --config FILE       a QuantizationConfig JSON instead of a preset
  --target OS         raise the opset first (int4 and per-block need iOS18)
  --act-order         quantize columns by decreasing Hessian diagonal
  --min-size N        quantize only weights with more than N elements (default 2048)
  --json              print JSON
  --overwrite         replace an existing output package
`,
  options: {
    output: { type: 'string', short: 'o' },
    calib: { type: 'string' },
    prefix: { type: 'string' },
    limit: { type: 'string' },
    preset: { type: 'string' },
    config: { type: 'string' },
    target: { type: 'string' },
    'act-order': { type: 'boolean' },
    'min-size': { type: 'string' },
    json: { type: 'boolean' },
    overwrite: { type: 'boolean' },
  },
  async run(args, env) {
    const [input] = positionals(args, ['in.mlpackage'], 'gptq');
    const output = resolve(env.cwd, requiredOption(args, 'output', 'gptq'));
    const calibDir = resolve(env.cwd, requiredOption(args, 'calib', 'gptq'));
    const target = targetOption(args, 'gptq');
    const preset = stringOption(args, 'preset') ?? (stringOption(args, 'config') === undefined ? 'w4' : undefined);
    const { config, label } = await loadConfig(
      preset,
      stringOption(args, 'config'),
      env.cwd,
      'gptq',
      optionalCount(args, 'min-size', 'gptq'),
    );
    // Options are checked before any file is read.
    const requestedLimit = integerOption(args, 'limit', 1024, 'gptq');
    let pkg: MlPackage = await readMlPackage(resolve(env.cwd, input as string));
    if (target) pkg = upgradeOpset(pkg, target);
    const calib = await readIdxDataset(calibDir, stringOption(args, 'prefix') ?? 'calib');
    const limit = Math.min(calib.images.count, requestedLimit);
    const pixels = calib.images.rows * calib.images.cols;
    const images = { ...calib.images, count: limit, data: calib.images.data.subarray(0, limit * pixels) };
    const progress = createProgress(env, 'gptq');
    const result = await gptqQuantizePackage(pkg, images, config, {
      layerOptions: { actOrder: flag(args, 'act-order') },
      onProgress: (p) =>
        progress.update(2 * p.index + (p.phase === 'quantize' ? 1 : 0), 2 * p.total, `${p.phase} ${p.layer}`),
    });
    const compressed = compressWeights(
      pkg,
      result.layers.map((l) => ({ weight: l.weight, tensor: l.result.quantized })),
    );
    const written = await writeMlPackage(compressed.package, output, { overwrite: flag(args, 'overwrite') });
    progress.finish(`gptq: wrote ${written.path}`);
    const rows = result.layers.map((l, i) => ({
      weight: l.weight,
      op: l.op,
      spec: describeSpec(l.result.quantized.spec),
      written: compressed.weights[i]?.op ?? null,
      outputErrorGptq: l.result.stats.outputErrorGptq ?? null,
      outputErrorRtn: l.result.stats.outputErrorRtn ?? null,
    }));
    const summary = {
      input: resolve(env.cwd, input as string),
      output: written.path,
      config: label,
      calibrationImages: limit,
      layers: rows,
      skipped: result.skipped,
      packageBytes: written.totalBytes,
    };
    if (flag(args, 'json')) {
      env.out(`${JSON.stringify(summary, null, 2)}\n`);
      return EXIT.ok;
    }
    const table = formatTable(
      ['weight', 'op', 'spec', 'written as', 'proxy error GPTQ', 'proxy error RTN', 'GPTQ / RTN'],
      rows.map((r) => [
        r.weight,
        r.op,
        r.spec,
        r.written ?? '-',
        r.outputErrorGptq === null ? '-' : r.outputErrorGptq.toExponential(3),
        r.outputErrorRtn === null ? '-' : r.outputErrorRtn.toExponential(3),
        r.outputErrorGptq !== null && r.outputErrorRtn ? fixed(r.outputErrorGptq / r.outputErrorRtn, 3) : '-',
      ]),
    );
    const skipped = result.skipped.map((s) => `  ${s.weight}: ${s.reason}`).join('\n');
    env.out(
      `${table}\n${skipped ? `left in float:\n${skipped}\n` : ''}config: ${label}; ${limit} calibration images\nwrote ${written.path}\n`,
    );
    return EXIT.ok;
  },
};
