import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { assembleKernels, GENERATED_FILE, renderGenerated } from '../scripts/wasm-source.js';

test('the committed wasm bytes are exactly what the WAT source assembles to', async () => {
  const { plain, shared } = await assembleKernels();
  // If this fails, run `pnpm --filter @lowbit/kernels-wasm build:wasm` and commit the result.
  expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(renderGenerated(plain, shared));
});

test('the two variants differ only in the memory import', async () => {
  const { plain, shared } = await assembleKernels();
  expect(shared.length).toBe(plain.length);
  let diff = 0;
  for (let i = 0; i < plain.length; i++) if (plain[i] !== shared[i]) diff++;
  expect(diff).toBe(1); // the limits flag byte of the memory import (0x01 -> 0x03)
});
