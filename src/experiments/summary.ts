/**
 * summary.json (docs/MATH.md sections 5-6): the fitted rates that test the paper's claims, from the
 * stored rows. Figure 2a/2b: gamma * max_neuron_update and gamma * nntk_error against the width, one
 * power law per (curvature, gamma) over all trials, next to the paper's -(1 - beta). Figure 3: the
 * exponential rate of each method's loss (geometric mean over seeds) per iteration. Figure 1a: the NTK
 * and NNTK eigenvalues of the reference kernel.
 */
import { NntkError } from '../errors.js';
import { fitExponentialRate, fitPowerLaw } from '../fitting/index.js';
import { ntkGramLimit } from '../limit.js';
import { ntkGramSync, symmetricEigen } from '../kernels.js';
import { TwoLayerNet } from '../model.js';
import type { EigenvalueSummary, PowerLawSummary, RateSummary, RunDescription, Summary, TrainingRow, TrialRow } from '../report/types.js';
import { groupBy } from '../report/statistics.js';
import { figureDataset, PROXY_WIDTH, proxySeed } from './paper-grid.js';
import { spectrumSummary } from './spectrum-summary.js';

/** A fit, or null when the data cannot support one (too few or degenerate points): the report then shows no row for it. */
function fitOrSkip<T>(fit: () => T): T | null {
  try {
    return fit();
  } catch (e) {
    if (e instanceof NntkError && e.code === 'E_ARGUMENT') return null;
    throw e;
  }
}

function powerLaws(rows: TrialRow[], value: (r: TrialRow) => number, seed: number): PowerLawSummary[] {
  const out: PowerLawSummary[] = [];
  for (const group of groupBy(rows, (r) => `${r.curvature}|${r.gamma}`).values()) {
    const usable = group.filter((r) => Number.isFinite(value(r)) && value(r) > 0);
    // A slope with an interval needs two widths and three points; smaller runs have no fit to show.
    if (new Set(usable.map((r) => r.width)).size < 2 || usable.length < 3) continue;
    const fit = fitOrSkip(() => fitPowerLaw(usable.map((r) => r.width), usable.map(value), { bootstrap: 1000, seed }));
    if (!fit) continue;
    const { curvature, gamma, beta } = group[0]!;
    out.push({ curvature, gamma, exponent: fit.exponent, ci95: fit.ci95, r2: fit.r2, reference: -(1 - beta), points: usable.length });
  }
  return out.sort((a, b) => a.curvature.localeCompare(b.curvature) || b.gamma - a.gamma);
}

function rates(rows: TrainingRow[]): RateSummary[] {
  const out: RateSummary[] = [];
  for (const [method, group] of groupBy(rows, (r) => r.method)) {
    const seeds = new Set(group.map((r) => r.seed));
    // The geometric mean over seeds at each iteration every seed logged.
    const byIteration = [...groupBy(group, (r) => String(r.iteration)).values()]
      .filter((g) => g.length === seeds.size && g.every((r) => r.loss > 0))
      .map((g) => ({ iteration: g[0]!.iteration, loss: Math.exp(g.reduce((s, r) => s + Math.log(r.loss), 0) / g.length) }))
      .sort((a, b) => a.iteration - b.iteration);
    if (byIteration.length < 4) continue;
    const fit = fitOrSkip(() => fitExponentialRate(byIteration.map((p) => p.loss), { x: byIteration.map((p) => p.iteration) }));
    if (!fit) continue;
    const finals = [...groupBy(group, (r) => String(r.seed)).values()].map((g) => g.reduce((a, b) => (b.iteration > a.iteration ? b : a)).loss);
    out.push({
      method: method as RateSummary['method'],
      rate: fit.rate,
      ci95: fit.ci95,
      r2: fit.r2,
      window: [byIteration[fit.window[0]]!.iteration, byIteration[fit.window[1]]!.iteration],
      finalLoss: finals.reduce((s, v) => s + v, 0) / finals.length,
      seeds: seeds.size,
    });
  }
  const order = ['gd', 'adam', 'gauss-newton', 'newton'];
  return out.sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
}

/** Descending eigenvalues of a symmetric M x M kernel. */
function descendingEigenvalues(K: Float64Array, M: number): number[] {
  return Array.from(symmetricEigen(K, M).values).reverse();
}

/**
 * Figure 1a: eigenvalues of B* (normalized by the largest) and of NNTK* = B* (B* + gamma I)^-1, i.e.
 * mu / (mu + gamma), for each gamma. With the proxy: those of the width-10^6 network, where
 * lambda_N = gamma N^(1 - 2 beta) plays gamma's part (docs/MATH.md section 5).
 */
export async function figure1aEigenvalues(run: RunDescription): Promise<EigenvalueSummary> {
  const data = figureDataset('figure1');
  const M = data.size;
  let mu: number[];
  let shift: (gamma: number) => number;
  let source: string;
  if (run.limit === 'exact') {
    mu = descendingEigenvalues(await ntkGramLimit(data), M);
    shift = (gamma) => gamma;
    source = 'infinite-width limit kernel B* (Gauss-Hermite quadrature)';
  } else {
    const seed = proxySeed(run.seed);
    const net = TwoLayerNet.create({ width: PROXY_WIDTH, inputDim: 1, beta: run.beta, seed });
    mu = descendingEigenvalues(ntkGramSync(net, data), M);
    shift = (gamma) => gamma * PROXY_WIDTH ** (1 - 2 * run.beta);
    source = `proxy network of width ${PROXY_WIDTH}, seed ${seed}`;
  }
  const top = mu[0]!;
  return {
    source,
    curvature: 'gauss-newton',
    ntk: mu.map((v) => v / top),
    nntk: run.gammas.map((gamma) => ({ gamma, values: mu.map((v) => Math.max(v, 0) / (Math.max(v, 0) + shift(gamma))) })),
  };
}

export async function buildSummary(run: RunDescription, trials: TrialRow[], training: TrainingRow[]): Promise<Summary> {
  const summary: Summary = {};
  if (run.figures.includes('figure1')) summary.figure1a = await figure1aEigenvalues(run);
  const fig2 = trials.filter((r) => r.figure === 'figure2');
  if (fig2.length > 0) {
    summary.figure2a = powerLaws(fig2, (r) => r.gamma * r.max_neuron_update, run.seed);
    summary.figure2b = powerLaws(fig2, (r) => r.gamma * r.nntk_error, run.seed);
  }
  if (training.length > 0) summary.figure3 = rates(training);
  if (run.figures.includes('figure3')) summary.spectrum = await spectrumSummary(run);
  return summary;
}
