/** Seeded random numbers for tests: the repository's one implementation. */
export { createRandom, sample } from '../../../tools/lib/random.js';
