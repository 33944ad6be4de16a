/**
 * Vega-Lite specs for the report's figure panels (docs/MATH.md section 6). Every panel is drawn
 * from data aggregated here (means and 80% bands, src/report/statistics.ts), never from raw rows,
 * so that the SVGs stay small at the paper's 32000 trials. A panel without data is left out.
 */
import type { TopLevelSpec } from 'vega-lite';
import { gaussNewtonPanels } from './gauss-newton-figures.js';
import { categoricalColours, CONFIG, DASHED, extent, FACET_HEIGHT, FACET_WIDTH, type FigurePanel, type LinePoint, lineChart, SOLID, sequentialColours } from './line-chart.js';
import { groupBy, trimmedBand } from './statistics.js';
export type { FigurePanel } from './line-chart.js';
import type {
  EigenvalueSummary,
  SpectrumSummary,
  FigureCurvature,
  ReportInput,
  TrainingMethod,
  TrainingRow,
  TrialRow,
} from './types.js';


/** Most points drawn per training curve (log-spaced iterations, docs/MATH.md section 6, Figures 3/5). */
const MAX_CURVE_POINTS = 160;
const METHODS: TrainingMethod[] = ['gd', 'adam', 'gauss-newton', 'newton'];
const METHOD_LABELS: Record<TrainingMethod, string> = {
  gd: 'GD',
  adam: 'Adam',
  'gauss-newton': 'Gauss-Newton',
  newton: 'Newton',
};
const METHOD_COLOURS: Record<TrainingMethod, string> = {
  gd: '#4c78a8',
  adam: '#f58518',
  'gauss-newton': '#54a24b',
  newton: '#e45756',
};
const CURVATURES: FigureCurvature[] = ['gauss-newton', 'newton'];
const CURVATURE_LABELS: Record<FigureCurvature, string> = {
  'gauss-newton': 'Gauss-Newton step',
  newton: 'Newton step',
};


/** 1e-3 for 0.001: the notation of the legends and tables. */
export function exponentLabel(value: number): string {
  return value.toExponential().replace('e+', 'e');
}

/** Every panel the input has data for, in the report's order. */
export function buildPanels(input: ReportInput): FigurePanel[] {
  const panels = [
    input.summary.figure1a ? eigenvaluePanel(input.summary.figure1a) : null,
    oneStepLossPanel(input.trials),
    scalingPanel(input.trials, 'max_neuron_update'),
    scalingPanel(input.trials, 'nntk_error'),
    trainingLossPanel(input.training, 'iteration'),
    trainingLossPanel(input.training, 'seconds'),
    errorPanel(input.training, 'components', input.componentNames),
    errorPanel(input.training, 'modes', input.componentNames),
    input.summary.spectrum ? spectrumPanel(input.summary.spectrum) : null,
    ...(input.gaussNewton ? gaussNewtonPanels(input.gaussNewton) : []),
  ];
  return panels.filter((panel): panel is FigurePanel => panel !== null);
}

// ---------------------------------------------------------------------------------------------
// Figures 1-2 (docs/MATH.md section 6).

