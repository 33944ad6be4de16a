/**
 * The structured (width-linear) solver of docs/MATH.md section 4 against the dense one, which
 * factors the assembled P x P matrix: the two are independent computations of the same exact step.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  ACTIVATIONS,
  type Curvature,
  Dataset,
  datasets,
  newtonStep,
  newtonStepSync,
  nntkGram,
  nntkGramSync,
  ntkGram,
  ntkGramSync,
  symmetricEigen,
  TwoLayerNet,
} from '../src/index.js';
import { expectCode, flatten, jacobiEigenvalues, maxAbs, maxAbsDiff, randomDataset, rng, uniforms } from './helpers.js';

function flatStep(r: ReturnType<typeof newtonStepSync>, width: number, d: number): Float64Array {
  return flatten(r.step, width, d);
}

function relDiff(a: Float64Array, b: Float64Array): number {
  return maxAbsDiff(a, b) / maxAbs(b);
}

describe("solver 'structured' agrees with 'dense'", () => {
  const curvatures: Curvature[] = ['newton', 'gauss-newton'];
  for (const activation of ACTIVATIONS) {
    for (const d of [1, 3]) {
      for (const curvature of curvatures) {
        it(`${activation}, inputDim ${d}, ${curvature}`, () => {
          const data = randomDataset(11 * d + activation.length, 9, d);
          const net = TwoLayerNet.create({ width: 40, inputDim: d, activation, seed: 2 });
          const o = { regularization: { gamma: 1e-3 }, curvature, spectrum: 'inertia' as const };
          const dense = newtonStepSync(net, data, { ...o, solver: 'dense' });
          const structured = newtonStepSync(net, data, { ...o, solver: 'structured' });
          expect(structured.solver).toMatch(/^structured-woodbury/);
          expect(relDiff(flatStep(structured, 40, d), flatStep(dense, 40, d))).toBeLessThan(1e-12);
          expect(structured.inertia).toEqual(dense.inertia);
          expect(structured.loss).toBe(dense.loss);
          expect(Math.abs(structured.gradientNorm - dense.gradientNorm)).toBeLessThan(1e-12 * dense.gradientNorm);
        });
      }
    }
  }

  it('on the paper problems, indefinite at small widths (gamma 1e-3) and definite at large gamma', () => {
    for (const [data, width] of [[datasets.paperFigure1(), 200], [datasets.paperFigure3(), 300]] as const) {
      for (const gamma of [1e-3, 1e-1, 10]) {
        const net = TwoLayerNet.create({ width, inputDim: 1, seed: 4 });
        const dense = newtonStepSync(net, data, { regularization: { gamma }, solver: 'dense' });
        const structured = newtonStepSync(net, data, { regularization: { gamma }, solver: 'structured' });
        expect(relDiff(flatStep(structured, width, 1), flatStep(dense, width, 1))).toBeLessThan(1e-12);
        expect(structured.inertia).toEqual(dense.inertia);
      }
    }
    // the indefinite case really is indefinite
    const net = TwoLayerNet.create({ width: 200, inputDim: 1, seed: 4 });
    expect(newtonStepSync(net, datasets.paperFigure1(), { regularization: { gamma: 1e-3 }, solver: 'structured' }).inertia.negative).toBeGreaterThan(0);
  });

  it('when P < M (fewer parameters than data points)', () => {
    const data = datasets.paperFigure3();
    const net = TwoLayerNet.create({ width: 7, inputDim: 1, seed: 8 });
    for (const curvature of curvatures) {
      const o = { regularization: { lambda: 1e-3 }, curvature };
      const dense = newtonStepSync(net, data, { ...o, solver: 'dense' });
      const structured = newtonStepSync(net, data, { ...o, solver: 'structured' });
      expect(relDiff(flatStep(structured, 7, 1), flatStep(dense, 7, 1))).toBeLessThan(1e-12);
      expect(structured.inertia).toEqual(dense.inertia);
    }
  });

  // lambda such that D_i + lambda I of the neuron with the most negative block eigenvalue is exactly singular
  // (D_i = the Hessian minus the Gauss-Newton matrix, restricted to neuron i).
  function singularLambda(net: TwoLayerNet, data: ReturnType<typeof datasets.paperFigure1>): number {
    const H = net.hessian(data);
    const GN = net.hessian(data, { curvature: 'gauss-newton' });
    const P = net.parameterCount;
    let lambda = 0;
    for (let i = 0; i < net.width; i++) {
      const block = new Float64Array(9);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) block[a * 3 + b] = H[(3 * i + a) * P + 3 * i + b]! - GN[(3 * i + a) * P + 3 * i + b]!;
      lambda = Math.max(lambda, -jacobiEigenvalues(block, 3)[0]!);
    }
    return lambda;
  }

  it('a neuron block D_i + lambda I that is exactly singular is deflated, not divided by zero', () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 30, inputDim: 1, seed: 6 });
    const lambda = singularLambda(net, data);
    expect(lambda).toBeGreaterThan(0);
    const dense = newtonStepSync(net, data, { regularization: { lambda }, solver: 'dense' });
    const structured = newtonStepSync(net, data, { regularization: { lambda }, solver: 'structured' });
    expect(structured.solver).toBe('structured-woodbury-deflated');
    expect(relDiff(flatStep(structured, 30, 1), flatStep(dense, 30, 1))).toBeLessThan(1e-12);
    expect(structured.inertia).toEqual(dense.inertia);
  });

  it('step and NNTK agree with dense to 1e-12 on both sides of the deflation threshold (a block eigenvalue 3e-8 to 3e-3 of lambda)', () => {
    // With the old threshold (1e-8 of the block scale) the Woodbury formulas lost up to 2e-10 of the step and
    // 1.3e-9 of the NNTK at 3e-8 (1 / theta swamps G). Deflating below 1e-4 leaves at most ~3e-13; both
    // solvers are within ~cond * eps = 2.6e-12 of the exact values (cond(C + lambda I) ~ 1e4 here).
    for (const [data, width, seed] of [[datasets.paperFigure1(), 30, 4], [datasets.paperFigure1(), 30, 5], [datasets.paperFigure3(), 20, 1]] as const) {
      const net = TwoLayerNet.create({ width, inputDim: 1, seed });
      const lambda0 = singularLambda(net, data);
      const M = data.size, P = net.parameterCount, J = net.jacobian(data), H = net.hessian(data);
      for (const offset of [3e-8, 1e-7, 1e-6, 1e-5, -3e-8, -1e-6, 1e-3, 3e-3, -1e-3]) {
        const lambda = lambda0 * (1 + offset);
        const what = `seed ${seed} offset ${offset}`;
        const dense = newtonStepSync(net, data, { regularization: { lambda }, solver: 'dense' });
        const structured = newtonStepSync(net, data, { regularization: { lambda }, solver: 'structured' });
        expect(structured.solver, what).toBe(Math.abs(offset) <= 1e-5 ? 'structured-woodbury-deflated' : 'structured-woodbury');
        expect(relDiff(flatStep(structured, width, 1), flatStep(dense, width, 1)), what).toBeLessThan(1e-12);
        expect(structured.inertia).toEqual(dense.inertia);
        const ref = denseNntk(H, J, lambda, P, M);
        expect(relDiff(nntkGramSync(net, data, { regularization: { lambda } }), ref), `${what}: NNTK`).toBeLessThan(1e-12);
      }
    }
  });

  it("extremal eigenvalues (secular equations, or the Gauss-Newton closed form) agree with the dense eigensolver to 1e-10", () => {
    for (const curvature of curvatures) {
      for (const [width, M, gamma] of [[50, 16, 1e-3], [120, 10, 1e-2], [4, 16, 1e-1]] as const) {
        const data = randomDataset(width + M, M, 2);
        const net = TwoLayerNet.create({ width, inputDim: 2, activation: 'softplus', seed: 12 });
        const o = { regularization: { gamma }, curvature, spectrum: 'extremal' as const };
        const full = newtonStepSync(net, data, { ...o, solver: 'dense', spectrum: 'full' });
        const s = newtonStepSync(net, data, { ...o, solver: 'structured' });
        const radius = Math.max(Math.abs(full.minEigenvalue!), Math.abs(full.maxEigenvalue!));
        expect(Math.abs(s.minEigenvalue! - full.minEigenvalue!)).toBeLessThan(1e-10 * radius);
        expect(Math.abs(s.maxEigenvalue! - full.maxEigenvalue!)).toBeLessThan(1e-10 * radius);
        expect(s.inertia).toEqual(full.inertia);
      }
    }
  });

  it('async structured steps equal sync ones', async () => {
    const data = datasets.paperFigure3();
    const net = TwoLayerNet.create({ width: 500, inputDim: 1, seed: 1 });
    const o = { regularization: { gamma: 1e-3 }, solver: 'structured' as const };
    const a = await newtonStep(net, data, o);
    const b = newtonStepSync(net, data, o);
    expect(a.step).toEqual(b.step);
    expect(a.inertia).toEqual(b.inertia);
  });
});

describe("solver 'auto'", () => {
  it('picks dense for tiny systems and structured for wide ones, and the full spectrum forces dense', () => {
    const data = datasets.paperFigure3();
    const small = TwoLayerNet.create({ width: 10, inputDim: 1, seed: 1 });
    const wide = TwoLayerNet.create({ width: 3000, inputDim: 1, seed: 1 });
    expect(newtonStepSync(small, data, { regularization: { gamma: 1e-3 } }).solver).toMatch(/^dense/);
    expect(newtonStepSync(wide, data, { regularization: { gamma: 1e-3 } }).solver).toMatch(/^structured/);
    expect(newtonStepSync(small, data, { regularization: { gamma: 1e-3 }, spectrum: 'full' }).solver).toMatch(/^dense/);
  });

  it('goes structured past the dense memory cap instead of failing', () => {
    const data = datasets.paperFigure1();
    const net = TwoLayerNet.create({ width: 200000, inputDim: 1, seed: 3 });
    const r = newtonStepSync(net, data, { regularization: { gamma: 1e-2 } });
    expect(r.solver).toMatch(/^structured/);
    expect(r.inertia.positive + r.inertia.negative + r.inertia.zero).toBe(600000);
    expect(Number.isFinite(r.stepNorm)).toBe(true);
    // Gauss-Newton at P = 600000: check (J^T J / M + lambda I) s = -grad L matrix-free with jacobian().
    const gn = newtonStepSync(net, data, { regularization: { gamma: 1e-2 }, curvature: 'gauss-newton' });
    const s = flatten(gn.step, net.width, 1);
    const g = flatten(net.gradient(data), net.width, 1);
    const J = net.jacobian(data);
    const M = data.size;
    const P = net.parameterCount;
    const Js = new Float64Array(M);
    for (let m = 0; m < M; m++) for (let p = 0; p < P; p++) Js[m]! += J[m * P + p]! * s[p]!;
    let residual = 0;
    let size = 0;
    for (let p = 0; p < P; p++) {
      let JtJs = 0;
      for (let m = 0; m < M; m++) JtJs += J[m * P + p]! * Js[m]!;
      residual = Math.max(residual, Math.abs(JtJs / M + gn.lambda * s[p]! + g[p]!));
      size = Math.max(size, Math.abs(g[p]!));
    }
    expect(residual / size).toBeLessThan(1e-10);
  });
});

describe('kernels', () => {
  const data = randomDataset(5, 8, 2);
  const net = TwoLayerNet.create({ width: 60, inputDim: 2, activation: 'sin', seed: 5 });
  const M = data.size;
  const P = net.parameterCount;
  const J = net.jacobian(data);

  it('ntkGram equals J J^T / M from jacobian()', () => {
    const B = ntkGramSync(net, data);
    const ref = new Float64Array(M * M);
    for (let a = 0; a < M; a++)
      for (let b = 0; b < M; b++) {
        let s = 0;
        for (let p = 0; p < P; p++) s += J[a * P + p]! * J[b * P + p]!;
        ref[a * M + b] = s / M;
      }
    expect(relDiff(B, ref)).toBeLessThan(1e-13);
  });

  describe('few neurons with very many inputs (width 2, inputDim 20000, M = 50: J is 16 MB)', () => {
    // The column buffers once held M x 1024 (d + 2) values per thread and part (7.8 GB here) and the
    // Newton-only q x q block scratch was allocated for Gauss-Newton too (2 x 3.2 GB).
    const d = 20000;
    const rand = rng(77);
    const wide = Dataset.create({ x: uniforms(rand, 50 * d, -0.01, 0.01), y: uniforms(rand, 50), inputDim: d });
    const few = TwoLayerNet.create({ width: 2, inputDim: d, seed: 1 });

    it('ntkGram equals J J^T / M from jacobian()', () => {
      const B = ntkGramSync(few, wide);
      const Jw = few.jacobian(wide);
      const Pw = few.parameterCount;
      const ref = new Float64Array(50 * 50);
      for (let a = 0; a < 50; a++)
        for (let b = 0; b < 50; b++) {
          let s = 0;
          for (let p = 0; p < Pw; p++) s += Jw[a * Pw + p]! * Jw[b * Pw + p]!;
          ref[a * 50 + b] = s / 50;
        }
      expect(relDiff(B, ref)).toBeLessThan(1e-13);
    });

    // A process whose address space is capped at 3 GB (as on a machine without memory overcommit) must still
    // run it, and the structured Gauss-Newton paths too; a system that cannot fit must say what helps there.
    it.runIf(process.platform === 'linux')('runs in 3 GB of address space, with E_TOO_LARGE advice that fits the path', () => {
      const index = new URL('../dist/index.js', import.meta.url).href;
      const script = `
        import { Dataset, TwoLayerNet, ntkGramSync, nntkGramSync, newtonStepSync } from '${index}';
        const d = ${d}, M = 50;
        const x = new Float64Array(M * d).map((_, k) => 0.01 * Math.sin(k));
        const data = Dataset.create({ x, y: new Float64Array(M).map((_, m) => Math.cos(m)), inputDim: d });
        const net = TwoLayerNet.create({ width: 2, inputDim: d, seed: 1 });
        const out = {};
        const attempt = (name, fn) => { try { fn(); out[name] = 'ok'; } catch (e) { out[name] = e.code + ': ' + e.message; } };
        attempt('ntkGram', () => ntkGramSync(net, data));
        attempt('nntkGram', () => nntkGramSync(net, data, { regularization: { gamma: 0.1 }, curvature: 'gauss-newton' }));
        attempt('step', () => newtonStepSync(net, data, { regularization: { gamma: 0.1 }, curvature: 'gauss-newton', solver: 'structured' }));
        const many = Dataset.create({ x: new Float64Array(25000).map((_, k) => k / 25000), y: new Float64Array(25000), inputDim: 1 });
        const small = TwoLayerNet.create({ width: 4, inputDim: 1, seed: 1 });
        attempt('structuredTooLarge', () => newtonStepSync(small, many, { regularization: { gamma: 0.1 }, solver: 'structured' }));
        const big = TwoLayerNet.create({ width: 8000, inputDim: 1, seed: 1 });
        attempt('denseTooLarge', () => newtonStepSync(big, many, { regularization: { gamma: 0.1 }, solver: 'dense', memoryLimitBytes: 1e12 }));
        console.log(JSON.stringify(out));`;
      const r = spawnSync('bash', ['-c', 'ulimit -v 3000000 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
      expect(out.ntkGram).toBe('ok');
      expect(out.nntkGram).toBe('ok');
      expect(out.step).toBe('ok');
      expect(out.structuredTooLarge).toMatch(/^E_TOO_LARGE: .*fewer data points/);
      expect(out.structuredTooLarge).not.toMatch(/solver 'structured'/);
      expect(out.denseTooLarge).toMatch(/^E_TOO_LARGE: .*use solver 'structured'/);
    });
  });

  for (const curvature of ['newton', 'gauss-newton'] as const) {
    it(`nntkGram (${curvature}) equals J (C + lambda I)^-1 J^T / M from the dense Hessian`, () => {
      const lambda = 0.05;
      const K = nntkGramSync(net, data, { regularization: { lambda }, curvature });
      expect(relDiff(K, denseNntk(net.hessian(data, { curvature }), J, lambda, P, M))).toBeLessThan(1e-12);
    });
  }

  it('Gauss-Newton NNTK = B (B + lambda I)^-1 with eigenvalues mu / (mu + lambda) in (0, 1)', () => {
    const lambda = 1e-3;
    const B = ntkGramSync(net, data);
    const K = nntkGramSync(net, data, { regularization: { lambda }, curvature: 'gauss-newton' });
    const mu = jacobiEigenvalues(B, M);
    const kappa = jacobiEigenvalues(K, M);
    mu.forEach((m, k) => expect(Math.abs(kappa[k]! - m / (m + lambda))).toBeLessThan(1e-10));
    for (const v of kappa) expect(v > 0 && v < 1).toBe(true);
  });
});

/**
 * NNTK = J (C + lambda I)^-1 J^T / M from the dense curvature C (P x P) and the Jacobian J (M x P), by
 * Gaussian elimination written here (independent of LAPACK).
 */
