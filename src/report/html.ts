/**
 * The report page: one self-contained HTML file (inline SVG figures and CSS, no scripts, fonts or
 * network requests) with a caption per panel naming the claim of the paper it tests (docs/MATH.md
 * section 6), the fitted exponents and rates of the summary, the run's description and links to
 * the data files next to it.
 */
import { exponentLabel, type FigurePanel } from './figures.js';
import type { GaussNewtonResults } from '../experiments/gauss-newton-types.js';
import { RULE_LABELS } from './gauss-newton-figures.js';
import type { PowerLawSummary, RateSummary, ReportInput, RunDescription } from './types.js';

/** A panel with its rendered SVG markup. */
export interface RenderedFigure {
  panel: FigurePanel;
  svg: string;
}

export const PAPER_URL = 'https://arxiv.org/abs/2605.08352';

const SECTION_TITLES: Record<string, string> = {
  '1': 'Figure 1: spectral bias and the one-step loss',
  '2': 'Figure 2: vanishing per-neuron updates and NNTK convergence',
  '3': 'Figure 3: training speed',
  '5': 'Figure 5: error per target component and per NTK eigenmode',
  'gauss-newton-a': 'Gauss-Newton paper (a): underparameterized, rate against conditioning',
  'gauss-newton-b': 'Gauss-Newton paper (b): overparameterized, damping rules',
};

export const GAUSS_NEWTON_PAPER_URL = 'https://arxiv.org/abs/2412.14031';

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1d; margin: 0 auto;
  max-width: 1240px; padding: 1.5rem 2rem 4rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.35rem; margin-top: 2.6rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin: 1.8rem 0 0.5rem; }
