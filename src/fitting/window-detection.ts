/**
 * Detection of the longest linear stretch of log(values) (docs/notes/fitting-window-detection.md):
 * candidate windows are unions of consecutive cells, each tested in O(1) from per-cell moment sums,
 * then the winner's ends are refined point by point.
 */
import { evaluate, newStats, passes, type Workspace } from './linearity-test.js';
import { addPoint, addShifted, NM, type Piece } from './moments.js';
import { noiseProfile, windowNoise } from './noise-profile.js';

const R2_LEVELS: readonly number[] = Object.freeze([0.99, 0.9, 0.5, -Infinity]);
const MIN_LINEAR = 8; // points in a detected linear window (fewer only when no run of 8 values > 0 exists)
const ALL_WINDOWS_UP_TO = 384;
const INDEX_CELLS = 128;
const LEVEL_CELLS = 128;

/** Cell boundaries 0 = b_0 < b_1 < ... < b_G = n for the window search (see the notes). */
function breakpoints(y: Float64Array, positive: Uint8Array): Int32Array {
  const n = y.length;
  if (n <= ALL_WINDOWS_UP_TO) return Int32Array.from({ length: n + 1 }, (_, k) => k);
  const mark = new Uint8Array(n + 1);
  mark[0] = 1;
  mark[n] = 1;
  for (let i = 1; i < INDEX_CELLS; i++) mark[Math.round((i * n) / INDEX_CELLS)] = 1;
  let first = -1;
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < n; k++) {
    if (!positive[k]) continue;
    if (first < 0) first = k;
    lo = Math.min(lo, y[k]!);
    hi = Math.max(hi, y[k]!);
  }
  if (first >= 0) {
    const y0 = y[first]!;
    for (const [target, sign] of [[lo, -1], [hi, 1]] as const) {
      const step = (target - y0) / LEVEL_CELLS;
      if (!(Math.abs(step) > 0)) continue;
      let level = 1;
      for (let k = first; k < n && level < LEVEL_CELLS; k++) {
        if (!positive[k] || !(sign * (y[k]! - (y0 + level * step)) > 0)) continue;
        mark[k] = 1;
        while (level < LEVEL_CELLS && sign * (y[k]! - (y0 + level * step)) > 0) level++;
      }
    }
  }
  let count = 0;
  for (let k = 0; k <= n; k++) count += mark[k]!;
  const out = new Int32Array(count);
  for (let k = 0, j = 0; k <= n; k++) if (mark[k]) out[j++] = k;
  return out;
}

interface Candidate {
  first: number;
  last: number;
  n: number;
  resStd: number;
  /** Cells of the window: g..h. */
  g: number;
  h: number;
}

export interface DetectedWindow {
  first: number;
  last: number;
  linear: boolean;
}

/**
 * The longest linear window (see the notes) among runs of positive values, or null when no window
 * of at least 3 points with any variation exists. xs: x in index units; y: log values; ws: the fit's scratch.
 */
