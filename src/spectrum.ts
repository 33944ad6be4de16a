/**
 * The spectrum of C + lambda I at any width, exactly where it can be done exactly (docs/MATH.md section 4,
 * "Spectra"; native/core/curvature_spectrum.cpp), without a P x P matrix:
 * - the k smallest and k largest eigenvalues, optionally with unit eigenvectors, by the secular equations of the
 *   block-diagonal-plus-rank-M structure: a few streamed O(M^2 P) passes, to about 1e-12 of the spectral radius
 *   (method 'secular', the default), or by bisection on Haynsworth inertia (method 'bisection': 100-200 passes,
 *   kept as an independent check);
 * - the exact trace (sum of the blocks' traces plus |J|_F^2 / M) and, on request, the exact Frobenius norm;
 * - exact eigenvalue counts in any intervals by Sylvester / Haynsworth inertia (one pass per edge): an exact
 *   histogram of all P eigenvalues;
 * - the spectral density by stochastic Lanczos quadrature (Rademacher probes, O(M P) products), binned on the
 *   histogram's edges so that the two can be compared.
 */
import type { Dataset } from './dataset.js';
import { NntkError } from './errors.js';
import type { TwoLayerNet } from './model.js';
import {
  type Inertia,
  native,
  type NativeData,
  type NativeNet,
  type NativeSpectrum,
  type NativeSpectrumRequest,
  type NativeSpectrumResult,
  type NativeStepRequest,
} from './native.js';
import { type Curvature, nativeRequest, type Regularization, systemRequest } from './request.js';
import { invalid, isPlainObject, requireInteger, requireKnownKeys, requireOneOf } from './validate.js';
import { LOSS_KEYS, type LossOptions } from './loss.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type SpectrumMethod = 'secular' | 'bisection';
export const SPECTRUM_METHODS = ['secular', 'bisection'] as const;

export interface SpectrumHistogramOptions {
  /** This many equal bins over [smallest, largest] eigenvalue (slightly padded); one pass per edge. Give bins or edges; no default. */
  bins?: number;
  /** Or the bin edges themselves (strictly increasing, finite); counts are of [edges[b], edges[b + 1]). Absent: equal bins. */
  edges?: ArrayLike<number>;
}
export interface SpectrumDensityOptions {
  /** Rademacher probe vectors (default 8). */
  probes?: number;
  /** Lanczos steps per probe (default 40): the quadrature rule of each probe has this many nodes. */
  steps?: number;
  /** Seed of the probes (default 0). */
  seed?: number;
}

export interface CurvatureSpectrumOptions extends LossOptions {
  /** { gamma } or { lambda }, as in StepOptions. No default. */
  regularization: Regularization;
  /** Default 'newton'. */
  curvature?: Curvature;
  /** Cap on every buffer (default 4 GiB). */
  memoryLimitBytes?: number;
  /** Default 'secular'. 'bisection' returns only the two extremes and the inertia. */
  method?: SpectrumMethod;
  /** How many of the smallest eigenvalues (default 1; 1 to 256). */
  smallest?: number;
  /** How many of the largest eigenvalues (default 1; 1 to 256). */
  largest?: number;
  /** Unit eigenvectors of those eigenvalues, in the flat neuron-major order of the trainable parameters (P' values, docs/MATH.md section 1.2; default false). */
  eigenvectors?: boolean;
  /** The exact Frobenius norm |C + lambda I|_F (one more pass; default false). */
  frobenius?: boolean;
  /** An exact histogram of all P eigenvalues. Default: none. */
  histogram?: SpectrumHistogramOptions;
  /** The spectral density by stochastic Lanczos quadrature. Default: none. */
  density?: SpectrumDensityOptions;
}