/** Figure 1a: normalized NTK eigenvalues against NNTK eigenvalues mu / (mu + gamma), one line per gamma. */
function eigenvaluePanel(summary: EigenvalueSummary): FigurePanel | null {
  const nntk = [...summary.nntk].sort((a, b) => b.gamma - a.gamma);
  const labels = nntk.map((entry) => exponentLabel(entry.gamma));
  const points: LinePoint[] = [];
  const addLine = (series: string, style: string, values: number[]) =>
    values.forEach((y, k) => {
      if (y > 0 && Number.isFinite(y)) points.push({ facet: '', series, style, x: k + 1, y });
    });
  addLine('NTK', 'NTK / largest eigenvalue', summary.ntk);
  nntk.forEach((entry, j) => addLine(labels[j] as string, 'NNTK μ/(μ+γ)', entry.values));
  if (points.length === 0) return null;
  const chart = lineChart({
    title: 'Figure 1a: NTK and NNTK eigenvalues',
    subtitle: `${summary.source}, ${CURVATURE_LABELS[summary.curvature]}; zero and negative eigenvalues are not drawn`,
    points,
    x: { title: 'eigenvalue index k (descending order)', log: false },
    y: { title: 'eigenvalue (log scale)' },
    colour: { title: 'γ', domain: [...labels, 'NTK'], range: [...sequentialColours(labels.length), 'black'], legendValues: labels },
    styles: { domain: ['NTK / largest eigenvalue', 'NNTK μ/(μ+γ)'], dashes: [DASHED, SOLID] },
  });
  return {
    id: 'figure-1a',
    title: 'Figure 1a: NTK and NNTK spectra',
    ...chart,
    caption:
      `Eigenvalues of the NTK Gram matrix divided by its largest eigenvalue (black, dashed) and of the NNTK ` +
      `μ/(μ+γ) for each regularization γ (coloured), in descending order, on a log axis. Kernels: ${summary.source}.`,
    claim:
      'NNTK eigenvalues are bounded below while the NTK eigenvalues decay to 0: the Newton step has no ' +
      'spectral bias, gradient descent has.',
  };
}

/** Figure 1b: one-step loss against the width per gamma, with the infinite-width one-step loss. */
function oneStepLossPanel(trials: TrialRow[]): FigurePanel | null {
  const rows = trials.filter((row) => row.figure === 'figure1');
  if (rows.length === 0) return null;
  const finite = 'width N: mean, 80% band';
  const infinite = 'infinite width (mean)';
  const points = bandPoints(rows, (row) => row.one_step_loss, finite);
  for (const group of groupBy(rows, (row) => `${row.curvature} ${row.gamma}`).values()) {
    const first = group[0] as TrialRow;
    const limit = group.reduce((sum, row) => sum + row.one_step_loss_limit, 0) / group.length;
    if (!(limit > 0)) continue;
    for (const x of extent(rows.filter((row) => row.curvature === first.curvature).map((row) => row.width))) {
      points.push({ facet: CURVATURE_LABELS[first.curvature], series: exponentLabel(first.gamma), style: infinite, x, y: limit });
    }
  }
  const gammas = gammaLabels(rows);
  const chart = lineChart({
    title: 'Figure 1b: one-step loss against width',
    subtitle: `${trialsPerGroup(rows)} per (width, γ); y = 2x + 0.4 sin(5πx), M = 16`,
    points,
    x: { title: 'width N (neurons)', log: true },
    y: { title: 'one-step loss |f₁ − y|² / (2M|y|²)' },
    colour: { title: 'γ', domain: gammas, range: sequentialColours(gammas.length) },
    styles: { domain: [finite, infinite], dashes: [SOLID, DASHED] },
    facets: curvatureFacets(rows),
  });
  return {
    id: 'figure-1b',
    title: 'Figure 1b: one-step loss',
    ...chart,
    caption:
      'Loss after one regularized Newton step, L(θ₁)/|y|², against the width N for each γ: mean over the trials ' +
      'inside the 10%-90% quantile range of each (N, γ) and the band [min, max] of those trials. Dashed: the ' +
      'mean one-step loss of the infinite-width (limit) kernel for the same γ.',
    claim:
      'As N grows the one-step loss converges to the infinite-width one-step loss, and that loss goes to 0 as ' +
      'γ → 0 (Remark 6).',
  };
}

