/**
 * The report's curvature spectrum (docs/MATH.md section 4, "Spectra"): the Hessian of the Figure 3 network at
 * initialization plus the finite-width globalization's first lambda (1e-8), as an exact histogram of all P
 * eigenvalues (Haynsworth counts) beside the stochastic Lanczos quadrature estimate of the same bins, with the
 * extremes found by the secular equations (the three smallest and the largest: the next largest lie inside the
 * blocks' range and would be found by counting).
 */
import { curvatureSpectrum } from '../spectrum.js';
import { TwoLayerNet } from '../model.js';
import type { RunDescription, SpectrumSummary } from '../report/types.js';
import { figureDataset, trainingSeed } from './paper-grid.js';

/** The globalization's starting lambda (docs/MATH.md section 3). */
const START_LAMBDA = 1e-8;

/**
 * Bin edges on both sides of 0 at every decade from above the largest |eigenvalue| down to 1e-10 of it, so that
 * the histogram shows the bulk near lambda and the few large eigenvalues of the rank-M part alike.
 */
export function symmetricDecadeEdges(min: number, max: number): number[] {
  const top = Math.ceil(Math.log10(Math.max(Math.abs(min), Math.abs(max))));
  const positive: number[] = [];
  for (let k = top; k >= top - 10; k--) positive.push(Number(`1e${k}`)); // exact decimal decades
  const edges = [...positive.map((v) => -v), ...positive.reverse()];
  return min < 0 ? edges : edges.slice(positive.length);
}

export async function spectrumSummary(run: RunDescription): Promise<SpectrumSummary> {
  const data = figureDataset('figure3');
  const width = run.trainingWidth ?? 1000;
  const seed = trainingSeed(run.seed, 0);
  const net = TwoLayerNet.create({ width, inputDim: 1, beta: run.beta, seed });
  const regularization = { lambda: START_LAMBDA };
  const started = performance.now();
  const ends = await curvatureSpectrum(net, data, { regularization, smallest: 3, largest: 1 });
  const edges = symmetricDecadeEdges(ends.minEigenvalue, ends.maxEigenvalue);
  const s = await curvatureSpectrum(net, data, { regularization, histogram: { edges }, density: { probes: 16, steps: 60, seed: 1 } });
  return {
    source: `Figure 3 network at initialization, width ${width}, seed ${seed}, Newton curvature, lambda = ${START_LAMBDA}`,
    parameters: net.parameterCount,
    lambda: START_LAMBDA,
    smallest: Array.from(ends.smallest),
    largest: Array.from(ends.largest),
    trace: s.trace!,
    inertia: s.inertia,
    edges,
    counts: Array.from(s.histogram!.counts),
    densityCounts: Array.from(s.histogram!.densityCounts!),
    passes: ends.passes + s.passes,
    seconds: (performance.now() - started) / 1000,
  };
}
