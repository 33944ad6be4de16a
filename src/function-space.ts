/**
 * Function-space tools of docs/MATH.md section 5: the linearized (kernel) dynamics of a Newton step,
 * the one-step loss, and kernel comparison.
 */
import type { Numbers } from './contract.js';
import { type Dataset, requireDataset } from './dataset.js';
import { NntkError } from './errors.js';
import { nntkGramSync } from './kernels.js';
import { requireNet, type TwoLayerNet } from './model.js';
import { newtonStepSync, type StepOptions } from './step.js';
import { invalid, isPlainObject, requireFiniteArray, requireInteger, requireKnownKeys, requireNumber } from './validate.js';

function requireSquare(matrix: unknown, name: string, M: number): Float64Array {
  return requireFiniteArray(matrix, name, M * M);
}

/**
 * The trajectory left the doubles at step t: (I - alpha K)^t (y - f_0) grew past 1.8e308, so I - alpha K has
 * an eigenvalue of modulus above 1 (for a symmetric positive semidefinite K: alpha lambda_max(K) > 2) and the
 * exact values themselves are not representable; no reordering of the sums could return them.
 */
function divergence(t: number, m: number, steps: number): NntkError {
  return new NntkError(
    'E_NONFINITE',
    `the linearized trajectory overflows at step ${t} of ${steps} (output ${m}): I - alpha K has an eigenvalue ` +
      'of modulus above 1, so the linearized dynamics diverge; use a smaller alpha (below 2 / lambda_max(K) for a ' +
      'positive semidefinite kernel) or fewer steps',
  );
}

/** Options of linearizedTrajectory. */
export interface LinearizedTrajectoryOptions {
  /** How many steps t = 1..steps after f_0 (an integer in [0, 1e7]). No default. */
  steps: number;
  /** The step size (default 1). */
  alpha?: number;
}

/**
 * The linearized trajectory f_t = y - (I - alpha K)^t (y - f_0) for t = 0..steps (MATH.md section 5), with
 * K an M x M kernel (row-major), e.g. a finite-width NNTK or the limit nntkGramLimit. Returns (steps + 1) x M, row-major.
 * E_NONFINITE when the dynamics diverge so far that a value overflows (the exact value is not a double).
 */
export function linearizedTrajectory(
  kernel: Numbers,
  y: Numbers,
  f0: Numbers,
  o: LinearizedTrajectoryOptions,
): Float64Array {
  const yy = requireFiniteArray(y, 'y');
  const M = yy.length;
  const K = requireSquare(kernel, 'kernel', M);
  const f = Float64Array.from(requireFiniteArray(f0, 'f0', M));
  if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'options', 'an object { steps, alpha? }', o);
  requireKnownKeys(o, 'linearizedTrajectory options', ['steps', 'alpha']);
  const steps = requireInteger(o.steps, 'steps', 0, 1e7);
  const alpha = o.alpha === undefined ? 1 : requireNumber(o.alpha, 'alpha');
  const out = new Float64Array((steps + 1) * M);
  out.set(f, 0);
  const e = new Float64Array(M);
  for (let t = 1; t <= steps; t++) {
    // f_{t} = f_{t-1} + alpha K (y - f_{t-1}), which unrolls to y - (I - alpha K)^t (y - f_0).
    for (let m = 0; m < M; m++) e[m] = yy[m]! - f[m]!;
    for (let a = 0; a < M; a++) {
      let s = 0;
      for (let b = 0; b < M; b++) s += K[a * M + b]! * e[b]!;
      f[a] = f[a]! + alpha * s;
    }
    for (let m = 0; m < M; m++) {
      if (!Number.isFinite(f[m]!)) throw divergence(t, m, steps);
    }
    out.set(f, t * M);
  }
  return out;
}

/** ||A - B||_F / ||B||_F: e.g. a finite-width NNTK against its limit (the paper's Theorem 7 quantity, times gamma). */
export function relativeFrobeniusError(A: Numbers, reference: Numbers): number {
  const ref = requireFiniteArray(reference, 'reference');
  const a = requireFiniteArray(A, 'A', ref.length);
  // Both sums are taken on values scaled by the largest magnitude, so that entries near 1e308 neither
  // overflow their squares nor their differences.
  let scale = 0;
  for (let k = 0; k < ref.length; k++) scale = Math.max(scale, Math.abs(a[k]!), Math.abs(ref[k]!));
  if (scale === 0) throw new NntkError('E_ARGUMENT', 'the reference matrix is zero; the relative error is undefined');
  let num = 0;
  let den = 0;
  for (let k = 0; k < ref.length; k++) {
    num += (a[k]! / scale - ref[k]! / scale) ** 2;
    den += (ref[k]! / scale) ** 2;
  }
  if (den === 0) throw new NntkError('E_ARGUMENT', 'the reference matrix is zero; the relative error is undefined');
  return Math.sqrt(num / den);
}

export interface OneStepLoss {
  /** L(theta_0) and L(theta_1) after one exact step theta_1 = theta_0 + alpha * step. */
  readonly before: number;
  readonly after: number;
  /** The loss the linearized dynamics predict: |(I - alpha NNTK)(y - f_0)|^2 / 2M. */
  readonly linearized: number;
  /** after / |y|^2, as plotted in the paper's Figure 1b; absent when y = 0. */
  readonly normalized?: number;
}

/** One exact regularized Newton step and its loss, next to the NNTK linearization's prediction (MATH.md section 5). */
export function oneStepLoss(net: TwoLayerNet, data: Dataset, o: StepOptions & { alpha?: number }): OneStepLoss {
  const n = requireNet(net);
  const d = requireDataset(data);
  if (!isPlainObject(o)) throw invalid('E_ARGUMENT', 'options', 'an object { regularization, ... }', o);
  const { alpha: alphaArg, ...stepOptions } = o;
  const alpha = alphaArg === undefined ? 1 : requireNumber(alphaArg, 'alpha');
  const result = newtonStepSync(n, d, stepOptions);
  const after = n.withStep(result.step, alpha).loss(d);
  const M = d.size;
  const K = nntkGramSync(n, d, { regularization: stepOptions.regularization, ...(stepOptions.curvature ? { curvature: stepOptions.curvature } : {}) });
  const f0 = n.predict(d.x);
  const f1 = linearizedTrajectory(K, d.y, f0, { steps: 1, alpha }).subarray(M);
  let lin = 0;
  let yy = 0;
  for (let m = 0; m < M; m++) {
    lin += (f1[m]! - d.y[m]!) ** 2;
    yy += d.y[m]! ** 2;
  }
  return { before: result.loss, after, linearized: lin / (2 * M), ...(yy > 0 && Number.isFinite(after / yy) ? { normalized: after / yy } : {}) };
}
