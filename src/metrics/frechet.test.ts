import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../util/rng.js';
import { frechetDistance, frechetFromStats, meanCov } from './frechet.js';
import { pivotedCholesky, symmetricEigen, symmetricEigenvalues } from './linalg.js';

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('jacobi eigenvalues of a hand-checked symmetric matrix', () => {
  // [[2,1,0],[1,2,0],[0,0,5]] has eigenvalues 1, 3, 5.
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3);
  assert.deepEqual([...values].map((v) => Math.round(v * 1e12) / 1e12).sort(), [1, 3, 5]);
  // Columns are unit eigenvectors: A v = λ v.
  const A = [
    [2, 1, 0],
    [1, 2, 0],
    [0, 0, 5],
  ];
  for (let e = 0; e < 3; e++)
    for (let i = 0; i < 3; i++) {
      let av = 0;
      for (let j = 0; j < 3; j++) av += A[i]![j]! * vectors![j * 3 + e]!;
      close(av, values[e]! * vectors![i * 3 + e]!, 1e-12, 'Av = λv');
    }
});

test('identical samples give 0', () => {
  const r = new Rng(3),
    n = 200,
    dim = 6;
  const f = new Float32Array(n * dim);
  for (let i = 0; i < f.length; i++) f[i] = r.normal() * (1 + (i % dim)) + (i % dim);
  close(frechetDistance(f, n, f, n, dim), 0, 1e-9, 'FD(A, A)');
});

test('diagonal covariances: FD = Σ(μa−μb)² + Σ(σa−σb)²', () => {
  const mu1 = [0, 1, -2, 0.5],
    mu2 = [1, 1, 0, -0.5];
  const sd1 = [1, 2, 0.5, 3],
    sd2 = [2, 2, 1.5, 0.1];
  const diag = (sd: number[]): Float64Array => {
    const c = new Float64Array(16);
    sd.forEach((s, i) => {
      c[i * 4 + i] = s * s;
    });
    return c;
  };
  // (1 + 0 + 4 + 1) + (1 + 0 + 1 + 2.9²) = 6 + 10.41
  close(frechetFromStats(mu1, diag(sd1), mu2, diag(sd2), 4), 16.41, 1e-12, 'diagonal FD');
});

test('non-diagonal statistics and features match scipy', () => {
  // Reference (Debian python3-numpy 1.24.2 + python3-scipy 1.10.1), the pytorch-fid formula:
  //   def fd(mu1, s1, mu2, s2):
  //       covmean = scipy.linalg.sqrtm(s1.dot(s2), disp=False)[0].real
  //       d = mu1 - mu2; return d.dot(d) + np.trace(s1) + np.trace(s2) - 2*np.trace(covmean)
  //   fd(m1, c1, m2, c2) with the matrices below                               → 1.4839078578954403
  const c1 = [2, 0.5, 0.3, 0.5, 1.5, -0.2, 0.3, -0.2, 1.0];
  const c2 = [1.0, -0.4, 0.1, -0.4, 2.0, 0.6, 0.1, 0.6, 0.8];
  for (const method of ['jacobi', 'cholesky'] as const) {
    close(
      frechetFromStats([0.1, -0.3, 0.5], c1, [0.4, 0.2, -0.1], c2, 3, { method }),
      1.4839078578954403,
      1e-10,
      `stats FD ${method}`,
    );
  }
  //   i = np.arange(40)[:, None]; d = np.arange(5)[None, :]
  //   A = (np.sin(0.7*i + 1.3*d*d) + 0.3*np.cos(0.11*i*(d+1))).astype(np.float32).astype(np.float64)
  //   i = np.arange(50)[:, None]
  //   B = (0.8*np.sin(0.5*i + 0.9*d + 0.2) + 0.1*d + 0.25*np.cos(0.23*i*(d+2))).astype(np.float32).astype(np.float64)
  //   fd(A.mean(0), np.cov(A, rowvar=False), B.mean(0), np.cov(B, rowvar=False))  → 2.3115792198940963
  const dim = 5;
  const A = new Float32Array(40 * dim),
    B = new Float32Array(50 * dim);
  for (let i = 0; i < 40; i++)
    for (let d = 0; d < dim; d++) {
      A[i * dim + d] = Math.sin(0.7 * i + 1.3 * d * d) + 0.3 * Math.cos(0.11 * i * (d + 1));
    }
  for (let i = 0; i < 50; i++)
    for (let d = 0; d < dim; d++) {
      B[i * dim + d] = 0.8 * Math.sin(0.5 * i + 0.9 * d + 0.2) + 0.1 * d + 0.25 * Math.cos(0.23 * i * (d + 2));
    }
  for (const method of ['jacobi', 'cholesky'] as const) {
    close(frechetDistance(A, 40, B, 50, dim, { method }), 2.3115792198940963, 1e-9, `feature FD ${method}`);
  }
});

