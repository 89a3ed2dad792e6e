/** Seeded pseudo-random numbers (mulberry32 + Box-Muller), so tables and tests are reproducible on every machine. */
export function createRandom(seed: number): { uniform(): number; normal(): number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = uniform();
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** A Float32Array of `n` seeded standard-normal values. */
export function normalArray(n: number, seed: number): Float32Array {
  const rng = createRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/**
 * A Float32Array of `n` seeded Student-t values with `dof` degrees of freedom (heavy-tailed for small dof):
 * `z / sqrt(chi2 / dof)` with chi2 a sum of `dof` squared normals.
 */
export function studentTArray(n: number, dof: number, seed: number): Float32Array {
  const rng = createRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let chi2 = 0;
    for (let k = 0; k < dof; k++) {
      const g = rng.normal();
      chi2 += g * g;
    }
    out[i] = rng.normal() / Math.sqrt(chi2 / dof);
  }
  return out;
}
