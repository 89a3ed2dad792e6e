import { readMlPackage } from '@lowbit/io-mlpackage';
import { readIdxDataset } from '@lowbit/mil-eval';
import { dequantize } from '@lowbit/kernels';
import { quantizeWeights } from '@lowbit/ptq';
import { getPreset } from '@lowbit/spec';
import { listWeights, readWeight } from '@lowbit/io-mlpackage';
import { qatFineTuneClassifier } from '../packages/cli/src/demo/qat-finetune.js';
import { classifierAccuracy, createClassifierWorkspace, zeroClassifierParams } from '../packages/cli/src/demo/classifier-model.js';

const dir = 'tools/demo-data';
const pkg = await readMlPackage(`${dir}/fashion-mnist-classifier.mlpackage`);
const test = await readIdxDataset(dir, 't10k');
const calib = await readIdxDataset(dir, 'calib');
const config = { ...getPreset('w4'), minSize: 0 };
const ws = createClassifierWorkspace(500);
const base = zeroClassifierParams();
const keyOf: Record<string, keyof typeof base> = { conv1_weight: 'convW', conv1_bias: 'convB', fc1_weight: 'fc1W', fc1_bias: 'fc1B', fc2_weight: 'fc2W', fc2_bias: 'fc2B' };
for (const name of Object.keys(keyOf)) base[keyOf[name]!].set(await readWeight(pkg, name));
const acc = (m: Map<string, any>) => {
  const p = { ...base, convW: dequantize(m.get('conv1_weight')).data, fc1W: dequantize(m.get('fc1_weight')).data, fc2W: dequantize(m.get('fc2_weight')).data };
  return (classifierAccuracy(ws, p, test.images.data, test.labels) * 100).toFixed(2);
};
console.log('float', (classifierAccuracy(ws, base, test.images.data, test.labels) * 100).toFixed(2));
const layers = [['conv1_weight', 'conv', [8,1,3,3]], ['fc1_weight', 'linear', [64,1568]], ['fc2_weight','linear',[10,64]]] as const;
const { tensors } = await quantizeWeights(layers.map(([n, op, shape]) => ({ name: n, opType: op, tensor: { data: base[keyOf[n]!], shape: [...shape] } })), config);
console.log('rtn', acc(new Map(tensors.map((t) => [t.name, t.quantized]))));
const grid = JSON.parse(process.argv[2] ?? '[{}]');
const full = await readIdxDataset('../shared/fixtures/fashion-mnist', 'train');
import { createRandom } from '../packages/cli/src/seeded-random.js';
function subset(n: number) {
  const rng = createRandom(77);
  const idx = Int32Array.from({ length: 60000 }, (_, i) => i);
  for (let i = 59999; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); const t = idx[i]!; idx[i] = idx[j]!; idx[j] = t; }
  const data = new Uint8Array(n * 784); const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) { data.set(full.images.data.subarray(idx[k]! * 784, idx[k]! * 784 + 784), k * 784); labels[k] = full.labels[idx[k]!]!; }
  return { images: { ...full.images, data, count: n }, labels };
}
for (const o of grid) {
  const t0 = performance.now();
  const d = o.train ? subset(o.train) : { images: calib.images, labels: calib.labels };
  const r = await qatFineTuneClassifier(pkg, d.images, d.labels, config, o);
  console.log(JSON.stringify(o), 'qat', acc(r.tensors), `loss ${r.firstLoss.toFixed(4)} -> ${r.lastLoss.toFixed(4)}`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
