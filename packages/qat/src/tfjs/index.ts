/**
 * @lowbit/qat/tfjs: quantization-aware training for TensorFlow.js `LayersModel`s. Needs
 * `@tensorflow/tfjs-core` (and a backend) as a peer; the core `@lowbit/qat` entry never imports tfjs.
 */
export type { LayersModelQatConfig, LayersModelQatSession } from './prepare-layers-model.js';

export { prepareLayersModel } from './prepare-layers-model.js';
