/**
 * `nntk report`: the figures of docs/MATH.md section 6 as SVG files plus one self-contained
 * index.html. Rendering is headless (Vega's scenegraph without a canvas, text widths estimated)
 * and needs no network: every spec carries its data inline.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { View, parse } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { buildPanels } from './figures.js';
import { renderHtml } from './html.js';
import type { ReportInput } from './types.js';

/**
 * Writes one SVG per panel that has data (figure-1a.svg, figure-1b.svg, figure-2a.svg,
 * figure-2b.svg, figure-3-loss-iterations.svg, figure-3-loss-seconds.svg, figure-5-components.svg,
 * figure-5-modes.svg) and index.html into `dir` (created if missing). Returns the written paths,
 * the SVGs in panel order and index.html last. The data files the page links to (trials.csv,
 * trials.json, training.csv, summary.json) are not written here.
 */
export async function renderReport(input: ReportInput, dir: string): Promise<{ files: string[] }> {
  await mkdir(dir, { recursive: true });
  const figures = [];
  const files: string[] = [];
  for (const panel of buildPanels(input)) {
    const svg = await renderSvg(panel.spec);
    const file = join(dir, `${panel.id}.svg`);
    await writeFile(file, svg);
    files.push(file);
    figures.push({ panel, svg });
  }
  const index = join(dir, 'index.html');
  await writeFile(index, renderHtml(input, figures));
  files.push(index);
  return { files };
}

/** SVG markup of a Vega-Lite spec, rendered without a canvas or a browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
