/**
 * Opens a rendered report in Debian's Chromium, headless through playwright-core (never a downloaded
 * browser), and reports what each figure container holds: for test/report-browser.test.ts and
 * test/cli.test.ts.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

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
