/**
 * The main job (`pnpm demo`): the bundled Fashion-MNIST classifier compressed by each lowbit workflow. Every
 * compressed model is written to `demo-out/<row>.mlpackage`, read back and run through the reference evaluator
 * (@lowbit/mil-eval) on the 10k test images, so the accuracy column measures the files themselves
 * (see docs/demo.md). Then, as before, what every number format and preset does to seeded tensors.
 *
 * Options: `--out <dir>` (default demo-out), `--limit <n>` test images (default all 10000), `--table-only`.
 */
import { runCli } from '@lowbit/cli';
import { runDemo } from './lib/demo-pipeline.js';

const args = process.argv.slice(2);
const value = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const started = performance.now();
const tty = process.stderr.isTTY === true;
let drawn = false;
const progress = (text: string): void => {
  if (!tty) return;
  process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns ?? 100) - 1)}`);
  drawn = true;
};
const log = (line: string): void => {
  if (drawn) process.stderr.write('\r\x1b[K');
  drawn = false;
  console.log(line);
};

console.log(
  'lowbit demo: a Fashion-MNIST classifier (conv + linear, trained by tools/train-fashion-mnist.ts), compressed',
);
console.log('by each workflow, written as .mlpackage, read back and evaluated on the 10k test images\n');
const limitText = value('--limit');
const result = await runDemo({
  ...(value('--out') === undefined ? {} : { outDir: value('--out') as string }),
  ...(limitText === undefined ? {} : { limit: Number(limitText) }),
  log,
  progress,
});
log('');
log(result.table);
log('');
log(
  `ratio: float16 bytes of all weights / bytes stored for them in the file (codes, scales, zero points, float biases).`,
);
log(`* float8 weights cannot be stored in an .mlpackage (no Core ML op reads them): computed in memory.`);
log(
  `top-1 on ${result.testImages} test images; ${result.calibrationImages} calibration images; ${result.seconds.toFixed(1)} s`,
);

let code = 0;
if (!args.includes('--table-only')) {
  console.log(
    '\nEvery number format: limits, and the round trip of 1M seeded N(0,1) values with a per-tensor abs-max scale\n',
  );
  code = await runCli(['formats']);
  console.log('\nEvery preset on a seeded 1024x4096 linear weight (bits per weight include scales and zero points)\n');
  if (code === 0) code = await runCli(['presets']);
}
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = code;