function denseNntk(C: Float64Array, J: Float64Array, lambda: number, P: number, M: number): Float64Array {
  const A = Float64Array.from(C);
  for (let p = 0; p < P; p++) A[p * P + p]! += lambda;
  const X = new Float64Array(P * M);  // A^-1 J^T
  for (let p = 0; p < P; p++) for (let m = 0; m < M; m++) X[p * M + m] = J[m * P + p]!;
  solveInPlace(A, X, P, M);
  const K = new Float64Array(M * M);
  for (let a = 0; a < M; a++)
    for (let b = 0; b < M; b++) {
      let sum = 0;
      for (let p = 0; p < P; p++) sum += J[a * P + p]! * X[p * M + b]!;
      K[a * M + b] = sum / M;
    }
  return K;
}

function solveInPlace(A: Float64Array, X: Float64Array, n: number, nrhs: number): void {
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i * n + k]!) > Math.abs(A[pivot * n + k]!)) pivot = i;
    if (pivot !== k) {
      for (let j = 0; j < n; j++) [A[k * n + j], A[pivot * n + j]] = [A[pivot * n + j]!, A[k * n + j]!];
      for (let j = 0; j < nrhs; j++) [X[k * nrhs + j], X[pivot * nrhs + j]] = [X[pivot * nrhs + j]!, X[k * nrhs + j]!];
    }
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k]! / A[k * n + k]!;
      if (f === 0) continue;
      for (let j = k; j < n; j++) A[i * n + j]! -= f * A[k * n + j]!;
      for (let j = 0; j < nrhs; j++) X[i * nrhs + j]! -= f * X[k * nrhs + j]!;
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    for (let j = 0; j < nrhs; j++) {
      let s = X[k * nrhs + j]!;
      for (let i = k + 1; i < n; i++) s -= A[k * n + i]! * X[i * nrhs + j]!;
      X[k * nrhs + j] = s / A[k * n + k]!;
    }
  }
}

