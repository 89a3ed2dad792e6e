/**
 * Register-blocked inner loops shared by the linear-algebra routines. No validation here: callers check shapes
 * and bounds once, then call these with raw offsets and leading dimensions (row strides).
 */

/** Rows of A processed per tile of the symmetric update: keeps the reused tile in L2. */
const SYRK_TILE = 128;

/**
 * Lower-triangular symmetric update with dot products of rows of `a`:
 * `c[i][j] += alpha * sum_t a[i][t] a[j][t]` for `0 <= j <= i < n`, `t` in `[tStart(i), k)`.
 * `c[i][j]` lives at `c[cOff + i * ldc + j]`, `a[i][t]` at `a[aOff + i * lda + t]`.
 * When `triangularT` is true, `t` starts at the first row index of the current 4-row block of `i` (rows of `a`
 * are known to be zero before their own index, as in the transposed inverse of a lower factor).
 * The strict upper triangle of `c` is not touched.
 */
export function syrkLowerNT(
  c: Float64Array,
  cOff: number,
  ldc: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  n: number,
  k: number,
  alpha: number,
  triangularT: boolean,
): void {
  for (let jt = 0; jt < n; jt += SYRK_TILE) {
    const jtEnd = Math.min(n, jt + SYRK_TILE);
    for (let i0 = jt; i0 < n; i0 += 4) {
      const iCount = Math.min(4, n - i0);
      const t0 = triangularT ? i0 : 0;
      const jEnd = Math.min(jtEnd, i0 + iCount);
      for (let j0 = jt; j0 < jEnd; j0 += 4) {
        const jCount = Math.min(4, jEnd - j0);
        if (iCount === 4 && jCount === 4) {
          const p0 = aOff + i0 * lda;
          const p1 = p0 + lda;
          const p2 = p1 + lda;
          const p3 = p2 + lda;
          const q0 = aOff + j0 * lda;
          const q1 = q0 + lda;
          const q2 = q1 + lda;
          const q3 = q2 + lda;
          let s00 = 0,
            s01 = 0,
            s02 = 0,
            s03 = 0;
          let s10 = 0,
            s11 = 0,
            s12 = 0,
            s13 = 0;
          let s20 = 0,
            s21 = 0,
            s22 = 0,
            s23 = 0;
          let s30 = 0,
            s31 = 0,
            s32 = 0,
            s33 = 0;
          for (let t = t0; t < k; t++) {
            const b0 = a[q0 + t]!;
            const b1 = a[q1 + t]!;
            const b2 = a[q2 + t]!;
            const b3 = a[q3 + t]!;
            const x0 = a[p0 + t]!;
            s00 += x0 * b0;
            s01 += x0 * b1;
            s02 += x0 * b2;
            s03 += x0 * b3;
            const x1 = a[p1 + t]!;
            s10 += x1 * b0;
            s11 += x1 * b1;
            s12 += x1 * b2;
            s13 += x1 * b3;
            const x2 = a[p2 + t]!;
            s20 += x2 * b0;
            s21 += x2 * b1;
            s22 += x2 * b2;
            s23 += x2 * b3;
            const x3 = a[p3 + t]!;
            s30 += x3 * b0;
            s31 += x3 * b1;
            s32 += x3 * b2;
            s33 += x3 * b3;
          }
          const c0 = cOff + i0 * ldc + j0;
          const c1 = c0 + ldc;
          const c2 = c1 + ldc;
          const c3 = c2 + ldc;
          if (j0 < i0) {
            c[c0] = c[c0]! + alpha * s00;
            c[c0 + 1] = c[c0 + 1]! + alpha * s01;
            c[c0 + 2] = c[c0 + 2]! + alpha * s02;
            c[c0 + 3] = c[c0 + 3]! + alpha * s03;
            c[c1] = c[c1]! + alpha * s10;
            c[c1 + 1] = c[c1 + 1]! + alpha * s11;
            c[c1 + 2] = c[c1 + 2]! + alpha * s12;
            c[c1 + 3] = c[c1 + 3]! + alpha * s13;
            c[c2] = c[c2]! + alpha * s20;
            c[c2 + 1] = c[c2 + 1]! + alpha * s21;
            c[c2 + 2] = c[c2 + 2]! + alpha * s22;
            c[c2 + 3] = c[c2 + 3]! + alpha * s23;
            c[c3] = c[c3]! + alpha * s30;
            c[c3 + 1] = c[c3 + 1]! + alpha * s31;
            c[c3 + 2] = c[c3 + 2]! + alpha * s32;
            c[c3 + 3] = c[c3 + 3]! + alpha * s33;
          } else {
            // Diagonal 4x4 block (j0 === i0): lower part only.
            c[c0] = c[c0]! + alpha * s00;
            c[c1] = c[c1]! + alpha * s10;
            c[c1 + 1] = c[c1 + 1]! + alpha * s11;
            c[c2] = c[c2]! + alpha * s20;
            c[c2 + 1] = c[c2 + 1]! + alpha * s21;
            c[c2 + 2] = c[c2 + 2]! + alpha * s22;
            c[c3] = c[c3]! + alpha * s30;
            c[c3 + 1] = c[c3 + 1]! + alpha * s31;
            c[c3 + 2] = c[c3 + 2]! + alpha * s32;
            c[c3 + 3] = c[c3 + 3]! + alpha * s33;
          }
        } else {
          for (let i = i0; i < i0 + iCount; i++) {
            const p = aOff + i * lda;
            const jLast = Math.min(j0 + jCount - 1, i);
            for (let j = j0; j <= jLast; j++) {
              const q = aOff + j * lda;
              let s = 0;
              for (let t = t0; t < k; t++) s += a[p + t]! * a[q + t]!;
              c[cOff + i * ldc + j] = c[cOff + i * ldc + j]! + alpha * s;
            }
          }
        }
      }
    }
  }
}

