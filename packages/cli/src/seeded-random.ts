/** Seeded pseudo-random numbers (mulberry32 + Box-Muller), so tables and tests are reproducible on every machine. */
export function createRandom(seed: number): { uniform(): number; normal(): number; studentT(df: number): number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    let u = uniform();
    while (u === 0) u = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  const studentT = (df: number): number => {
    let chi = 0;
    for (let k = 0; k < df; k++) chi += normal() ** 2;
    return normal() / Math.sqrt(chi / df);
  };
  return { uniform, normal, studentT };
}

/** A Float32Array of `n` values drawn by `draw`. */
export function sample(n: number, draw: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = draw();
  return out;
}

/** A Float32Array of `n` seeded standard-normal values. */
export function normalArray(n: number, seed: number): Float32Array {
  return sample(n, createRandom(seed).normal);
}

/** A Float32Array of `n` seeded Student-t values with `dof` degrees of freedom (heavy-tailed for small dof). */
export function studentTArray(n: number, dof: number, seed: number): Float32Array {
  const rng = createRandom(seed);
  return sample(n, () => rng.studentT(dof));
}
