/** Seeded random tensors for tests, benchmarks and tools: one implementation, kept in the CLI's source. */
export { createRandom, normalArray, studentTArray } from '../../packages/cli/src/seeded-random.js';
