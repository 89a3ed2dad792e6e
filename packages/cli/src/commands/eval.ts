import { resolve } from 'node:path';
import { readMlPackage } from '@lowbit/io-mlpackage';
import { evaluateClassifier, readIdxDataset } from '@lowbit/mil-eval';
import { flag, integerOption, positionals, requiredOption, stringOption } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { createProgress } from '../progress.js';

/** `lowbit eval`: top-1 accuracy of a classifier package on labelled IDX data. */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'top-1 accuracy of a classifier .mlpackage on labelled IDX images (MNIST-style)',
  help: `usage: lowbit eval <model.mlpackage> --data <dir> [--prefix t10k] [--limit N] [--batch-size N] [--json]

Runs the package through lowbit's reference ML Program evaluator (@lowbit/mil-eval; compressed constexpr
weights and quantize/dequantize activation ops included) on <dir>/<prefix>-images-idx3-ubyte[.gz] with labels
<dir>/<prefix>-labels-idx1-ubyte[.gz], and prints the top-1 accuracy. The model must have one image input
(pixels 0..255 are passed as float32) and a class-score output.

options:
  --data DIR        directory with the IDX files (required)
  --prefix NAME     file name prefix: t10k (default), train, calib...
  --limit N         evaluate only the first N images
  --batch-size N    images per evaluator run (default 500)
  --json            print JSON
`,
  options: {
    data: { type: 'string' },
    prefix: { type: 'string' },
    limit: { type: 'string' },
    'batch-size': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, env) {
    const [model] = positionals(args, ['model.mlpackage'], 'eval');
    const dataDir = resolve(env.cwd, requiredOption(args, 'data', 'eval'));
    // Options are checked before any file is read.
    const limitOption = stringOption(args, 'limit') === undefined ? undefined : integerOption(args, 'limit', 1, 'eval');
    const batchSize = integerOption(args, 'batch-size', 500, 'eval');
    const pkg = await readMlPackage(resolve(env.cwd, model as string));
    const data = await readIdxDataset(dataDir, stringOption(args, 'prefix') ?? 't10k');
    const limit = Math.min(limitOption ?? data.images.count, data.images.count);
    const progress = createProgress(env, 'eval');
    const result = await evaluateClassifier(pkg, data.images, data.labels, {
      batchSize,
      limit,
      onProgress: (p) =>
        progress.update(p.done, p.total, `${((100 * p.correct) / Math.max(1, p.done)).toFixed(2)}% so far`),
    });
    progress.finish(`eval: ${result.total} images in ${result.seconds.toFixed(1)} s`);
    const summary = {
      model: resolve(env.cwd, model as string),
      images: data.imagesPath,
      labels: data.labelsPath,
      accuracy: result.accuracy,
      correct: result.correct,
      total: result.total,
      seconds: result.seconds,
    };
    env.out(
      flag(args, 'json')
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `top-1 accuracy ${(100 * result.accuracy).toFixed(2)}% (${result.correct} / ${result.total})\n`,
    );
    return EXIT.ok;
  },
};