/** Columns of C and B processed per tile of the general product. */
const GEMM_COL_TILE = 512;
/** Steps of the inner dimension per tile: a 256 x 512 float64 tile of B (1 MiB) stays in L2. */
const GEMM_K_TILE = 256;

/**
 * General product `c[r][col] += alpha * sum_t a[r][t] b[t][col]` for `r < m`, `t < k`, `col < n`, with row
 * strides `ldc`, `lda`, `ldb` and start offsets. Register-blocked over 4 rows of C and 4 steps of `t`, tiled
 * over columns and `t` for cache reuse. When `bLower` is true, `b` is known to be lower triangular
 * (`b[t][col] = 0` for `col > t`, requires `k === n`) and the zero part is skipped.
 */
export function gemmNN(
  c: Float64Array,
  cOff: number,
  ldc: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  m: number,
  k: number,
  n: number,
  alpha: number,
  bLower = false,
): void {
  const m4 = m - (m % 4);
  for (let ct = 0; ct < n; ct += GEMM_COL_TILE) {
    const ctEnd = Math.min(n, ct + GEMM_COL_TILE);
    // With lower-triangular B, rows t < ct of B are zero in this column tile.
    for (let kt = bLower ? ct : 0; kt < k; kt += GEMM_K_TILE) {
      const ktEnd = Math.min(k, kt + GEMM_K_TILE);
      const kt4 = ktEnd - ((ktEnd - kt) % 4);
      for (let r0 = 0; r0 < m4; r0 += 4) {
        const a0 = aOff + r0 * lda;
        const a1 = a0 + lda;
        const a2 = a1 + lda;
        const a3 = a2 + lda;
        const c0 = cOff + r0 * ldc;
        const c1 = c0 + ldc;
        const c2 = c1 + ldc;
        const c3 = c2 + ldc;
        for (let t0 = kt; t0 < kt4; t0 += 4) {
          const colEnd = bLower ? Math.min(ctEnd, t0 + 4) : ctEnd;
          const x00 = alpha * a[a0 + t0]!,
            x01 = alpha * a[a0 + t0 + 1]!;
          const x02 = alpha * a[a0 + t0 + 2]!,
            x03 = alpha * a[a0 + t0 + 3]!;
          const x10 = alpha * a[a1 + t0]!,
            x11 = alpha * a[a1 + t0 + 1]!;
          const x12 = alpha * a[a1 + t0 + 2]!,
            x13 = alpha * a[a1 + t0 + 3]!;
          const x20 = alpha * a[a2 + t0]!,
            x21 = alpha * a[a2 + t0 + 1]!;
          const x22 = alpha * a[a2 + t0 + 2]!,
            x23 = alpha * a[a2 + t0 + 3]!;
          const x30 = alpha * a[a3 + t0]!,
            x31 = alpha * a[a3 + t0 + 1]!;
          const x32 = alpha * a[a3 + t0 + 2]!,
            x33 = alpha * a[a3 + t0 + 3]!;
          const b0 = bOff + t0 * ldb;
          const b1 = b0 + ldb;
          const b2 = b1 + ldb;
          const b3 = b2 + ldb;
          for (let col = ct; col < colEnd; col++) {
            const y0 = b[b0 + col]!;
            const y1 = b[b1 + col]!;
            const y2 = b[b2 + col]!;
            const y3 = b[b3 + col]!;
            c[c0 + col] = c[c0 + col]! + x00 * y0 + x01 * y1 + x02 * y2 + x03 * y3;
            c[c1 + col] = c[c1 + col]! + x10 * y0 + x11 * y1 + x12 * y2 + x13 * y3;
            c[c2 + col] = c[c2 + col]! + x20 * y0 + x21 * y1 + x22 * y2 + x23 * y3;
            c[c3 + col] = c[c3 + col]! + x30 * y0 + x31 * y1 + x32 * y2 + x33 * y3;
          }
        }
        for (let t = kt4; t < ktEnd; t++) {
          const colEnd = bLower ? Math.min(ctEnd, t + 1) : ctEnd;
          const x0 = alpha * a[a0 + t]!;
          const x1 = alpha * a[a1 + t]!;
          const x2 = alpha * a[a2 + t]!;
          const x3 = alpha * a[a3 + t]!;
          const bt = bOff + t * ldb;
          for (let col = ct; col < colEnd; col++) {
            const y = b[bt + col]!;
            c[c0 + col] = c[c0 + col]! + x0 * y;
            c[c1 + col] = c[c1 + col]! + x1 * y;
            c[c2 + col] = c[c2 + col]! + x2 * y;
            c[c3 + col] = c[c3 + col]! + x3 * y;
          }
        }
      }
      for (let r = m4; r < m; r++) {
        const ar = aOff + r * lda;
        const cr = cOff + r * ldc;
        for (let t = kt; t < ktEnd; t++) {
          const colEnd = bLower ? Math.min(ctEnd, t + 1) : ctEnd;
          const x = alpha * a[ar + t]!;
          const bt = bOff + t * ldb;
          for (let col = ct; col < colEnd; col++) c[cr + col] = c[cr + col]! + x * b[bt + col]!;
        }
      }
    }
  }
}

/** Copies the strict lower triangle of the n x n row-major `a` onto its strict upper triangle. */
export function mirrorLowerToUpper(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) a[j * n + i] = a[ri + j]!;
  }
}
