/**
 * The rendered report in a real browser (docs/MATH.md section 6 figures): Debian's Chromium,
 * headless through playwright-core (never a downloaded browser), opens index.html from disk and
 * checks that every figure container holds a visible SVG drawing as many line series as its
 * data-series attribute says, with no console errors, page errors or network requests.
 * Skipped, with the reason printed, where no Chromium is installed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/report/index.js';
import { buildReportInput } from './fixtures/report-input.js';

/** What the browser found in one figure container (`<figure id=... data-series=...>`). */
export interface FigureCheck {
  id: string;
  /** The container's data-series attribute. */
  expectedSeries: number;
  /** Paths inside Vega's line-mark groups (g.mark-line). */
  drawnSeries: number;
  hasSvg: boolean;
  width: number;
  height: number;
  /** Non-empty text elements in the SVG (titles, ticks, legends). */
  texts: number;
}

export interface ReportBrowserCheck {
  figures: FigureCheck[];
  consoleErrors: string[];
  pageErrors: string[];
  /** Requests for anything but file: and data: URLs (the page must need no network). */
  networkRequests: string[];
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** /usr/bin/chromium, else `chromium` on PATH, else null. */
export function findChromium(): string | null {
  const candidates = ['/usr/bin/chromium', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'chromium'))];
  return candidates.find((path) => existsSync(path)) ?? null;
}

/**
 * Opens `dir`/index.html in headless Chromium and reports what every figure container holds.
 * Each launch gets a fresh temporary profile (user-data dir) from Playwright, removed on close.
 */
export async function checkReportInBrowser(dir: string, executablePath = findChromium()): Promise<ReportBrowserCheck> {
  if (executablePath === null) throw new Error('no Chromium: neither /usr/bin/chromium nor chromium on PATH');
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const networkRequests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => {
      if (!/^(file|data):/.test(request.url())) networkRequests.push(request.url());
    });
    await page.goto(pathToFileURL(join(dir, 'index.html')).href, { waitUntil: 'load' });
    const figures = await page.$$eval('figure[id][data-series]', (containers) =>
      containers.map((container) => {
        const svg = container.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: container.id,
          expectedSeries: Number(container.getAttribute('data-series')),
          drawnSeries: svg ? svg.querySelectorAll('g.mark-line > path').length : 0,
          hasSvg: svg !== null,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          texts: svg ? [...svg.querySelectorAll('text')].filter((t) => (t.textContent ?? '').trim() !== '').length : 0,
        };
      }),
    );
    return { figures, consoleErrors, pageErrors, networkRequests };
  } finally {
    await browser.close();
  }
}

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
