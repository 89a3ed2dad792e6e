/**
 * The main job (`pnpm demo`). Until the Fashion-MNIST accuracy table lands, it prints what every lowbit number
 * format and every preset does to seeded weight tensors (`lowbit formats` and `lowbit presets`).
 */
import { runCli } from '@lowbit/cli';

const started = performance.now();
console.log(
  'lowbit demo\n\n1. Every number format: limits, and the round trip of 1M seeded N(0,1) values with a per-tensor abs-max scale\n',
);
let code = await runCli(['formats']);
console.log('\n2. Every preset on a seeded 1024x4096 linear weight (bits per weight include scales and zero points)\n');
if (code === 0) code = await runCli(['presets']);
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = code;