export interface CurvatureSpectrum {
  /** Of C + lambda I. */
  readonly inertia: Inertia;
  /** smallest[0] and largest[0]. */
  readonly minEigenvalue: number;
  readonly maxEigenvalue: number;
  /** The absolute regularization used. */
  readonly lambda: number;
  /** Shifted inertias the bisection evaluated (0 for the secular method). */
  readonly bisectionSteps: number;
  /** Ascending. */
  readonly smallest: Float64Array;
  /** Descending. */
  readonly largest: Float64Array;
  /**
   * With eigenvectors: unit vectors (P values each) of smallest[k] and largest[k], and |(C + lambda I) u - mu u|.
   * An eigenvalue found by counting (one not lifted above every block eigenvalue, or after ties) has an empty
   * vector and residual -1.
   */
  readonly smallestVectors?: Float64Array[];
  readonly largestVectors?: Float64Array[];
  readonly smallestResiduals?: Float64Array;
  readonly largestResiduals?: Float64Array;
  /** Exact: sum of the block traces plus |J|_F^2 / M (absent for method 'bisection'). */
  readonly trace?: number;
  readonly frobeniusNorm?: number;
  /** counts[b]: exact number of eigenvalues in [edges[b], edges[b + 1]); densityCounts[b]: SLQ's estimate of it. */
  readonly histogram?: { edges: Float64Array; counts: Float64Array; densityCounts?: Float64Array };
  /** SLQ's Gauss rule over all probes: nodes (Ritz values) and weights summing to P. */
  readonly density?: { nodes: Float64Array; weights: Float64Array };
  /** Streamed O(M^2 P) passes and O(M P) products the call made. */
  readonly passes: number;
  readonly products: number;
  /** 'secular', 'gauss-newton-closed-form', 'dense-rotated' (small P) or 'bisection'. */
  readonly method: string;
}

type Prepared =
  | { kind: 'bisection'; args: [NativeNet, NativeData, NativeStepRequest]; lambda: number }
  | { kind: 'secular'; args: [NativeNet, NativeData, NativeSpectrumRequest]; lambda: number; P: number };

const KEYS = ['regularization', 'curvature', 'memoryLimitBytes', 'method', 'smallest', 'largest', 'eigenvectors', 'frobenius', 'histogram', 'density',
  ...LOSS_KEYS];
const MAX_WANTED = 256;
const MAX_EDGES = 1001;

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid('E_ARGUMENT', name, 'true or false', value);
  return value;
}