/** Figure 2a (max per-neuron update) or 2b (relative NNTK error), scaled by gamma, against the width. */
function scalingPanel(trials: TrialRow[], metric: 'max_neuron_update' | 'nntk_error'): FigurePanel | null {
  const rows = trials.filter((row) => row.figure === 'figure2');
  if (rows.length === 0) return null;
  const mean = 'mean, 80% band';
  const points = bandPoints(rows, (row) => row.gamma * row[metric], mean);
  const styles = [mean];
  for (const [curvature, facetRows] of groupBy(rows, (row) => row.curvature)) {
    const reference = referenceSlope(points.filter((p) => p.facet === CURVATURE_LABELS[curvature as FigureCurvature]), facetRows);
    points.push(...reference);
    const style = reference[0]?.style;
    if (style !== undefined && !styles.includes(style)) styles.push(style);
  }
  const gammas = gammaLabels(rows);
  const isUpdate = metric === 'max_neuron_update';
  const chart = lineChart({
    title: isUpdate ? 'Figure 2a: per-neuron updates against width' : 'Figure 2b: NNTK error against width',
    subtitle: `${trialsPerGroup(rows)} per (width, γ); y = sin(20πx), M = 16`,
    points,
    x: { title: 'width N (neurons)', log: true },
    y: { title: isUpdate ? 'γ · maxᵢ |(Δwᵢ, Δbᵢ, Δcᵢ)|' : 'γ · |NNTK_N − NNTK*|_F / |NNTK*|_F' },
    colour: { title: 'γ', domain: [...gammas, 'reference'], range: [...sequentialColours(gammas.length), 'black'], legendValues: gammas },
    styles: { domain: styles, dashes: styles.map((style) => (style === mean ? SOLID : DASHED)) },
    facets: curvatureFacets(rows),
  });
  const beta = rows[0]?.beta ?? Number.NaN;
  return {
    id: isUpdate ? 'figure-2a' : 'figure-2b',
    title: isUpdate ? 'Figure 2a: largest per-neuron update' : 'Figure 2b: NNTK error',
    ...chart,
    caption:
      (isUpdate
        ? 'γ times the largest per-neuron update norm maxᵢ |(Δwᵢ, Δbᵢ, Δcᵢ)| of one step'
        : 'γ times the relative Frobenius distance between the width-N NNTK and the limit NNTK') +
      ` against the width N for each γ (mean and 80% band of the trials inside the 10%-90% quantile range). ` +
      `Dashed black: a line of slope -(1-β) = ${(-(1 - beta)).toFixed(2)}, anchored at the smallest width of the ` +
      `largest γ. The table gives the fitted exponents.`,
    claim: isUpdate
      ? 'γ · max per-neuron update ~ N^-(1-β): the per-neuron updates vanish as the width grows (Lemma 9).'
      : 'γ · relative NNTK error ~ N^-(1-β): the finite-width NNTK converges to the limit NNTK (Theorem 7).',
  };
}

/** Mean and 80% band per (curvature, width, gamma): one line per (curvature, gamma). */
function bandPoints(rows: TrialRow[], value: (row: TrialRow) => number, style: string): LinePoint[] {
  const points: LinePoint[] = [];
  for (const group of groupBy(rows, (row) => `${row.curvature} ${row.gamma} ${row.width}`).values()) {
    const first = group[0] as TrialRow;
    const band = trimmedBand(group.map(value));
    if (band === null || !(band.mean > 0)) continue;
    const point: LinePoint = { facet: CURVATURE_LABELS[first.curvature], series: exponentLabel(first.gamma), style, x: first.width, y: band.mean };
    if (band.kept > 1 && band.lo > 0) Object.assign(point, { lo: band.lo, hi: band.hi });
    points.push(point);
  }
  return points;
}

/** A line through the largest gamma's mean at the smallest width with slope -(1 - beta). */
function referenceSlope(facetPoints: LinePoint[], facetRows: TrialRow[]): LinePoint[] {
  const largest = extent(facetRows.map((row) => row.gamma))[1];
  const line = facetPoints.filter((p) => p.series === exponentLabel(largest)).sort((a, b) => a.x - b.x);
  const anchor = line[0];
  const beta = facetRows.find((row) => row.gamma === largest)?.beta;
  if (anchor === undefined || beta === undefined) return [];
  const slope = -(1 - beta);
  const style = `∝ N^-(1-β) = N^${slope.toFixed(2)}`;
  return extent(facetRows.map((row) => row.width)).map((x) => ({
    facet: anchor.facet,
    series: 'reference',
    style,
    x,
    y: anchor.y * (x / anchor.x) ** slope,
  }));
}

