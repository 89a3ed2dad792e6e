/**
 * Transposes a row-major tensor: output axis `i` is input axis `perm[i]`. Returns the data and the new shape.
 */
export function permute(
  data: ArrayLike<number>,
  shape: readonly number[],
  perm: readonly number[],
): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p] as number);
  const size = data.length;
  const out = new Float32Array(size);
  // Stride of each input axis, then the input stride that each output axis walks.
  const inStrides = Array.from({ length: rank }, () => 0);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= shape[i] as number;
  }
  const walk = perm.map((p) => inStrides[p] as number);
  const index = Array.from({ length: rank }, () => 0);
  let src = 0;
  for (let o = 0; o < size; o++) {
    out[o] = data[src] as number;
    for (let i = rank - 1; i >= 0; i--) {
      const next = (index[i] as number) + 1;
      if (next < (outShape[i] as number)) {
        index[i] = next;
        src += walk[i] as number;
        break;
      }
      src -= (index[i] as number) * (walk[i] as number);
      index[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** The inverse permutation of `perm`. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = Array.from({ length: perm.length }, () => 0);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}
