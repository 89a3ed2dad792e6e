import { integerOption, flag, stringOption } from '../command-args.js';
import type { Command } from '../command.js';
import { EXIT } from '../command.js';
import { formatTable } from '../format-table.js';
import { runDemo } from '../demo/demo-pipeline.js';
import { FORMATS_HEADER, formatsRows } from './formats.js';
import { PRESETS_HEADER, presetsRows } from './presets.js';

/** `lowbit demo`: the accuracy table of every workflow on the bundled Fashion-MNIST classifier. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'compress the bundled Fashion-MNIST classifier with every workflow and measure each written file',
  help: `usage: lowbit demo [--out demo-out] [--limit N] [--data DIR] [--table-only] [--json]

The main job. The bundled classifier (conv + linear layers, 89.7% top-1 on Fashion-MNIST, trained by
tools/train-fashion-mnist.ts) is compressed by each lowbit workflow: W8 / W4 / W4 per-block-32 round to nearest,
W4 GPTQ calibrated on the bundled calibration images, W8A8 with calibrated activations written as iOS17
quantize/dequantize ops, and float8 (computed in memory: Core ML cannot store it). Every result is written to
<out>/<row>.mlpackage, read back, and run through the reference evaluator on the 10k test images, so the table
measures the files themselves. Then it prints the number-format and preset tables (lowbit formats / presets).

options:
  --out DIR       where the compressed packages go (default demo-out)
  --limit N       evaluate only the first N test images (default all 10000)
  --data DIR      the demo data (default: tools/demo-data of this lowbit checkout, or $LOWBIT_DEMO_DATA)
  --table-only    skip the number-format and preset tables
  --json          print the rows as JSON
`,
  options: {
    out: { type: 'string' },
    limit: { type: 'string' },
    data: { type: 'string' },
    'table-only': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, env) {
    const started = performance.now();
    const json = flag(args, 'json');
    const say = (line: string): void => {
      if (!json) env.out(`${line}\n`);
    };
    say('lowbit demo: a Fashion-MNIST classifier (conv + linear), compressed by each workflow, written as');
    say('.mlpackage, read back and evaluated on the test images\n');
    let drawn = false;
    const out = stringOption(args, 'out');
    const data = stringOption(args, 'data');
    const limit = stringOption(args, 'limit') === undefined ? undefined : integerOption(args, 'limit', 10_000, 'demo');
    const result = await runDemo({
      ...(out === undefined ? {} : { outDir: out }),
      ...(data === undefined ? {} : { dataDir: data }),
      ...(limit === undefined ? {} : { limit }),
      log: (line) => {
        if (drawn) env.err('\r\x1b[K');
        drawn = false;
        if (json) env.err(`${line}\n`);
        else say(line);
      },
      progress: (text) => {
        if (!env.isTTY) return;
        env.err(`\r\x1b[K${text.slice(0, env.columns - 1)}`);
        drawn = true;
      },
    });
    if (drawn) env.err('\r\x1b[K');
    if (json) {
      env.out(
        `${JSON.stringify({ rows: result.rows, testImages: result.testImages, calibrationImages: result.calibrationImages, seconds: result.seconds }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    say('');
    say(result.table);
    say('');
    say(
      'ratio: float16 bytes of all weights / bytes stored for them in the file (codes, scales, zero points, float biases).',
    );
    say('* float8 weights cannot be stored in an .mlpackage (no Core ML op reads them): computed in memory.');
    say(
      `top-1 on ${result.testImages} test images; ${result.calibrationImages} calibration images; ${result.seconds.toFixed(1)} s`,
    );
    if (!flag(args, 'table-only')) {
      say(
        '\nEvery number format: limits, and the round trip of 1M seeded N(0,1) values with a per-tensor abs-max scale\n',
      );
      say(formatTable(FORMATS_HEADER, formatsRows()));
      say('\nEvery preset on a seeded 1024x4096 linear weight (bits per weight include scales and zero points)\n');
      say(formatTable(PRESETS_HEADER, presetsRows()));
    }
    say(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return EXIT.ok;
  },
};
