/**
 * Small dense float64 linear algebra for the Fréchet distance: symmetric eigen-decomposition by cyclic
 * Jacobi rotations, PSD square root, matrix product. Matrices are row-major `Float64Array`s of n×n.
 *
 * Jacobi is O(n³) per sweep and needs ~6–10 sweeps: fine up to a hundred or so dimensions (n = 256 takes
 * ~2.4 s in Node). For large n, `pivotedCholesky` + `symmetricEigenvalues` (Householder + QL) is used.
 */

export interface SymmetricEigen {
  /** Eigenvalues, unsorted, length n. */
  values: Float64Array;
  /** Eigenvectors as columns of an n×n row-major matrix (A = V diag(values) Vᵀ), when requested. */
  vectors?: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix (only its upper triangle's symmetry is assumed; the input
 * is copied). Cyclic Jacobi: each rotation zeroes one off-diagonal pair; stops when the off-diagonal
 * Frobenius norm is below 1e-15 of the whole norm (or after 100 sweeps).
 */
export function symmetricEigen(input: Float64Array, n: number, wantVectors = true): SymmetricEigen {
  if (input.length !== n * n) throw new Error(`symmetricEigen: length ${input.length} is not ${n}x${n}`);
  const a = Float64Array.from(input);
  const v = wantVectors ? new Float64Array(n * n) : undefined;
  if (v) for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! * a[i]!;
  const tol = total * 1e-30; // squared: off-norm < 1e-15 · ‖A‖_F
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q]! ** 2;
    if (off <= tol) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!,
          aqq = a[q * n + q]!;
        // Skip rotations too small to change the diagonal in float64 (after the first sweeps).
        if (sweep > 3 && Math.abs(apq) * 1e17 < Math.abs(app) && Math.abs(apq) * 1e17 < Math.abs(aqq)) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        // t = tan(φ) of the rotation that zeroes a_pq, the smaller root for stability.
        const theta = (aqq - app) / (2 * apq);
        const t =
          Math.abs(theta) > 1e150
            ? 1 / (2 * theta)
            : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        a[p * n + p] = app - t * apq;
        a[q * n + q] = aqq + t * apq;
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = a[k * n + p]!,
            akq = a[k * n + q]!;
          const nkp = c * akp - s * akq,
            nkq = s * akp + c * akq;
          a[k * n + p] = nkp;
          a[p * n + k] = nkp;
          a[k * n + q] = nkq;
          a[q * n + k] = nkq;
        }
        if (v) {
          for (let k = 0; k < n; k++) {
            const vkp = v[k * n + p]!,
              vkq = v[k * n + q]!;
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
          }
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return v ? { values, vectors: v } : { values };
}

/** C = A·B for n×n row-major matrices. */
export function matMul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      const bo = k * n,
        co = i * n;
      for (let j = 0; j < n; j++) c[co + j]! += aik * b[bo + j]!;
    }
  }
  return c;
}

/**
 * Square root of a symmetric positive semi-definite matrix: V diag(√max(λ, 0)) Vᵀ. Small negative
 * eigenvalues (rounding in a PSD covariance) are clamped to 0.
 */
export function sqrtPsd(a: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n, true);
  const v = vectors!;
  const out = new Float64Array(n * n);
  for (let e = 0; e < n; e++) {
    const r = Math.sqrt(Math.max(values[e]!, 0));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vi = v[i * n + e]! * r;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += vi * v[j * n + e]!;
    }
  }
  return out;
}

/**
 * Pivoted (outer-product) Cholesky of a symmetric PSD n×n matrix: A ≈ L Lᵀ with L n×r (row-major, rows
 * in the original order), stopping when the largest remaining diagonal is ≤ relTol × the largest initial
 * diagonal. Handles rank-deficient covariances (fewer samples than dimensions). O(n²r).
 */
