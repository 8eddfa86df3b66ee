/**
 * Fréchet distance between two Gaussians fitted to feature sets (the formula behind FID):
 *
 *   FD = ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½)
 *
 * Computed in float64. Σa Σb is not symmetric, so its square root's trace is taken through a symmetric
 * matrix with the same non-zero eigenvalues (eig(XY) = eig(YX)), two routes:
 * - 'jacobi': S = Σa^½ by Jacobi eigen-decomposition, then Tr (Σa Σb)^½ = Σᵢ √λᵢ(S Σb S), eigenvalues
 *   again by Jacobi. Simple and very accurate; O(dim³) per sweep, so for small dims.
 * - 'cholesky': Σa = L Lᵀ by pivoted Cholesky (L dim×r, works when Σa is singular), then
 *   Σᵢ √λᵢ(Lᵀ Σb L) with Householder + QL eigenvalues: ~10× faster at dim = 256.
 * 'auto' (default) takes Jacobi up to dim = 64. Tiny negative eigenvalues (rounding) are clamped to 0, so
 * no complex intermediates appear (scipy.linalg.sqrtm's problem on near-singular covariances).
 *
 * Covariances use the unbiased 1/(n−1) normalisation (numpy `np.cov`, as pytorch-fid does).
 */
import { UserError } from '../util/errors.js';
import { matMul, pivotedCholesky, sqrtPsd, symmetricEigen, symmetricEigenvalues } from './linalg.js';

export interface GaussianStats {
  /** Mean, length dim. */
  mu: Float64Array;
  /** Covariance, dim×dim row-major, 1/(n−1) normalisation. */
  cov: Float64Array;
}

/** Mean and unbiased covariance of n feature vectors stored row-major (n × dim). Needs n ≥ 2. */
export function meanCov(feats: ArrayLike<number>, n: number, dim: number): GaussianStats {
  if (feats.length !== n * dim) throw new UserError(`features: length ${feats.length} is not ${n}x${dim}`);
  if (n < 2) throw new UserError(`features: need at least 2 samples for a covariance, got ${n}`);
  const mu = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mu[d]! += feats[i * dim + d]!;
  for (let d = 0; d < dim; d++) mu[d]! /= n;
  // Two-pass (centred) accumulation: no catastrophic cancellation when |μ| ≫ σ.
  const cov = new Float64Array(dim * dim);
  const x = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) x[d] = feats[i * dim + d]! - mu[d]!;
    for (let p = 0; p < dim; p++) {
      const xp = x[p]!;
      if (xp === 0) continue;
      const o = p * dim;
      for (let q = p; q < dim; q++) cov[o + q]! += xp * x[q]!;
    }
  }
  for (let p = 0; p < dim; p++) {
    for (let q = p; q < dim; q++) {
      const v = cov[p * dim + q]! / (n - 1);
      cov[p * dim + q] = v;
      cov[q * dim + p] = v;
    }
  }
  return { mu, cov };
}

export interface FrechetOptions {
  /** How Tr (Σa Σb)^½ is computed (see the file comment). Default 'auto'. */
  method?: 'auto' | 'jacobi' | 'cholesky';
}

/** Σᵢ √max(λᵢ, 0) of a symmetric matrix's eigenvalues. */
function sumSqrt(values: Float64Array): number {
  let t = 0;
  for (const l of values) t += Math.sqrt(Math.max(l, 0));
  return t;
}

/** Copy of m with the upper and lower triangles averaged (rounding makes products slightly asymmetric). */
function symmetrise(m: Float64Array, n: number): Float64Array {
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      const avg = 0.5 * (m[p * n + q]! + m[q * n + p]!);
      m[p * n + q] = avg;
      m[q * n + p] = avg;
    }
  }
  return m;
}

/** Tr (A B)^½ for symmetric PSD A, B via Σa = L Lᵀ and the eigenvalues of Lᵀ B L (r×r). */
function traceSqrtCholesky(a: Float64Array, b: Float64Array, n: number): number {
  const { l, rank: r } = pivotedCholesky(a, n);
  if (r === 0) return 0;
  const bl = new Float64Array(n * r); // B L, n×r
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const bik = b[i * n + k]!;
      if (bik === 0) continue;
      for (let j = 0; j < r; j++) bl[i * r + j]! += bik * l[k * r + j]!;
    }
  }
  const m = new Float64Array(r * r); // Lᵀ B L, r×r
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < r; i++) {
      const lki = l[k * r + i]!;
      if (lki === 0) continue;
      for (let j = 0; j < r; j++) m[i * r + j]! += lki * bl[k * r + j]!;
    }
  }
  return sumSqrt(symmetricEigenvalues(symmetrise(m, r), r));
}

/** Tr (A B)^½ for symmetric PSD A, B via S = A^½ and the eigenvalues of S B S, all by Jacobi. */
function traceSqrtJacobi(a: Float64Array, b: Float64Array, n: number): number {
  const s = sqrtPsd(a, n);
  return sumSqrt(symmetricEigen(symmetrise(matMul(matMul(s, b, n), s, n), n), n, false).values);
}

/**
 * Fréchet distance between N(mu1, cov1) and N(mu2, cov2); covariances dim×dim row-major, symmetric PSD.
 * Result ≥ 0 up to rounding (clamped at 0).
 */
export function frechetFromStats(
  mu1: ArrayLike<number>,
  cov1: ArrayLike<number>,
  mu2: ArrayLike<number>,
  cov2: ArrayLike<number>,
  dim: number,
  opts: FrechetOptions = {},
): number {
  if (mu1.length !== dim || mu2.length !== dim) throw new UserError(`frechet: means must have length ${dim}`);
  if (cov1.length !== dim * dim || cov2.length !== dim * dim) {
    throw new UserError(`frechet: covariances must be ${dim}x${dim}`);
  }
  let meanTerm = 0;
  for (let d = 0; d < dim; d++) meanTerm += (mu1[d]! - mu2[d]!) ** 2;
  const a = Float64Array.from(cov1),
    b = Float64Array.from(cov2);
  let traceA = 0,
    traceB = 0;
  for (let d = 0; d < dim; d++) {
    traceA += a[d * dim + d]!;
    traceB += b[d * dim + d]!;
  }
  const method = opts.method ?? 'auto';
  const traceSqrt =
    method === 'jacobi' || (method === 'auto' && dim <= 64) ? traceSqrtJacobi(a, b, dim) : traceSqrtCholesky(a, b, dim);
  return Math.max(0, meanTerm + traceA + traceB - 2 * traceSqrt);
}

/**
 * Fréchet distance between two feature sets, each stored row-major (nA × dim and nB × dim), e.g.
 * Inception or critic features of real and inpainted images. Needs nA, nB ≥ 2.
 */
export function frechetDistance(
  featsA: ArrayLike<number>,
  nA: number,
  featsB: ArrayLike<number>,
  nB: number,
  dim: number,
  opts: FrechetOptions = {},
): number {
  const sa = meanCov(featsA, nA, dim),
    sb = meanCov(featsB, nB, dim);
  return frechetFromStats(sa.mu, sa.cov, sb.mu, sb.cov, dim, opts);
}