export function detectWindow(ws: Workspace, xs: Float64Array, y: Float64Array, positive: Uint8Array): DetectedWindow | null {
  const n = y.length;
  const bp = breakpoints(y, positive);
  const profile = noiseProfile(xs, y, positive);
  const G = bp.length - 1;
  const cells = new Float64Array(G * NM);
  const cellY = new Float64Array(G);
  const bad = new Uint8Array(G);
  for (let g = 0; g < G; g++) {
    const b = bp[g]!;
    const e = bp[g + 1]!;
    for (let k = b; k < e; k++) if (!positive[k]) bad[g] = 1;
    if (bad[g]) continue;
    cellY[g] = y[b]!;
    for (let k = b; k < e; k++) addPoint(cells, g * NM, xs[k]! - xs[b]!, y[k]! - y[b]!);
  }
  const cell = (g: number, p: Piece): Piece => {
    p.m = cells;
    p.i = g * NM;
    p.xa = xs[bp[g]!]!;
    p.ya = cellY[g]!;
    return p;
  };
  const point = (k: number, p: Piece): Piece => {
    p.m = ws.point;
    p.i = 0;
    p.xa = xs[k]!;
    p.ya = y[k]!;
    return p;
  };
  const head: Piece = { m: ws.point, i: 0, xa: 0, ya: 0 };
  const tail: Piece = { m: ws.point, i: 0, xa: 0, ya: 0 };
  const win: Piece = { m: new Float64Array(NM), i: 0, xa: 0, ya: 0 };
  const acc = win.m;
  let run = 0;
  let longestRun = 0;
  for (let k = 0; k < n; k++) {
    run = positive[k] ? run + 1 : 0;
    longestRun = Math.max(longestRun, run);
  }
  // Short windows reach R^2 >= 0.99 by chance (3 points of pure noise: 6% of them), hence a minimum length;
  // the fallback levels in order: lower R^2 thresholds, then shorter windows.
  const minLinear = Math.min(MIN_LINEAR, longestRun);
  const levels = [minLinear, 3].flatMap((minPoints) => R2_LEVELS.map((r2) => ({ r2, minPoints })));
  const best: (Candidate | null)[] = levels.map(() => null);
  const st = newStats();
  for (let g = 0; g < G; g++) {
    if (bad[g]) continue;
    acc.fill(0);
    win.xa = xs[bp[g]!]!;
    win.ya = cellY[g]!;
    cell(g, head);
    for (let h = g; h < G && !bad[h]; h++) {
      addShifted(acc, 0, cells, h * NM, xs[bp[h]!]! - win.xa, cellY[h]! - win.ya, ws.powers);
      const first = bp[g]!;
      const last = bp[h + 1]! - 1;
      if (last - first < 2) continue;
      evaluate(ws, win, xs[first]!, xs[last]!, head, cell(h, tail), windowNoise(profile, first, last), st);
      if (!st.valid || st.bent || !(st.ssTot > 0)) continue;
      for (let l = 0; l < levels.length; l++) {
        if (st.r2 < levels[l]!.r2 || st.n < levels[l]!.minPoints) continue;
        const cur = best[l];
        if (!cur || st.n > cur.n || (st.n === cur.n && st.resStd < cur.resStd)) {
          best[l] = { first, last, n: st.n, resStd: st.resStd, g, h };
        }
      }
    }
  }
  const l = best.findIndex((c) => c !== null);
  if (l < 0) return null;
  const c = best[l]!;
  const level = levels[l]!.r2;
  let first = c.first;
  let last = c.last;
  if (G < n) {
    // Earliest start in the cell before, with the end fixed: the new first point is the head piece.
    if (c.g > 0) {
      acc.fill(0);
      win.xa = xs[bp[c.g - 1]!]!;
      win.ya = cellY[c.g]!;
      for (let h = c.g; h <= c.h; h++) addShifted(acc, 0, cells, h * NM, xs[bp[h]!]! - win.xa, cellY[h]! - win.ya, ws.powers);
      cell(c.h, tail);
      for (let s = c.first - 1; s >= bp[c.g - 1]! && positive[s]; s--) {
        addPoint(acc, 0, xs[s]! - win.xa, y[s]! - win.ya);
        evaluate(ws, win, xs[s]!, xs[last]!, point(s, head), tail, windowNoise(profile, s, last), st);
        if (passes(st, level)) first = s;
      }
    }
    // Latest end in the cell after, with the refined start: the new last point is the tail piece.
    if (c.h + 1 < G) {
      acc.fill(0);
      win.xa = xs[first]!;
      win.ya = y[first]!;
      for (let k = first; k < c.first; k++) addPoint(acc, 0, xs[k]! - win.xa, y[k]! - win.ya);
      for (let h = c.g; h <= c.h; h++) addShifted(acc, 0, cells, h * NM, xs[bp[h]!]! - win.xa, cellY[h]! - win.ya, ws.powers);
      if (first < c.first) point(first, head);
      else cell(c.g, head);
      for (let e = c.last + 1; e < bp[c.h + 2]! && positive[e]; e++) {
        addPoint(acc, 0, xs[e]! - win.xa, y[e]! - win.ya);
        evaluate(ws, win, xs[first]!, xs[e]!, head, point(e, tail), windowNoise(profile, first, e), st);
        if (passes(st, level)) last = e;
      }
    }
  }
  return { first, last, linear: l === 0 };
}

/** The linearity test of the window search, on the positive values of a given window (its end points as ends). */
export function windowIsLinear(
  ws: Workspace,
  x: Float64Array,
  y: Float64Array,
  positive: Uint8Array,
  first: number,
  last: number,
): boolean {
  let a = -1;
  let b = -1;
  for (let k = first; k <= last; k++) {
    if (!positive[k]) continue;
    if (a < 0) a = k;
    b = k;
  }
  const span = x[b]! - x[a]!;
  if (!(span > 0)) return false;
  const scale = (b - a) / span; // index-like units, as in the search
  const win: Piece = { m: new Float64Array(NM), i: 0, xa: 0, ya: y[a]! };
  for (let k = a; k <= b; k++) if (positive[k]) addPoint(win.m, 0, (x[k]! - x[a]!) * scale, y[k]! - y[a]!);
  const head: Piece = { m: ws.point, i: 0, xa: 0, ya: y[a]! };
  const tail: Piece = { m: ws.point, i: 0, xa: (x[b]! - x[a]!) * scale, ya: y[b]! };
  const st = newStats();
  const sx = Float64Array.from(x, (t) => (t - x[a]!) * scale);
  evaluate(ws, win, 0, tail.xa, head, tail, windowNoise(noiseProfile(sx, y, positive), a, b), st);
  return passes(st, R2_LEVELS[0]!);
}
