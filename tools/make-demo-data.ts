/**
 * Re-creates the demo's bundled data in tools/demo-data/ from the Fashion-MNIST IDX files (MIT licence):
 *
 * - `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`: the 10k test set, copied byte for byte;
 * - `calib-images-idx3-ubyte.gz`, `calib-labels-idx1-ubyte.gz`: 1024 training images picked by a seeded
 *   shuffle (mulberry32, seed 2024), the calibration set for GPTQ and activation ranges;
 * - `COPYRIGHT`: the dataset's licence notice.
 *
 * Usage: pnpm exec tsx --conditions=@lowbit/source tools/make-demo-data.ts [fashion-mnist-dir]
 * (default ../shared/fixtures/fashion-mnist, relative to the repository root). Deterministic: the same input gives
 * the same bytes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeIdx, parseIdx } from '@lowbit/mil-eval';
import { createRandom } from './lib/random.js';

const root = resolve(import.meta.dirname, '..');
const source = resolve(process.argv[2] ?? join(root, '..', 'shared', 'fixtures', 'fashion-mnist'));
const out = join(import.meta.dirname, 'demo-data');
const CALIBRATION_SIZE = 1024;
const SEED = 2024;

mkdirSync(out, { recursive: true });
// Copied by content (not copyFileSync) so read-only sources give writable copies.
for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'COPYRIGHT'])
  writeFileSync(join(out, f), readFileSync(join(source, f)));

const images = parseIdx(readFileSync(join(source, 'train-images-idx3-ubyte.gz')), 'train images');
const labels = parseIdx(readFileSync(join(source, 'train-labels-idx1-ubyte.gz')), 'train labels');
const [count, rows, cols] = images.dims as [number, number, number];
const order = Array.from({ length: count }, (_, i) => i);
const rng = createRandom(SEED);
for (let i = count - 1; i > 0; i--) {
  const j = Math.floor(rng.uniform() * (i + 1));
  [order[i], order[j]] = [order[j] as number, order[i] as number];
}
const pick = order.slice(0, CALIBRATION_SIZE);
const pixels = rows * cols;
const calImages = new Uint8Array(CALIBRATION_SIZE * pixels);
const calLabels = new Uint8Array(CALIBRATION_SIZE);
pick.forEach((src, i) => {
  calImages.set(images.data.subarray(src * pixels, (src + 1) * pixels), i * pixels);
  calLabels[i] = labels.data[src] as number;
});
writeFileSync(join(out, 'calib-images-idx3-ubyte.gz'), encodeIdx([CALIBRATION_SIZE, rows, cols], calImages));
writeFileSync(join(out, 'calib-labels-idx1-ubyte.gz'), encodeIdx([CALIBRATION_SIZE], calLabels));
console.log(`wrote ${out}: 10000 test images, ${CALIBRATION_SIZE} calibration images (seed ${SEED}), COPYRIGHT`);