test('rank-deficient covariances (n < dim) stay finite and symmetric', () => {
  const r = new Rng(9),
    dim = 12,
    n = 5;
  const a = new Float32Array(n * dim),
    b = new Float32Array(n * dim);
  for (let i = 0; i < a.length; i++) {
    a[i] = r.normal();
    b[i] = r.normal() + 0.2;
  }
  const ab = frechetDistance(a, n, b, n, dim, { method: 'jacobi' }),
    ba = frechetDistance(b, n, a, n, dim, { method: 'jacobi' });
  assert.ok(Number.isFinite(ab) && ab > 0);
  close(ab, ba, 1e-8 * ab, 'symmetry');
  // The Cholesky route drops Σa's null space (rank 4 here) and must agree with the Jacobi route.
  close(frechetDistance(a, n, b, n, dim, { method: 'cholesky' }), ab, 1e-8 * ab, 'cholesky vs jacobi, singular');
  // Covariance check by hand on 2 samples: x = [0,0], [2,4] → var 2, 8, cov 4.
  const { mu, cov } = meanCov([0, 0, 2, 4], 2, 2);
  assert.deepEqual([...mu], [1, 2]);
  assert.deepEqual([...cov], [2, 4, 4, 8]);
});

test('Householder+QL eigenvalues agree with Jacobi; pivoted Cholesky reconstructs a singular PSD matrix', () => {
  const r = new Rng(21);
  for (const n of [1, 2, 7, 30]) {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const v = r.normal();
        m[i * n + j] = v;
        m[j * n + i] = v;
      }
    const ql = [...symmetricEigenvalues(m, n)].sort((x, y) => x - y);
    const jac = [...symmetricEigen(m, n, false).values].sort((x, y) => x - y);
    ql.forEach((v, i) => {
      close(v, jac[i]!, 1e-10, `eigenvalue ${i} of ${n}x${n}`);
    });
  }
  // A = X Xᵀ with X 6×3: rank 3.
  const n = 6,
    k = 3,
    x = Array.from({ length: n * k }, () => r.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) a[i * n + j]! += x[i * k + t]! * x[j * k + t]!;
  const { l, rank } = pivotedCholesky(a, n);
  assert.equal(rank, 3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let t = 0; t < rank; t++) v += l[i * rank + t]! * l[j * rank + t]!;
      close(v, a[i * n + j]!, 1e-10, `LLᵀ[${i},${j}]`);
    }
});

test('both trace routes agree on a 100-dim problem', () => {
  const r = new Rng(4),
    dim = 100,
    n = 300;
  const a = new Float32Array(n * dim),
    b = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    for (let d = 0; d < dim; d++) {
      a[i * dim + d] = r.normal() + 0.5 * z;
      b[i * dim + d] = 1.2 * r.normal() + (0.1 * z * d) / dim;
    }
  }
  const j = frechetDistance(a, n, b, n, dim, { method: 'jacobi' });
  close(frechetDistance(a, n, b, n, dim, { method: 'cholesky' }), j, 1e-9 * j, 'routes');
});
