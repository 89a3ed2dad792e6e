import { createProgramBuilder } from '@lowbit/io-mlpackage';
import { bench, describe } from 'vitest';
import { loadProgram, runProgram } from '../src/index.js';

// A demo-shaped classifier (conv 3x3/2 1 -> 8, linear 1568 -> 64 -> 10) on a batch of 500 images.
const fill = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.1);
const b = createProgramBuilder({ opset: 'iOS18' });
const image = b.input('image', 'float32', [1, 1, 28, 28]);
const conv = b.relu(
  b.conv(image, b.constant('cw', fill(72, 1), [8, 1, 3, 3]), b.constant('cb', fill(8, 2), [8]), {
    strides: [2, 2],
    padType: 'custom',
    pad: [1, 1, 1, 1],
  }),
);
const [flat] = b.op('reshape', { x: conv, shape: b.constant('s', [-1, 1568], [2], 'int32') }, [
  { dtype: 'float32', shape: [1, 1568] },
]);
const h = b.relu(
  b.linear(
    flat as NonNullable<typeof flat>,
    b.constant('w1', fill(64 * 1568, 3), [64, 1568]),
    b.constant('b1', fill(64, 4), [64]),
  ),
);
b.output(b.softmax(b.linear(h, b.constant('w2', fill(640, 5), [10, 64]), b.constant('b2', fill(10, 6), [10]))));
const program = await loadProgram(b.build());
const batch = { data: fill(500 * 784, 7).map((v) => (v + 0.1) * 1000), shape: [500, 1, 28, 28] };

describe('runProgram', () => {
  bench('demo-shaped classifier, 500 images', () => {
    runProgram(program, { image: batch });
  });
});
