import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import { decodeModel, encodeModel, listWeights, readMlPackage, readWeight } from '../src/index.js';

const YOLO = fileURLToPath(
  new URL('../../../../shared/fixtures/mlpackage/yolov8n-palettized-pipeline/yolov8n.mlpackage/', import.meta.url),
);
const bytes = new Uint8Array(readFileSync(`${YOLO}Data/com.apple.CoreML/model.mlmodel`));
const model = decodeModel(bytes);

describe('protobuf codec (yolov8n model.mlmodel, 119 kB)', () => {
  bench('decode', () => {
    decodeModel(bytes);
  });
  bench('encode', () => {
    encodeModel(model);
  });
});

describe('weights', () => {
  bench('read + decode all 129 yolov8n weights (64 LUT)', async () => {
    const pkg = await readMlPackage(YOLO);
    for (const w of listWeights(pkg)) await readWeight(pkg, w);
  });
});