describe('bad input to the kernels and the structured solver', () => {
  const data = datasets.paperFigure1();
  const net = TwoLayerNet.create({ width: 5, inputDim: 1, seed: 0 });
  const other = randomDataset(3, 4, 2);

  it('ntkGram: wrong types and shapes', async () => {
    expectCode(() => ntkGramSync({} as never, data), 'E_ARGUMENT');
    expectCode(() => ntkGramSync(net, { x: [0], y: [0] } as never), 'E_ARGUMENT');
    expectCode(() => ntkGramSync(net, other), 'E_SHAPE');
    await expect(ntkGram(net, other)).rejects.toMatchObject({ code: 'E_SHAPE' });
  });

  it('nntkGram: regularization, curvature and unknown options', async () => {
    expectCode(() => nntkGramSync(net, data, {} as never), 'E_ARGUMENT');
    expectCode(() => nntkGramSync(net, data, { regularization: { gamma: Number.POSITIVE_INFINITY } }), 'E_NONFINITE');
    expectCode(() => nntkGramSync(net, data, { regularization: { lambda: -1 } }), 'E_ARGUMENT');
    expectCode(() => nntkGramSync(net, data, { regularization: { gamma: 1 }, curvature: 'bfgs' } as never), 'E_ARGUMENT');
    expectCode(() => nntkGramSync(net, data, { regularization: { gamma: 1 }, solver: 'dense' } as never), 'E_ARGUMENT');
    expectCode(() => nntkGramSync(net, other, { regularization: { gamma: 1 } }), 'E_SHAPE');
    await expect(nntkGram(net, data, { regularization: { gamma: -1 } })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
  });

  it('nntkGram of a singular system is E_SINGULAR, never NaN', () => {
    // Gauss-Newton with lambda = 0 and P > M: J^T J / M is singular.
    const wide = TwoLayerNet.create({ width: 40, inputDim: 1, seed: 0 });
    expectCode(() => nntkGramSync(wide, data, { regularization: { lambda: 0 }, curvature: 'gauss-newton' }), 'E_SINGULAR');
    expectCode(() => newtonStepSync(wide, data, { regularization: { lambda: 0 }, curvature: 'gauss-newton', solver: 'structured' }), 'E_SINGULAR');
  });

  it('a network that overflows is E_NONFINITE on the structured path', () => {
    const big = TwoLayerNet.fromParameters({
      W: new Float64Array([1, 1]), b: new Float64Array([0, 0]), c: new Float64Array([1e308, 1e308]), beta: 0.5, activation: 'softplus',
    });
    expectCode(() => newtonStepSync(big, data, { regularization: { gamma: 1 }, solver: 'structured' }), 'E_NONFINITE');
    expectCode(() => ntkGramSync(big, data), 'E_NONFINITE');
  });

  it('symmetricEigen: size, shape, finiteness and symmetry', () => {
    const A = new Float64Array([2, 1, 1, 3]);
    expectCode(() => symmetricEigen(A, 0), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(A, 1.5), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(A, 3), 'E_SHAPE');
    expectCode(() => symmetricEigen({ length: 4 } as never, 2), 'E_ARGUMENT');
    expectCode(() => symmetricEigen(new Float64Array([2, Number.NaN, Number.NaN, 3]), 2), 'E_NONFINITE');
    expectCode(() => symmetricEigen(new Float64Array([2, 1, 0, 3]), 2), 'E_ARGUMENT');
  });

  it('symmetricEigen matches the closed form of a 2 x 2 and reconstructs a kernel', () => {
    const { values } = symmetricEigen(new Float64Array([2, 1, 1, 3]), 2);
    expect(values[0]).toBeCloseTo((5 - Math.sqrt(5)) / 2, 14);
    expect(values[1]).toBeCloseTo((5 + Math.sqrt(5)) / 2, 14);
    const B = ntkGramSync(TwoLayerNet.create({ width: 30, inputDim: 1, seed: 2 }), data);
    const e = symmetricEigen(B, 16);
    for (let a = 0; a < 16; a++)
      for (let b = 0; b < 16; b++) {
        let s = 0;
        for (let k = 0; k < 16; k++) s += e.vectors[a * 16 + k]! * e.values[k]! * e.vectors[b * 16 + k]!;
        expect(Math.abs(s - B[a * 16 + b]!)).toBeLessThan(1e-14 * maxAbs(B));
      }
  });
});
