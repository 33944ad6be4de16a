/**
 * The rendered report in a real browser (docs/MATH.md section 6 figures): Debian's Chromium,
 * headless through playwright-core (never a downloaded browser), opens index.html from disk and
 * checks that every figure container holds a visible SVG drawing as many line series as its
 * data-series attribute says, with no console errors, page errors or network requests.
 * Skipped, with the reason printed, where no Chromium is installed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/report/index.js';
import { checkReportInBrowser, findChromium, type ReportBrowserCheck } from './browser.js';
import { buildReportInput } from './fixtures/report-input.js';

const executable = findChromium();
if (executable === null) console.warn('report-browser.test.ts skipped: no /usr/bin/chromium and no chromium on PATH');

describe.skipIf(executable === null)('the report in headless Chromium', () => {
  let dir: string;
  let check: ReportBrowserCheck;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nntk-report-browser-'));
    await renderReport(buildReportInput(), dir);
    check = await checkReportInBrowser(dir, executable);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows all eight panels, each a visible SVG with text', () => {
    expect(check.figures.map((f) => f.id)).toEqual([
      'figure-1a',
      'figure-1b',
      'figure-2a',
      'figure-2b',
      'figure-3-loss-iterations',
      'figure-3-loss-seconds',
      'figure-5-components',
      'figure-5-modes',
    ]);
    for (const figure of check.figures) {
      expect(figure.hasSvg, figure.id).toBe(true);
      expect(figure.width, figure.id).toBeGreaterThan(100);
      expect(figure.height, figure.id).toBeGreaterThan(100);
      expect(figure.texts, figure.id).toBeGreaterThan(10);
    }
  });

  it('draws as many line series as each container declares', () => {
    for (const figure of check.figures) {
      expect(figure.expectedSeries, figure.id).toBeGreaterThan(0);
      expect(figure.drawnSeries, figure.id).toBe(figure.expectedSeries);
    }
  });

  it('logs no errors and requests nothing from the network', () => {
    expect(check.consoleErrors).toEqual([]);
    expect(check.pageErrors).toEqual([]);
    expect(check.networkRequests).toEqual([]);
  });
});
