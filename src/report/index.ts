/** The report (`nntk report DIR`, docs/MATH.md section 6): figures, statistics and the page. */
export { renderReport, renderSvg } from './render.js';
export { buildPanels, exponentLabel, type FigurePanel } from './figures.js';
export { renderHtml, formatDuration, formatNumber, PAPER_URL, type RenderedFigure } from './html.js';
export { groupBy, quantile, trimmedBand, type TrimmedBand } from './statistics.js';
export type * from './types.js';