function gammaLabels(rows: TrialRow[]): string[] {
  return [...new Set(rows.map((row) => row.gamma))].sort((a, b) => b - a).map(exponentLabel);
}

function curvatureFacets(rows: TrialRow[]): string[] {
  return CURVATURES.filter((c) => rows.some((row) => row.curvature === c)).map((c) => CURVATURE_LABELS[c]);
}

function trialsPerGroup(rows: TrialRow[]): string {
  const sizes = [...groupBy(rows, (row) => `${row.curvature} ${row.gamma} ${row.width}`).values()].map((g) => g.length);
  const [lo, hi] = extent(sizes);
  return lo === hi ? `${lo} trials` : `${lo}-${hi} trials`;
}

// ---------------------------------------------------------------------------------------------
// Figures 3/5 (docs/MATH.md section 6).

/** Figure 3: loss against iterations or seconds, mean over seeds per logged iteration. */
function trainingLossPanel(training: TrainingRow[], axis: 'iteration' | 'seconds'): FigurePanel | null {
  const points: LinePoint[] = [];
  let omitted = 0;
  for (const [method, rows] of methodRuns(training)) {
    for (const group of logSpacedGroups(rows)) {
      const band = trimmedBand(group.map((row) => row.loss));
      const first = group[0] as TrainingRow;
      const x = axis === 'iteration' ? first.iteration + 1 : group.reduce((s, row) => s + row.seconds, 0) / group.length;
      if (band === null || !(band.mean > 0)) continue;
      if (!(x > 0)) {
        omitted += 1;
        continue;
      }
      const point: LinePoint = { facet: '', series: METHOD_LABELS[method], style: '', x, y: band.mean };
      if (band.kept > 1 && band.lo > 0) Object.assign(point, { lo: band.lo, hi: band.hi });
      points.push(point);
    }
  }
  if (points.length === 0) return null;
  const methods = METHODS.filter((m) => training.some((row) => row.method === m));
  const seeds = new Set(training.map((row) => row.seed)).size;
  const xTitle =
    axis === 'iteration'
      ? 'iteration + 1 (log scale, so that iteration 0 shows)'
      : `wall-clock time (s), mean over seeds${omitted > 0 ? '; points at t = 0 omitted' : ''}`;
  const chart = lineChart({
    title: axis === 'iteration' ? 'Figure 3: training loss against iterations' : 'Figure 3: training loss against time',
    subtitle: `${seeds} seed${seeds === 1 ? '' : 's'}; mean and 80% band over seeds per logged iteration`,
    points,
    x: { title: xTitle, log: true },
    y: { title: 'training loss (1/2M) Σ (f − y)²' },
    colour: { title: 'method', domain: methods.map((m) => METHOD_LABELS[m]), range: methods.map((m) => METHOD_COLOURS[m]) },
  });
  return {
    id: axis === 'iteration' ? 'figure-3-loss-iterations' : 'figure-3-loss-seconds',
    title: axis === 'iteration' ? 'Figure 3: loss per iteration' : 'Figure 3: loss per second',
    ...chart,
    caption:
      `Training loss of gradient descent, Adam, regularized Gauss-Newton and regularized Newton against ` +
      (axis === 'iteration'
        ? 'the iteration count'
        : 'wall-clock seconds (per logged iteration, the mean time of the seeds at that iteration)') +
      `: mean over the seeds inside the 10%-90% quantile range and their band. The table gives the fitted ` +
      `exponential rates and the final losses.`,
    claim: 'Newton converges faster than GD and Adam, counted in iterations and in seconds.',
  };
}

