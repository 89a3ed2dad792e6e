import { bench, describe } from 'vitest';
import { getPreset } from '@lowbit/spec';
import { quantizeWeights } from '../src/index.js';
import type { WeightTensor } from '../src/index.js';
import { createRandom, sample } from '../test/random.js';

const rng = createRandom(3);
const weights: WeightTensor[] = Array.from({ length: 4 }, (_, i) => ({
  name: `layer.${i}`,
  opType: 'linear',
  tensor: { data: sample(512 * 512, () => rng.normal()), shape: [512, 512] },
}));

describe('quantizeWeights, 4 x [512, 512]', () => {
  bench('w8 per-channel', async () => {
    await quantizeWeights(weights, getPreset('w8'));
  });
  bench('w4 blocks of 32', async () => {
    await quantizeWeights(weights, getPreset('w4_per_block'));
  });
  bench('w4 blocks of 32, measure: false', async () => {
    await quantizeWeights(weights, getPreset('w4_per_block'), { measure: false });
  });
  bench('w4 per-channel with rangeSearch', async () => {
    await quantizeWeights(weights, getPreset('w4'), { rangeSearch: true });
  });
});
