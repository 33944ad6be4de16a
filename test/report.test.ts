/**
 * The report (docs/MATH.md section 6): the paper's trimmed statistics against hand-worked groups,
 * and renderReport on the synthetic fixture: which files it writes, that every SVG is well formed
 * and draws the expected number of line series with readable axes, and that index.html is
 * self-contained.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PAPER_URL, formatDuration, formatNumber, groupBy, quantile, renderReport, trimmedBand } from '../src/report/index.js';
import { PAPER_FIXTURE, buildReportInput } from './fixtures/report-input.js';

/** Line series per panel for the small fixture (2 curvatures, 3 gammas, 4 methods, 5 components, 128 modes). */
const SMALL_SERIES: Record<string, number> = {
  'figure-1a': 1 + 3, // NTK + one NNTK line per gamma
  'figure-1b': 2 * (3 + 3), // per curvature: a mean line and an infinite-width line per gamma
  'figure-2a': 2 * (3 + 1), // per curvature: a mean line per gamma and the reference slope
  'figure-2b': 2 * (3 + 1),
  'figure-3-loss-iterations': 4,
  'figure-3-loss-seconds': 4,
  'figure-5-components': 4 * 5,
  'figure-5-modes': 4 * 8, // modes 1, 2, 4, ..., 128
};
const TRAINING_PANELS = ['figure-3-loss-iterations', 'figure-3-loss-seconds', 'figure-5-components', 'figure-5-modes'];

/** Paths inside Vega's line-mark groups: one per drawn line. */
function lineSeries(svg: string): number {
  const groups = svg.match(/<g class="mark-line role-mark[^"]*"[^>]*>(?:<path[^>]*\/>)*<\/g>/g) ?? [];
  return groups.reduce((n, group) => n + (group.match(/<path/g) ?? []).length, 0);
}

/** Text of the elements inside the groups of one role (e.g. 'axis-title', 'axis-label', 'legend-label'). */
function texts(svg: string, role: string): string[] {
  const groups = svg.match(new RegExp(`<g class="mark-text role-${role}"[^>]*>(?:<text[^>]*>[^<]*</text>|<text[^>]*/>)*</g>`, 'g')) ?? [];
  return groups.flatMap((group) => [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] as string));
}

/** Throws unless every tag is closed in order (text content holds no markup in Vega's output). */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const open: string[] = [];
  for (const [tag, closing, name, selfClosing] of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (closing) expect(open.pop(), `closing ${tag}`).toBe(name);
    else open.push(name as string);
  }
  expect(open).toEqual([]);
}

