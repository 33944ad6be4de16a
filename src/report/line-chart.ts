/**
 * The report's one chart type, shared by every figure module: lines with optional 80% bands on a log y axis,
 * optional facets, and the palettes and line styles the panels use (a Vega-Lite spec; src/report/render.ts
 * draws it to SVG).
 */
import { scheme } from 'vega';
import type { TopLevelSpec } from 'vega-lite';

/** One panel: its spec, what it tests and how many lines it draws. */
export interface FigurePanel {
  /** Stable id, also the SVG's file name without '.svg' (e.g. 'figure-2a'). */
  id: string;
  title: string;
  spec: TopLevelSpec;
  /** Line series drawn, counted over all facets: one SVG path per series in Vega's line marks. */
  series: number;
  /** What the panel shows (plain text). */
  caption: string;
  /** The paper's claim the panel tests (plain text). */
  claim: string;
}

/** One vertex of a drawn line; the points sharing (facet, series, style) form one line. */
export interface LinePoint {
  facet: string;
  series: string;
  style: string;
  x: number;
  y: number;
  /** The 80% band around y, only where the group holds more than one row. */
  lo?: number;
  hi?: number;
}

export interface ChartOptions {
  title: string;
  subtitle: string;
  points: LinePoint[];
  x: { title: string; log: boolean };
  y: { title: string };
  colour: { title: string; domain: string[]; range: string[]; legendValues?: string[] };
  styles?: { domain: string[]; dashes: number[][] };
  /** Facet order; no faceting when absent. */
  facets?: string[];
}

export const FACET_WIDTH = 480;
export const FACET_HEIGHT = 300;
export const SOLID: number[] = [1, 0];
export const DASHED: number[] = [6, 4];

/** Tick labels of log axes: plain integers from 1 to 1000, exponent notation (1e-4, 1e5) elsewhere. */
const LOG_LABEL =
  "datum.value >= 1 && datum.value <= 1000 ? format(datum.value, 'd') : replace(format(datum.value, '.0e'), 'e+', 'e')";

export const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#bbbbbb' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 12, symbolStrokeWidth: 2, labelLimit: 280 },
  header: { labelFontSize: 13, labelFontWeight: 'bold' as const },
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#444444', anchor: 'start' as const, offset: 12 },
};

// ---------------------------------------------------------------------------------------------
// The chart: lines with optional 80% bands, a log y axis, optional facets.

export function lineChart(o: ChartOptions): { spec: TopLevelSpec; series: number } {
  const ys = o.points.flatMap((p) => (p.lo === undefined || p.hi === undefined ? [p.y] : [p.y, p.lo, p.hi]));
  const xs = o.points.map((p) => p.x);
  const yScale = decades(ys);
  const xScale = o.x.log ? tightDecades(xs) : { domain: extent(xs), ticks: undefined };
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: o.x.title,
    scale: o.x.log ? { type: 'log' as const, domain: xScale.domain, nice: false } : { domain: xScale.domain, nice: false, zero: false },
    axis: o.x.log ? { values: xScale.ticks, labelExpr: LOG_LABEL } : { tickMinStep: 1, format: 'd' },
  };
  const y = {
    type: 'quantitative' as const,
    title: o.y.title,
    scale: { type: 'log' as const, domain: yScale.domain, nice: false, padding: 6 },
    axis: { values: yScale.ticks, labelExpr: LOG_LABEL },
  };
  const colour = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: o.colour.domain, range: o.colour.range },
    legend: {
      title: o.colour.title,
      symbolType: 'stroke',
      symbolOpacity: 1,
      ...(o.colour.legendValues ? { values: o.colour.legendValues } : {}),
    },
  };
  const line = {
    mark: { type: 'line' as const, strokeWidth: 1.8 },
    encoding: {
      x,
      y: { ...y, field: 'y' },
      color: colour,
      ...(o.styles
        ? { strokeDash: { field: 'style', type: 'nominal' as const, scale: { domain: o.styles.domain, range: o.styles.dashes }, legend: { title: null } } }
        : {}),
    },
  };
  const band = {
    transform: [{ filter: 'isValid(datum.lo)' }],
    mark: { type: 'area' as const, opacity: 0.16 },
    encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: colour },
  };
  const layer = o.points.some((p) => p.lo !== undefined) ? [band, line] : [line];
  const title = { text: o.title, subtitle: o.subtitle };
  const data = { values: o.points };
  const spec: TopLevelSpec = o.facets
    ? {
        title,
        data,
        facet: { field: 'facet', type: 'nominal', sort: o.facets, title: null },
        columns: Math.min(2, o.facets.length),
        spec: { width: FACET_WIDTH, height: FACET_HEIGHT, layer },
        config: CONFIG,
      }
    : { title, data, width: FACET_WIDTH, height: FACET_HEIGHT, layer, config: CONFIG };
  return { spec, series: new Set(o.points.map((p) => `${p.facet}\n${p.series}\n${p.style}`)).size };
}

/** A log domain from the decade below the smallest positive value to the decade above the largest, ticks at decades. */
function decades(values: number[]): { domain: [number, number]; ticks: number[] } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const [min, max] = extent(positive);
  const lo = Math.floor(Math.log10(min) + 1e-9);
  const top = Math.ceil(Math.log10(max) - 1e-9);
  const hi = top > lo ? top : lo + 1;
  const step = Math.ceil((hi - lo) / 10);
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k += step) ticks.push(Number(`1e${k}`));
  return { domain: [Number(`1e${lo}`), Number(`1e${hi}`)], ticks };
}

/** The log domain [min, max] of the values with ticks at the decades inside it, or decades() when fewer than two fit. */
function tightDecades(values: number[]): { domain: [number, number]; ticks: number[] } {
  const wide = decades(values);
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const domain = extent(positive);
  const ticks = wide.ticks.filter((t) => t >= domain[0] * (1 - 1e-12) && t <= domain[1] * (1 + 1e-12));
  return ticks.length >= 2 ? { domain, ticks } : wide;
}

/** [min, max] of any number of values (no argument spreading, so millions of rows are fine). */
export function extent(values: number[]): [number, number] {
  return values.reduce<[number, number]>(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
}

/** n colours along viridis, dark (first) to yellow-green (last), without the palest end. */
export function sequentialColours(n: number): string[] {
  const viridis = scheme('viridis') as (t: number) => string;
  return Array.from({ length: n }, (_, k) => viridis(n === 1 ? 0 : (0.88 * k) / (n - 1)));
}

export function categoricalColours(n: number): string[] {
  const tableau = scheme('tableau10') as string[];
  return Array.from({ length: n }, (_, k) => tableau[k % tableau.length] as string);
}
