/**
 * Inertia and extremal eigenvalues of C + lambda I at any width, without a P x P matrix: Haynsworth
 * inertia of the block-diagonal-plus-rank-M structure and bisection on shifted inertia
 * (docs/MATH.md section 4; native/core/structured_system.cpp).
 */
import type { Dataset } from './dataset.js';
import type { TwoLayerNet } from './model.js';
import { type Inertia, native, type NativeData, type NativeNet, type NativeStepRequest } from './native.js';
import { type Curvature, nativeRequest, type Regularization, systemRequest } from './request.js';

export interface CurvatureSpectrumOptions {
  regularization: Regularization;
  curvature?: Curvature;
  /** Cap on the structured solver's buffers (default 4 GiB); J Q is kept between bisection steps only if it fits in min(1 GiB, this). */
  memoryLimitBytes?: number;
}
export interface CurvatureSpectrum {
  /** Of C + lambda I. */
  inertia: Inertia;
  minEigenvalue: number;
  maxEigenvalue: number;
  /** The absolute regularization used. */
  lambda: number;
  /** How many shifted inertias the bisection evaluated. */
  bisectionSteps: number;
}

function prepare(net: unknown, data: unknown, options: unknown): { args: [NativeNet, NativeData, NativeStepRequest]; lambda: number } {
  const s = systemRequest(net, data, options, 'curvatureSpectrum options', ['regularization', 'curvature', 'memoryLimitBytes']);
  return { args: [s.nativeNet, s.nativeData, nativeRequest(s, 'extremal')], lambda: s.lambda };
}

/**
 * Inertia and extremal eigenvalues of C + lambda I at O(M^2 P) per bisection step, on a worker thread.
 * J Q is kept between steps when it fits in 1 GiB; past that every step streams over the neurons again.
 */
export async function curvatureSpectrum(net: TwoLayerNet, data: Dataset, o: CurvatureSpectrumOptions): Promise<CurvatureSpectrum> {
  const p = prepare(net, data, o);
  return { ...(await native().curvatureSpectrum(...p.args)), lambda: p.lambda };
}

/** The blocking twin of curvatureSpectrum. */
export function curvatureSpectrumSync(net: TwoLayerNet, data: Dataset, o: CurvatureSpectrumOptions): CurvatureSpectrum {
  const p = prepare(net, data, o);
  return { ...native().curvatureSpectrumSync(...p.args), lambda: p.lambda };
}