describe('quantile', () => {
  it('interpolates linearly between order statistics (numpy default)', () => {
    expect(quantile([1, 2, 3, 4, 10], 0.1)).toBeCloseTo(1.4, 12);
    expect(quantile([1, 2, 3, 4, 10], 0.9)).toBeCloseTo(7.6, 12);
    expect(quantile([1, 2, 3, 4, 10], 0.5)).toBe(3);
    expect(quantile([7], 0.9)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});

describe('trimmedBand', () => {
  it('drops the rows outside the 10%-90% quantiles, then takes the mean and [min, max] of the rest', () => {
    // sorted 1 2 3 4 10: q10 = 1.4, q90 = 4 + 0.6 * 6 = 7.6, kept 2 3 4
    expect(trimmedBand([4, 1, 3, 2, 10])).toEqual({ mean: 3, lo: 2, hi: 4, kept: 3, count: 5 });
    // 1..10: q10 = 1.9, q90 = 9.1, kept 2..9: the 80% band
    expect(trimmedBand([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual({ mean: 5.5, lo: 2, hi: 9, kept: 8, count: 10 });
  });

  it('keeps ties at a quantile', () => {
    // sorted 1 1 1 5 9: q10 = 1, q90 = 5 + 0.6 * 4 = 7.4, kept 1 1 1 5
    expect(trimmedBand([5, 1, 9, 1, 1])).toEqual({ mean: 2, lo: 1, hi: 5, kept: 4, count: 5 });
    expect(trimmedBand([3, 3, 3])).toEqual({ mean: 3, lo: 3, hi: 3, kept: 3, count: 3 });
  });

  it('handles groups of one and two rows', () => {
    expect(trimmedBand([3])).toEqual({ mean: 3, lo: 3, hi: 3, kept: 1, count: 1 });
    // q10 = 2.4 and q90 = 5.6 keep neither of two distinct values: the whole group is kept
    expect(trimmedBand([6, 2])).toEqual({ mean: 4, lo: 2, hi: 6, kept: 2, count: 2 });
    expect(trimmedBand([5, 5])).toEqual({ mean: 5, lo: 5, hi: 5, kept: 2, count: 2 });
    // three values: q10 = 1.2, q90 = 2.8 keep the middle one
    expect(trimmedBand([3, 1, 2])).toEqual({ mean: 2, lo: 2, hi: 2, kept: 1, count: 3 });
  });

  it('ignores non-finite values and returns null when none is left', () => {
    expect(trimmedBand([Number.NaN, 2, Infinity])).toEqual({ mean: 2, lo: 2, hi: 2, kept: 1, count: 1 });
    expect(trimmedBand([Number.NaN])).toBeNull();
    expect(trimmedBand([])).toBeNull();
  });
});

describe('groupBy', () => {
  it('groups rows by key in order of first appearance', () => {
    const groups = groupBy([1, 2, 3, 4, 5], (n) => (n % 2 === 0 ? 'even' : 'odd'));
    expect([...groups.entries()]).toEqual([
      ['odd', [1, 3, 5]],
      ['even', [2, 4]],
    ]);
  });
});

describe('table numbers', () => {
  it('writes three significant digits, exponents outside [1e-3, 1e5), integers as they are', () => {
    expect(formatNumber(-0.48)).toBe('-0.48');
    expect(formatNumber(0.0153)).toBe('0.0153');
    expect(formatNumber(5.2e-5)).toBe('5.20e-5');
    expect(formatNumber(123456.7)).toBe('1.23e5');
    expect(formatNumber(15)).toBe('15');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });

  it('writes durations in s, min or h', () => {
    expect(formatDuration(12.34)).toBe('12.3 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(3599.6)).toBe('1 h 00 min');
    expect(formatDuration(3725.4)).toBe('1 h 02 min');
  });
});

describe('renderReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nntk-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes all eight panels and index.html, without Vega warnings', async () => {
    const warn = vi.spyOn(console, 'warn');
    const { files } = await renderReport(buildReportInput(), join(dir, 'full'));
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(files.map((f) => basename(f))).toEqual([...Object.keys(SMALL_SERIES).map((id) => `${id}.svg`), 'index.html']);
  });

  it.each(Object.entries(SMALL_SERIES))('%s.svg is well formed and draws %i line series', async (id, series) => {
    const svg = await readFile(join(dir, 'full', `${id}.svg`), 'utf8');
    expectWellFormed(svg);
    expect(lineSeries(svg)).toBe(series);
    expect(texts(svg, 'title-text').some((title) => /^Figure \d/.test(title))).toBe(true);
  });

  it('labels the axes with titles and exponent-formatted log ticks', async () => {
    const read = (id: string) => readFile(join(dir, 'full', `${id}.svg`), 'utf8');
    const expectations: [string, string[], string[], string[]][] = [
      ['figure-1a', ['eigenvalue index k (descending order)', 'eigenvalue (log scale)'], ['1e-3', '16'], ['1e-2', '1e-6']],
      ['figure-1b', ['width N (neurons)', 'one-step loss |f₁ − y|² / (2M|y|²)'], ['100', '1e4', '1e-2'], ['1e-4', 'infinite width (mean)']],
      ['figure-2a', ['width N (neurons)', 'γ · maxᵢ |(Δwᵢ, Δbᵢ, Δcᵢ)|'], ['1e4'], ['1e-2', '∝ N^-(1-β) = N^-0.48']],
      ['figure-2b', ['γ · |NNTK_N − NNTK*|_F / |NNTK*|_F'], ['1e4'], ['1e-6']],
      ['figure-3-loss-iterations', ['iteration + 1 (log scale, so that iteration 0 shows)'], ['1e4', '1e-6'], ['GD', 'Adam', 'Gauss-Newton', 'Newton']],
      ['figure-3-loss-seconds', ['wall-clock time (s), mean over seeds; points at t = 0 omitted'], ['1e-3'], ['Newton']],
      ['figure-5-components', ['|coefficient error| of the component'], ['1000'], ['x', 'sin(16πx)']],
      ['figure-5-modes', ['|coefficient error| of the mode'], ['1000'], ['mode 1', 'mode 128']],
    ];
    for (const [id, titles, ticks, legend] of expectations) {
      const svg = await read(id);
      expect(texts(svg, 'axis-title'), id).toEqual(expect.arrayContaining(titles));
      expect(texts(svg, 'axis-label'), id).toEqual(expect.arrayContaining(ticks));
      expect(texts(svg, 'legend-label'), id).toEqual(expect.arrayContaining(legend));
    }
    // facet headers are title texts of their own
    expect(texts(await read('figure-2a'), 'title-text')).toEqual(expect.arrayContaining(['Gauss-Newton step', 'Newton step']));
    expect(texts(await read('figure-5-modes'), 'title-text')).toEqual(expect.arrayContaining(['GD', 'Adam', 'Gauss-Newton', 'Newton']));
  });

  it('writes a self-contained index.html with a container per panel', async () => {
    const html = await readFile(join(dir, 'full', 'index.html'), 'utf8');
    const urls = html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((url) => url === PAPER_URL)).toBe(true);
    expect(html).not.toMatch(/<script|<link|@import|url\(/);
    for (const [id, series] of Object.entries(SMALL_SERIES)) {
      expect(html).toContain(`<figure id="${id}" data-series="${series}">`);
    }
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const file of ['trials.csv', 'trials.json', 'training.csv', 'summary.json']) expect(html).toContain(`<a href="${file}">`);
    expect(html).toContain('test fixture &lt;synthetic&gt; &amp; co');
    expect(html).toContain('1 h 02 min');
    // the smallest gamma's fitted exponent misses the reference in both curvatures and both panels
    expect(html.match(/data-inside="false"/g)).toHaveLength(4);
    expect(html.match(/data-inside="true"/g)).toHaveLength(8);
    expect(html).toContain('Fitted rates: loss ~ C exp(−rate · iteration)');
    expect(html).toContain('Theorem 7');
    expect(html).toContain('Lemma 9');
    expect(html).toContain('Remark 6');
  });

  it('skips the Figure 3 and 5 panels without training rows, and Figures 1-2 without trials', async () => {
    const trialsOnly = await renderReport(buildReportInput({ figures: ['figure1', 'figure2'] }), join(dir, 'trials'));
    expect(trialsOnly.files.map((f) => basename(f))).toEqual([
      'figure-1a.svg',
      'figure-1b.svg',
      'figure-2a.svg',
      'figure-2b.svg',
      'index.html',
    ]);
    const html = await readFile(join(dir, 'trials', 'index.html'), 'utf8');
    for (const id of TRAINING_PANELS) expect(html).not.toContain(`id="${id}"`);
    expect(html).not.toContain('training.csv');

    const trainingOnly = await renderReport(buildReportInput({ figures: ['figure3'] }), join(dir, 'training'));
    expect(trainingOnly.files.map((f) => basename(f))).toEqual([...TRAINING_PANELS.map((id) => `${id}.svg`), 'index.html']);
  });

  it('keeps the SVGs small for the paper grid of 32000 trial rows', async () => {
    const input = buildReportInput(PAPER_FIXTURE);
    expect(input.trials).toHaveLength(32000);
    const { files } = await renderReport(input, join(dir, 'paper'));
    const expected: Record<string, number> = { 'figure-1a': 11, 'figure-1b': 20, 'figure-2a': 11, 'figure-2b': 11 };
    for (const file of files.filter((f) => f.endsWith('.svg'))) {
      const svg = await readFile(file, 'utf8');
      expect(svg.length, file).toBeLessThan(150_000);
      expect(lineSeries(svg), file).toBe(expected[basename(file, '.svg')]);
    }
  });
});
