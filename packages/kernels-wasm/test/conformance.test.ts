import { createWasmBackend, referenceBackend } from '../src/index.js';
import { describeKernelConformance } from '../src/testing/index.js';

describeKernelConformance('reference', () => referenceBackend, { numRuns: 25 });
describeKernelConformance('wasm-simd', () => createWasmBackend());
