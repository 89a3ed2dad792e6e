import { bench, describe } from 'vitest';
import type { Tensor } from '@lowbit/kernels';
import { createObserver, OBSERVER_KINDS } from '../src/index.js';
import { createRandom, sample } from '../test/random.js';

const rng = createRandom(1);
const batch: Tensor = { data: sample(64 * 1024, () => rng.studentT(4)), shape: [64, 1024] };
const spec = {
  version: 1,
  dtype: 'int8',
  qscheme: 'symmetric',
  qformulation: 'zp',
  granularity: { type: 'per_tensor' },
} as const;

describe('observe one 64x1024 batch', () => {
  for (const kind of OBSERVER_KINDS) {
    const o = createObserver({ kind });
    bench(kind, () => o.observe(batch));
  }
});

describe('qparams after 8 batches', () => {
  for (const kind of OBSERVER_KINDS) {
    const o = createObserver({ kind });
    for (let i = 0; i < 8; i++) o.observe(batch);
    bench(kind, () => {
      o.qparams(spec);
    });
  }
});
