/** Seeded random tensors for tests, benchmarks and tools: one implementation, kept in the CLI's source. */
export { createRandom, normalArray, sample, studentTArray } from '../../packages/cli/src/seeded-random.js';
