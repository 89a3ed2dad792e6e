import { bench, describe } from 'vitest';
import { getPreset } from '@lowbit/spec';
import { createFakeQuantizer } from '../src/index.js';

const rows = 256;
const cols = 1024;
const data = new Float32Array(rows * cols);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.1;
const w = { data, shape: [rows, cols] };
const grad = new Float32Array(data.length).fill(0.01);

describe('fake quantizer, 256x1024 int4 weight', () => {
  const perChannel = createFakeQuantizer({ spec: getPreset('w4').global!, opKind: 'linear', learning: 'lsq' });
  const perBlock = createFakeQuantizer({ spec: getPreset('w4_per_block').global!, opKind: 'linear', learning: 'lsq' });
  perChannel.forward(w);
  perBlock.forward(w);
  perChannel.observerEnabled = false;
  perBlock.observerEnabled = false;
  bench('forward per-channel', () => {
    perChannel.forward(w);
  });
  bench('backward (STE + LSQ) per-channel', () => {
    perChannel.backward(grad, w);
  });
  bench('backward (STE + LSQ) per-block 32', () => {
    perBlock.backward(grad, w);
  });
});