figure { margin: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { max-width: 72rem; margin-top: 0.4rem; }
figcaption p { margin: 0.3rem 0; }
.claim { color: #333; }
table { border-collapse: collapse; margin: 0.8rem 0 1rem; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border: 1px solid #d4d4d4; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.inside { color: #1a7f37; font-weight: 600; }
.outside { color: #b42318; font-weight: 600; }
.findings { background: #f7f7f4; border-left: 3px solid #999; padding: 0.2rem 1rem; max-width: 72rem; }
nav ul { columns: 2; padding-left: 1.2rem; }
code { font-size: 0.92em; }
`;

/** The page for `figures`, in their order, with `input`'s summary tables and run description. */
export function renderHtml(input: ReportInput, figures: RenderedFigure[]): string {
  const sections = groupSections(figures).map(([key, members]) =>
    [`<h2>${escapeHtml(SECTION_TITLES[key] ?? `Figure ${key}`)}</h2>`, gaussNewtonFindings(key, input), ...members.map((f) => figureBlock(f, input))].join('\n'),
  );
  const onlyGaussNewton = input.gaussNewton !== undefined && input.trials.length === 0 && input.training.length === 0;
  const intro = onlyGaussNewton
    ? `<p>The claims of <a href="${GAUSS_NEWTON_PAPER_URL}">arXiv 2412.14031</a> (Gauss-Newton and Levenberg-Marquardt dynamics for shallow networks) ` +
      `side by side with gradient descent, computed by nntk ${escapeHtml(input.run.version)} (<code>${escapeHtml(input.run.command)}</code>). ` +
      'Every figure is drawn from the data files listed at the end.</p>'
    : `<p>Figures of <a href="${PAPER_URL}">arXiv 2605.08352</a> recomputed by nntk ${escapeHtml(input.run.version)} ` +
      `(<code>${escapeHtml(input.run.command)}</code>). Every figure is drawn from the data files listed at the end.</p>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>nntk report: ${escapeHtml(input.run.figures.join(', '))}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${onlyGaussNewton ? 'Gauss-Newton dynamics' : 'Newton neural tangent kernel'}: reproduction report</h1>`,
    intro,
    contents(figures),
    '</header>',
    '<main>',
    ...sections,
    runSection(input.run),
    dataSection(input),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Panels grouped by figure number ('1' for figure-1a and figure-1b), in order. */
function groupSections(figures: RenderedFigure[]): [string, RenderedFigure[]][] {
  const sections: [string, RenderedFigure[]][] = [];
  for (const figure of figures) {
    const key = figure.panel.id.replace(/^figure-(\d+).*$/, '$1').replace(/^(gauss-newton-[ab])-.*$/, '$1');
    const last = sections[sections.length - 1];
    if (last && last[0] === key) last[1].push(figure);
    else sections.push([key, [figure]]);
  }
  return sections;
}

function contents(figures: RenderedFigure[]): string {
  const items = figures.map((f) => `<li><a href="#${f.panel.id}">${escapeHtml(f.panel.title)}</a></li>`);
  return `<nav><ul>\n${items.join('\n')}\n<li><a href="#run">Run</a></li>\n<li><a href="#data">Data files</a></li>\n</ul></nav>`;
}

function figureBlock({ panel, svg }: RenderedFigure, input: ReportInput): string {
  const table =
    panel.id === 'figure-2a'
      ? exponentTable(input.summary.figure2a, 'Fitted exponents of γ · max per-neuron update ~ N^exponent')
      : panel.id === 'figure-2b'
        ? exponentTable(input.summary.figure2b, 'Fitted exponents of γ · relative NNTK error ~ N^exponent')
        : panel.id === 'figure-3-loss-seconds'
          ? rateTable(input.summary.figure3)
          : panel.id === 'gauss-newton-a-rates'
            ? conditioningTable(input.gaussNewton)
            : panel.id === 'gauss-newton-b-loss'
              ? dampingTable(input.gaussNewton)
              : '';
  return [
    `<h3>${escapeHtml(panel.title)}</h3>`,
    `<figure id="${panel.id}" data-series="${panel.series}">`,
    inlineSvg(svg, panel.title),
    '<figcaption>',
    `<p>${escapeHtml(panel.caption)}</p>`,
    `<p class="claim"><strong>Claim tested:</strong> ${escapeHtml(panel.claim)}</p>`,
    '</figcaption>',
    '</figure>',
    table,
  ].join('\n');
}

/** Vega's standalone SVG without its XML namespace declarations (implied inside HTML), labelled for screen readers. */
function inlineSvg(svg: string, label: string): string {
  return svg.replace(/^<svg([^>]*)>/, (_, attributes: string) => {
    const kept = attributes.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
    return `<svg${kept} role="img" aria-label="${escapeHtml(label)}">`;
  });
}

/** Fitted power laws per (curvature, gamma) beside the reference -(1 - beta) (docs/MATH.md section 6, Figure 2). */
function exponentTable(fits: PowerLawSummary[] | undefined, title: string): string {
  if (!fits || fits.length === 0) return '';
  const rows = fits.map((fit) => {
    const inside = fit.ci95[0] <= fit.reference && fit.reference <= fit.ci95[1];
    return tableRow([
      text(fit.curvature),
      text(exponentLabel(fit.gamma)),
      number(fit.exponent),
      text(interval(fit.ci95)),
      number(fit.reference),
      `<td class="${inside ? 'inside' : 'outside'}" data-inside="${inside}">${inside ? '✓ inside' : '✗ outside'}</td>`,
      number(fit.r2),
      number(fit.points),
    ]);
  });
  return table(
    title,
    ['curvature', 'γ', 'fitted exponent', '95% interval', 'reference −(1−β)', 'reference in interval', 'R²', 'rows'],
    rows,
  );
}

/** Fitted exponential rates and final losses per method (docs/MATH.md section 6, Figure 3). */
function rateTable(rates: RateSummary[] | undefined): string {
  if (!rates || rates.length === 0) return '';
  const rows = rates.map((r) =>
    tableRow([
      text(r.method),
      number(r.rate),
      text(interval(r.ci95)),
      number(r.r2),
      text(`${r.window[0]}–${r.window[1]}`),
      number(r.finalLoss),
      number(r.seeds),
    ]),
  );
  return table(
    'Fitted rates: loss ~ C exp(−rate · iteration)',
    ['method', 'rate per iteration', '95% interval', 'R²', 'fit window (iterations)', 'final loss (mean over seeds)', 'seeds'],
    rows,
  );
}

/** The findings of a Gauss-Newton experiment's section, computed by the run (gauss-newton-findings.ts). */
function gaussNewtonFindings(key: string, input: ReportInput): string {
  const findings = key === 'gauss-newton-a' ? input.gaussNewton?.findings.conditioning : key === 'gauss-newton-b' ? input.gaussNewton?.findings.damping : undefined;
  if (!findings || findings.length === 0) return '';
  return `<div class="findings" data-experiment="${key}"><p><strong>What this run found:</strong></p>\n<ul>\n${findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('\n')}\n</ul></div>`;
}

/** Experiment (a): per spread and method, the condition number and the mean rate with its interval (docs/MATH.md section 6.1). */
function conditioningTable(results: GaussNewtonResults | undefined): string {
  if (!results) return '';
  const rows = results.conditioning.points.map((p) =>
    tableRow([
      number(p.spread),
      text(p.method),
      number(p.condition),
      text(interval(p.conditionRange)),
      number(p.rate.mean),
      text(interval(p.rate.ci95)),
      number(p.reference),
      number(p.rate.seeds),
    ]),
  );
  return table(
    'Fitted late-time rates: loss ~ C exp(−rate · iteration)',
    ['spread', 'method', 'condition (geometric mean)', 'condition range', 'mean rate', '95% interval over seeds', 'theory', 'seeds'],
    rows,
  );
}

/** Experiment (b): per rule, convergence, rate, loss reduction and the NTK modes learned. */
function dampingTable(results: GaussNewtonResults | undefined): string {
  if (!results) return '';
  const M = results.damping.rules[0]?.modeRatios.length ?? 0;
  const rows = results.damping.rules.map((r) =>
    tableRow([
      text(RULE_LABELS[r.rule]),
      text(`${r.converged} / ${r.seeds}`),
      number(r.rate.mean),
      text(interval(r.rate.ci95)),
      number(r.lossRatio),
      text(`${r.modesLearned} / ${M}`),
      number(r.modeRatios.at(-1) ?? Number.NaN),
      text(Object.entries(r.terminations).map(([k, v]) => `${k} ${v}`).join(', ')),
    ]),
  );
  return table(
    'Damping rules: convergence, rates and NTK modes',
    ['rule', `seeds reaching ${formatNumber(results.floorRatio)} × initial loss`, 'mean late-time rate', '95% interval over seeds', 'final / initial loss (geometric mean)', 'modes reduced ≥ 1000×', 'smallest mode: final / initial', 'stopped because'],
    rows,
  );
}

function runSection(run: RunDescription): string {
  if (run.figures.length === 1 && run.figures[0] === 'gauss-newton') {
    const entries: [string, string][] = [
      ['command', run.command],
      ['scale', run.scale],
      ['seeds', `${run.trials}, from ${run.seed}`],
      ['nntk version', run.version],
      ['machine', run.machine],
      ['started at', run.startedAt],
      ['wall-clock time of the run', formatDuration(run.seconds)],
      ['threads', String(run.threads)],
    ];
    const rows = entries.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`);
    return `<h2 id="run">Run</h2>\n<table class="run">\n${rows.join('\n')}\n</table>`;
  }
  const training = run.training?.map(
    (t) => `${t.method}: ${t.iterations} iterations${t.learningRate === undefined ? '' : `, learning rate ${formatNumber(t.learningRate)}`}`,
  );
  const entries: [string, string | undefined][] = [
    ['command', run.command],
    ['figures', run.figures.join(', ')],
    ['scale', run.scale],
    ['seed', String(run.seed)],
    ['trials per (N, γ)', String(run.trials)],
    ['curvatures', run.curvatures.join(', ')],
    ['infinite-width kernel', run.limit === 'exact' ? 'exact limit kernel' : 'proxy network'],
    ['widths N', run.widths.join(', ')],
    ['γ', run.gammas.map(exponentLabel).join(', ')],
    ['β', String(run.beta)],
    ['training', training?.join('; ')],
    ['training seeds', run.trainingSeeds === undefined ? undefined : String(run.trainingSeeds)],
    ['training width', run.trainingWidth === undefined ? undefined : String(run.trainingWidth)],
    ['nntk version', run.version],
    ['machine', run.machine],
    ['started at', run.startedAt],
    ['computation time (all jobs, one core each)', formatDuration(run.seconds)],
    ...(run.wallSeconds !== undefined ? [['wall-clock time of the run', formatDuration(run.wallSeconds)] as [string, string]] : []),
    ['threads', String(run.threads)],
    ['workers', String(run.workers)],
  ];
  const rows = entries.flatMap(([key, value]) => (value === undefined ? [] : [`<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`]));
  return `<h2 id="run">Run</h2>\n<table class="run">\n${rows.join('\n')}\n</table>`;
}

function dataSection(input: ReportInput): string {
  const files: [string, string, boolean][] = [
    ['trials.csv', 'one row per (figure, curvature, width, γ, trial)', input.trials.length > 0],
    ['trials.json', 'the same rows as JSON', input.trials.length > 0],
    ['training.csv', 'one row per (method, seed, logged iteration)', input.training.length > 0],
    ['summary.json', 'the fitted exponents, rates and spectra shown above', input.trials.length > 0 || input.training.length > 0 || input.gaussNewton === undefined],
    ['gauss-newton.json', 'the Gauss-Newton experiments: every run, its fitted rate, the curves and the findings', input.gaussNewton !== undefined],
  ];
  const items = files
    .filter(([, , present]) => present)
    .map(([name, what]) => `<li><a href="${name}">${name}</a>: ${escapeHtml(what)}</li>`);
  return `<h2 id="data">Data files</h2>\n<p>In this report's folder:</p>\n<ul>\n${items.join('\n')}\n</ul>`;
}

function table(title: string, headers: string[], rows: string[]): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  return `<table>\n<caption>${escapeHtml(title)}</caption>\n<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

function tableRow(cells: string[]): string {
  return `<tr>${cells.join('')}</tr>`;
}

function text(value: string): string {
  return `<td>${escapeHtml(value)}</td>`;
}

function number(value: number): string {
  return `<td class="number">${escapeHtml(formatNumber(value))}</td>`;
}

function interval([lo, hi]: [number, number]): string {
  return `[${formatNumber(lo)}, ${formatNumber(hi)}]`;
}

/** Three significant digits, exponent notation outside [1e-3, 1e5). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e5) return String(value);
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e5) return String(Number(value.toPrecision(3)));
  return value.toExponential(2).replace('e+', 'e');
}

/** 12.3 s, 4 min 05 s, 2 h 03 min. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return String(seconds);
  if (seconds < 60) return `${Number(seconds.toPrecision(3))} s`;
  const total = Math.round(seconds);
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