function histogramEdges(value: unknown): { edges: Float64Array; bins: number } {
  if (value === undefined) return { edges: new Float64Array(0), bins: 0 };
  if (!isPlainObject(value)) throw invalid('E_ARGUMENT', 'histogram', 'an object { bins } or { edges }', value);
  requireKnownKeys(value, 'histogram', ['bins', 'edges']);
  if ((value.bins === undefined) === (value.edges === undefined)) {
    throw invalid('E_ARGUMENT', 'histogram', 'exactly one of { bins } or { edges }', value);
  }
  if (value.bins !== undefined) return { edges: new Float64Array(0), bins: requireInteger(value.bins, 'histogram.bins', 1, MAX_EDGES - 1) };
  const e = value.edges;
  if (!(e instanceof Float64Array) && !Array.isArray(e)) throw invalid('E_ARGUMENT', 'histogram.edges', 'an array of numbers', e);
  if (e.length < 2 || e.length > MAX_EDGES) throw invalid('E_ARGUMENT', 'histogram.edges', `2 to ${MAX_EDGES} edges`, e);
  const edges = new Float64Array(e.length);
  for (let k = 0; k < e.length; k++) {
    const v: unknown = e[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new NntkError('E_NONFINITE', `histogram.edges[${k}] must be a finite number`);
    if (k > 0 && !(v > edges[k - 1]!)) throw new NntkError('E_ARGUMENT', `histogram.edges must increase strictly (edges[${k}] = ${v})`);
    edges[k] = v;
  }
  return { edges, bins: 0 };
}

function density(value: unknown): { probes: number; lanczosSteps: number; seed: number } {
  if (value === undefined) return { probes: 0, lanczosSteps: 0, seed: 0 };
  if (!isPlainObject(value)) throw invalid('E_ARGUMENT', 'density', 'an object { probes?, steps?, seed? }', value);
  requireKnownKeys(value, 'density', ['probes', 'steps', 'seed']);
  return {
    probes: value.probes === undefined ? 8 : requireInteger(value.probes, 'density.probes', 1, 1000),
    lanczosSteps: value.steps === undefined ? 40 : requireInteger(value.steps, 'density.steps', 1, 1000),
    seed: value.seed === undefined ? 0 : requireInteger(value.seed, 'density.seed', 0),
  };
}

function prepare(net: unknown, data: unknown, options: unknown): Prepared {
  const s = systemRequest(net, data, options, 'curvatureSpectrum options', KEYS);
  const o = s.options;
  const method = o.method === undefined ? 'secular' : requireOneOf(o.method, 'method', SPECTRUM_METHODS);
  if (method === 'bisection') {
    for (const key of ['smallest', 'largest', 'eigenvectors', 'frobenius', 'histogram', 'density']) {
      if (o[key] !== undefined) throw new NntkError('E_ARGUMENT', `method 'bisection' gives the two extremes only; drop '${key}' or use method 'secular'`);
    }
    return { kind: 'bisection', args: [s.nativeNet, s.nativeData, nativeRequest(s, 'extremal')], lambda: s.lambda };
  }
  const P = s.net.trainableCount;  // eigenvalues of the P' x P' system (docs/MATH.md section 1.2)
  const smallest = o.smallest === undefined ? 1 : requireInteger(o.smallest, 'smallest', 1, Math.min(MAX_WANTED, P));
  const largest = o.largest === undefined ? 1 : requireInteger(o.largest, 'largest', 1, Math.min(MAX_WANTED, P));
  const eigenvectors = flag(o.eigenvectors, 'eigenvectors');
  if (eigenvectors && 8 * P * (smallest + largest + 4) > s.memoryLimitBytes) {
    throw new NntkError('E_TOO_LARGE', `${smallest + largest} eigenvectors of ${P} values exceed memoryLimitBytes; ask for fewer or raise memoryLimitBytes`);
  }
  const h = histogramEdges(o.histogram);
  const d = density(o.density);
  if (d.probes > 0 && 8 * P * 6 > s.memoryLimitBytes) {
    throw new NntkError('E_TOO_LARGE', 'the Lanczos vectors of the density exceed memoryLimitBytes; raise it');
  }
  const request: NativeSpectrumRequest = {
    curvature: s.curvature,
    lambda: s.lambda,
    memoryLimitBytes: s.memoryLimitBytes,
    smallest,
    largest,
    eigenvectors,
    frobenius: flag(o.frobenius, 'frobenius'),
    inertia: true,
    edges: h.edges,
    bins: h.bins,
    ...d,
  };
  return { kind: 'secular', args: [s.nativeNet, s.nativeData, request], lambda: s.lambda, P };
}

function fromSecular(r: NativeSpectrumResult, lambda: number, wantVectors: boolean): CurvatureSpectrum {
  const out: Mutable<CurvatureSpectrum> = {
    inertia: r.inertia!,
    minEigenvalue: r.smallest[0]!,
    maxEigenvalue: r.largest[0]!,
    lambda,
    bisectionSteps: 0,
    smallest: r.smallest,
    largest: r.largest,
    trace: r.trace,
    passes: r.passes,
    products: r.products,
    method: r.method,
  };
  if (wantVectors) {
    out.smallestVectors = r.smallestVectors;
    out.largestVectors = r.largestVectors;
    out.smallestResiduals = r.smallestResiduals;
    out.largestResiduals = r.largestResiduals;
  }
  if (r.frobeniusNorm !== undefined) out.frobeniusNorm = r.frobeniusNorm;
  if (r.edges.length > 0) {
    out.histogram = { edges: r.edges, counts: r.counts, ...(r.densityCounts.length > 0 ? { densityCounts: r.densityCounts } : {}) };
  }
  if (r.densityNodes.length > 0) out.density = { nodes: r.densityNodes, weights: r.densityWeights };
  return out;
}

function finish(p: Prepared, r: unknown): CurvatureSpectrum {
  if (p.kind === 'bisection') {
    const b = r as NativeSpectrum;
    return {
      ...b,
      lambda: p.lambda,
      smallest: Float64Array.of(b.minEigenvalue),
      largest: Float64Array.of(b.maxEigenvalue),
      passes: b.bisectionSteps + 1,
      products: 0,
      method: 'bisection',
    };
  }
  return fromSecular(r as NativeSpectrumResult, p.lambda, p.args[2].eigenvectors);
}

/**
 * The spectrum of C + lambda I on a worker thread (see the module comment). The default call returns the
 * inertia, the smallest and the largest eigenvalue and the trace in a few streamed passes (each about the cost of
 * one exact step's assembly); every option adds what it names.
 */
export async function curvatureSpectrum(net: TwoLayerNet, data: Dataset, o: CurvatureSpectrumOptions): Promise<CurvatureSpectrum> {
  const p = prepare(net, data, o);
  const r = p.kind === 'bisection' ? await native().curvatureSpectrum(...p.args) : await native().spectrum(...p.args);
  return finish(p, r);
}

/** The blocking twin of curvatureSpectrum. */
export function curvatureSpectrumSync(net: TwoLayerNet, data: Dataset, o: CurvatureSpectrumOptions): CurvatureSpectrum {
  const p = prepare(net, data, o);
  return finish(p, p.kind === 'bisection' ? native().curvatureSpectrumSync(...p.args) : native().spectrumSync(...p.args));
}