export function pivotedCholesky(input: Float64Array, n: number, relTol = 1e-13): { l: Float64Array; rank: number } {
  const a = Float64Array.from(input); // working copy, rows/cols permuted in place
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let maxDiag0 = 0;
  for (let i = 0; i < n; i++) maxDiag0 = Math.max(maxDiag0, a[i * n + i]!);
  const tol = relTol * maxDiag0;
  let rank = 0;
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let j = k + 1; j < n; j++) if (a[j * n + j]! > a[piv * n + piv]!) piv = j;
    if (!(a[piv * n + piv]! > tol)) break;
    if (piv !== k) {
      // Swap rows k, piv and then columns k, piv (the matrix stays symmetric).
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[piv * n + j]!;
        a[piv * n + j] = t;
      }
      for (let i = 0; i < n; i++) {
        const t = a[i * n + k]!;
        a[i * n + k] = a[i * n + piv]!;
        a[i * n + piv] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[piv]!;
      perm[piv] = t;
    }
    const d = Math.sqrt(a[k * n + k]!);
    a[k * n + k] = d;
    for (let i = k + 1; i < n; i++) a[i * n + k]! /= d;
    // Schur complement of the trailing block (lower triangle is enough, mirror for the pivot search).
    for (let i = k + 1; i < n; i++) {
      const lik = a[i * n + k]!;
      if (lik === 0) continue;
      for (let j = k + 1; j <= i; j++) a[i * n + j]! -= lik * a[j * n + k]!;
    }
    for (let i = k + 1; i < n; i++) for (let j = k + 1; j < i; j++) a[j * n + i] = a[i * n + j]!;
    rank++;
  }
  const l = new Float64Array(n * rank);
  for (let i = 0; i < n; i++) for (let k = 0; k < Math.min(i + 1, rank); k++) l[perm[i]! * rank + k] = a[i * n + k]!;
  return { l, rank };
}

/**
 * Eigenvalues of a symmetric n×n matrix by Householder tridiagonalisation and the implicit QL method
 * (the classic tred2/tqli pair without eigenvectors). ~(4/3)n³ flops, much faster than Jacobi for
 * large n; only the lower triangle is read.
 */
export function symmetricEigenvalues(input: Float64Array, n: number): Float64Array {
  if (input.length !== n * n) throw new Error(`symmetricEigenvalues: length ${input.length} is not ${n}x${n}`);
  const a = Float64Array.from(input);
  const d = new Float64Array(n),
    e = new Float64Array(n);
  // Householder reduction to tridiagonal form: diagonal d, sub-diagonal e[1..n-1].
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0,
      scale = 0;
    if (l > 0) {
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]!);
      if (scale === 0) {
        e[i] = a[i * n + l]!;
      } else {
        for (let k = 0; k <= l; k++) {
          a[i * n + k]! /= scale;
          h += a[i * n + k]! ** 2;
        }
        let f = a[i * n + l]!;
        let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        f = 0;
        for (let j = 0; j <= l; j++) {
          g = 0;
          for (let k = 0; k <= j; k++) g += a[j * n + k]! * a[i * n + k]!;
          for (let k = j + 1; k <= l; k++) g += a[k * n + j]! * a[i * n + k]!;
          e[j] = g / h;
          f += e[j]! * a[i * n + j]!;
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          f = a[i * n + j]!;
          g = e[j]! - hh * f;
          e[j] = g;
          for (let k = 0; k <= j; k++) a[j * n + k]! -= f * e[k]! + g * a[i * n + k]!;
        }
      }
    } else {
      e[i] = a[i * n + l]!;
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
  // Implicit QL with Wilkinson-like shifts on the tridiagonal matrix.
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0,
      m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('symmetricEigenvalues: QL did not converge');
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
        let s = 1,
          c = 1,
          p = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!,
            b = c * e[i]!;
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1]! -= p;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (r === 0 && i >= l) continue;
        d[l]! -= p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
  return d;
}
