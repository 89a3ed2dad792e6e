/**
 * @lowbit/mil-eval: a reference evaluator for Core ML ML Programs (`.mlpackage`), enough to run classifiers made of
 * linear / conv / matmul layers, activations, pooling, shape ops, every compressed-weight `constexpr_*` op and the
 * iOS17 activation `quantize` / `dequantize` ops, plus IDX dataset readers, so the accuracy of a compressed package
 * is measured on the file itself. Nothing is registered or mutated at import time.
 */
export type { ClassifierProgress, ClassifierResult, EvaluateClassifierOptions } from './evaluate-classifier.js';
export type { IdxArray, IdxDataset, IdxImages } from './idx.js';
export type { LayerInputRows } from './layer-input-rows.js';
export type { LoadedProgram, LoadProgramOptions, MilValueInfo } from './load-program.js';
export type { MilTensor } from './mil-tensor.js';
export type { MilInput, OpEvent, RunProgramOptions } from './run-program.js';

export { evaluateClassifier } from './evaluate-classifier.js';
export { encodeIdx, idxToImages, parseIdx, readIdxDataset, readIdxImages, readIdxLabels } from './idx.js';
export { layerInputRows } from './layer-input-rows.js';
export { loadProgram } from './load-program.js';
export { runProgram } from './run-program.js';
export { listSupportedOps } from './supported-ops.js';