/** Figure 5: per-component or per-NTK-mode coefficient error against iterations, one facet per method. */
function errorPanel(training: TrainingRow[], kind: 'components' | 'modes', componentNames: string[]): FigurePanel | null {
  const logged = training.filter((row) => row[kind] !== null);
  const width = extent([0, ...new Set(logged.map((row) => (row[kind] as number[]).length))])[1];
  const indices =
    kind === 'components'
      ? Array.from({ length: width }, (_, k) => k)
      : Array.from({ length: Math.floor(Math.log2(Math.max(width, 1))) + 1 }, (_, j) => 2 ** j - 1).filter((k) => k < width);
  const name = (k: number) => (kind === 'components' ? (componentNames[k] ?? `component ${k + 1}`) : `mode ${k + 1}`);
  const points: LinePoint[] = [];
  for (const [method, rows] of methodRuns(logged)) {
    for (const group of logSpacedGroups(rows)) {
      const x = (group[0] as TrainingRow).iteration + 1;
      for (const k of indices) {
        const band = trimmedBand(group.map((row) => (row[kind] as number[])[k] ?? Number.NaN));
        if (band !== null && band.mean > 0) points.push({ facet: METHOD_LABELS[method], series: name(k), style: '', x, y: band.mean });
      }
    }
  }
  if (points.length === 0) return null;
  const series = indices.map(name);
  const isComponents = kind === 'components';
  const chart = lineChart({
    title: isComponents ? 'Figure 5: error per target component' : 'Figure 5: error per NTK eigenmode',
    subtitle: isComponents
      ? 'least-squares coefficient error on each basis function of the target; mean over seeds'
      : 'error of the coefficient on each eigenvector of the initial NTK Gram (1 = largest eigenvalue); mean over seeds',
    points,
    x: { title: 'iteration + 1 (log scale)', log: true },
    y: { title: isComponents ? '|coefficient error| of the component' : '|coefficient error| of the mode' },
    colour: {
      title: isComponents ? 'component' : 'NTK mode',
      domain: series,
      range: isComponents ? categoricalColours(series.length) : sequentialColours(series.length),
    },
    facets: METHODS.filter((m) => logged.some((row) => row.method === m)).map((m) => METHOD_LABELS[m]),
  });
  return {
    id: isComponents ? 'figure-5-components' : 'figure-5-modes',
    title: isComponents ? 'Figure 5: frequency components' : 'Figure 5: NTK eigenmodes',
    ...chart,
    caption: isComponents
      ? 'Error of the least-squares coefficient of the network on each basis function of the target ' +
        '(x and the sine components), against the iteration, one facet per method; trimmed mean over seeds.'
      : 'Error of the coefficient of the network on eigenvectors 1, 2, 4, 8, ... of the initial NTK Gram ' +
        '(largest eigenvalue first), against the iteration, one facet per method; trimmed mean over seeds.',
    claim:
      "Newton's error falls at the same rate for every frequency component and NTK mode, while gradient " +
      "descent's high-frequency components and small-eigenvalue modes stall.",
  };
}

/** Rows per method, in the order gd, adam, gauss-newton, newton. */
function methodRuns(training: TrainingRow[]): [TrainingMethod, TrainingRow[]][] {
  const byMethod = groupBy(training, (row) => row.method);
  return METHODS.flatMap((m): [TrainingMethod, TrainingRow[]][] => {
    const rows = byMethod.get(m);
    return rows ? [[m, rows]] : [];
  });
}

/**
 * One method's rows grouped by logged iteration (one row per seed), at most MAX_CURVE_POINTS groups
 * at log-spaced iterations (the first logged iteration in each bin of log10(iteration + 1), and the last).
 */
