/**
 * `sum_r d_r^T H d_r` for the rows `d_r` of `d` ([rows, n], row-major) and a symmetric `h` (n x n, only the
 * lower triangle is read): the GPTQ proxy of the layer output error `||W X - Q X||^2` (times 2 / samples) when
 * `d = W - Q` and `H = (2 / samples) X^T X`. Four rows share each load of `h`; ~rows * n^2 / 2 multiply-adds.
 */
export function quadraticFormSum(h: Float64Array, d: Float64Array, rows: number, n: number): number {
  let total = 0;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let t0 = 0,
      t1 = 0,
      t2 = 0,
      t3 = 0;
    for (let i = 0; i < n; i++) {
      const hi = i * n;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let j = 0; j < i; j++) {
        const v = h[hi + j]!;
        s0 += v * d[o0 + j]!;
        s1 += v * d[o1 + j]!;
        s2 += v * d[o2 + j]!;
        s3 += v * d[o3 + j]!;
      }
      const hd = h[hi + i]!;
      const d0 = d[o0 + i]!,
        d1 = d[o1 + i]!,
        d2 = d[o2 + i]!,
        d3 = d[o3 + i]!;
      t0 += d0 * (2 * s0 + hd * d0);
      t1 += d1 * (2 * s1 + hd * d1);
      t2 += d2 * (2 * s2 + hd * d2);
      t3 += d3 * (2 * s3 + hd * d3);
    }
    total += t0 + t1 + t2 + t3;
  }
  for (; r < rows; r++) {
    const o = r * n;
    let t = 0;
    for (let i = 0; i < n; i++) {
      const hi = i * n;
      let s = 0;
      for (let j = 0; j < i; j++) s += h[hi + j]! * d[o + j]!;
      const di = d[o + i]!;
      t += di * (2 * s + h[hi + i]! * di);
    }
    total += t;
  }
  return total;
}
