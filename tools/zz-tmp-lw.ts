import { readMlPackage, listWeights } from '@lowbit/io-mlpackage';
const pkg = await readMlPackage('/work/main/tools/demo-data/fashion-mnist-classifier.mlpackage');
for (const w of listWeights(pkg)) console.log(w.name, w.shape, JSON.stringify(w.consumers), w.byteSize);
import { readWeight } from '@lowbit/io-mlpackage';
console.log(await readWeight(pkg, 'conv1_bias').catch((e) => String(e)));
