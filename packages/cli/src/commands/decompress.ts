import { resolve } from 'node:path';
import { decompressWeights, listWeights, readMlPackage, writeMlPackage } from '@lowbit/io-mlpackage';
import { flag, positionals, requiredOption } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { formatBytes } from '../format-table.js';
import { directorySize } from '../package-size.js';
import { createProgress } from '../progress.js';

/** `lowbit decompress`: every constexpr weight back to a plain float const. */
export const decompressCommand: Command = {
  name: 'decompress',
  summary: 'turn every compressed (constexpr) weight back into a float16/float32 const',
  help: `usage: lowbit decompress <in.mlpackage> -o <out.mlpackage> [--overwrite] [--json]

Decodes every constexpr_affine_dequantize, constexpr_blockwise_shift_scale, constexpr_lut_to_dense and
constexpr_sparse_to_dense weight and stores it as a plain const (float16 for float16 models, else float32).
Everything else is written unchanged. Use it before requantizing a palettized model.

options:
  -o, --output PATH   where to write the new package (never the input)
  --overwrite         replace an existing output package
  --json              print a JSON summary
`,
  options: { output: { type: 'string', short: 'o' }, overwrite: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(args, env) {
    const [input] = positionals(args, ['in.mlpackage'], 'decompress');
    const inputPath = resolve(env.cwd, input as string);
    const output = resolve(env.cwd, requiredOption(args, 'output', 'decompress'));
    const pkg = await readMlPackage(inputPath);
    const compressed = listWeights(pkg).filter((w) => w.compression !== null).length;
    const progress = createProgress(env, 'decompress');
    const result = await writeMlPackage(await decompressWeights(pkg), output, {
      overwrite: flag(args, 'overwrite'),
      onProgress: (p) => progress.update(p.done, p.total, p.phase),
    });
    progress.finish(`decompress: wrote ${result.path}`);
    const summary = {
      input: inputPath,
      output: result.path,
      decompressed: compressed,
      bytesBefore: await directorySize(inputPath),
      bytesAfter: result.totalBytes,
    };
    env.out(
      flag(args, 'json')
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `${compressed} compressed weight(s) decoded; package ${formatBytes(summary.bytesBefore)} -> ${formatBytes(summary.bytesAfter)}\nwrote ${result.path}\n`,
    );
    return EXIT.ok;
  },
};