function logSpacedGroups(rows: TrainingRow[]): TrainingRow[][] {
  const groups = [...groupBy(rows, (row) => String(row.iteration)).values()].sort(
    (a, b) => (a[0] as TrainingRow).iteration - (b[0] as TrainingRow).iteration,
  );
  if (groups.length <= MAX_CURVE_POINTS) return groups;
  const position = (group: TrainingRow[]) => Math.log10((group[0] as TrainingRow).iteration + 1);
  const binWidth = position(groups[groups.length - 1] as TrainingRow[]) / MAX_CURVE_POINTS;
  let lastBin = -1;
  return groups.filter((group, k) => {
    const bin = Math.floor(position(group) / binWidth);
    const keep = bin > lastBin || k === groups.length - 1;
    if (keep) lastBin = bin;
    return keep;
  });
}

// ---------------------------------------------------------------------------------------------
// The curvature spectrum (docs/MATH.md section 4, "Spectra").

/** Exact eigenvalue counts per interval (Haynsworth inertia) against the stochastic Lanczos quadrature estimate. */
function spectrumPanel(summary: SpectrumSummary): FigurePanel | null {
  if (summary.counts.length === 0) return null;
  const labels = summary.counts.map((_, b) => `[${exponentLabel(summary.edges[b]!)}, ${exponentLabel(summary.edges[b + 1]!)})`);
  const exact = 'exact (Haynsworth counts)';
  const slq = 'stochastic Lanczos quadrature';
  const values = summary.counts.flatMap((count, b) => [
    { bin: labels[b], order: b, kind: exact, count },
    { bin: labels[b], order: b, kind: slq, count: Math.max(0, summary.densityCounts[b] ?? 0) },
  ]);
  const spec: TopLevelSpec = {
    title: {
      text: 'Curvature spectrum: exact histogram and its stochastic estimate',
      subtitle: [summary.source, `P = ${summary.parameters}: ${summary.inertia.positive} positive and ${summary.inertia.negative} negative eigenvalues`],
    },
    data: { values },
    width: FACET_WIDTH,
    height: FACET_HEIGHT,
    mark: { type: 'line', strokeWidth: 1.8, interpolate: 'step', point: true },
    encoding: {
      x: { field: 'bin', type: 'ordinal', sort: labels, title: 'eigenvalue interval of C + λI', axis: { labelAngle: -60, labelFontSize: 9 } },
      y: { field: 'count', type: 'quantitative', scale: { type: 'symlog' }, title: 'eigenvalues in the interval (symlog scale)' },
      color: { field: 'kind', type: 'nominal', scale: { domain: [exact, slq], range: ['black', '#d62728'] }, legend: { title: null, symbolType: 'stroke' } },
      strokeDash: { field: 'kind', type: 'nominal', scale: { domain: [exact, slq], range: [SOLID, DASHED] } },
    },
    config: CONFIG,
  };
  const extremes = `smallest ${summary.smallest.map(exponentLabel).join(', ')}; largest ${summary.largest.map(exponentLabel).join(', ')}`;
  return {
    id: 'spectrum',
    title: 'Curvature spectrum of the Figure 3 network',
    spec,
    series: 2,
    caption:
      `All ${summary.parameters} eigenvalues of the Hessian plus lambda = ${exponentLabel(summary.lambda)}, counted exactly per ` +
      `interval by Haynsworth inertia (black) and estimated by stochastic Lanczos quadrature (red, dashed; 16 probes, ` +
      `60 steps). Extremes by the secular equations: ${extremes}. Trace ${exponentLabel(summary.trace)}. ` +
      `${summary.passes} streamed passes, ${summary.seconds.toFixed(2)} s.`,
    claim:
      'At initialization the bulk of the spectrum sits within a few decades of zero on both sides (the neuron blocks) and at ' +
      'most M eigenvalues are lifted by J^T J / M, so the Newton curvature is strongly indefinite. The stochastic estimate ' +
      'gets the coarse picture (the mass on each side, the lifted tail) but smears the decades next to zero, which only the ' +
      'exact counts resolve.',
  };
}

