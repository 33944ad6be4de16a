/**
 * The linearity test of one candidate window, in O(1) from its moment record (tests (a)-(d) of
 * docs/notes/fitting-window-detection.md). All scratch lives in a Workspace that each fit creates for
 * itself and passes down; nothing here keeps state between calls.
 */
import { addShifted, NM, type Piece, pointMoments, Q, S, T } from './moments.js';
import { studentTQuantile } from './student-t.js';

const ALPHA = 1e-3; // level of the curvature F-test and of the two end tests
const Z_ALPHA = 3.290526731491926; // normal quantile at 1 - ALPHA / 2
const TAU = 1e-10; // a deviation explaining less than this fraction of the variance is negligible
const PIVOT = 1e-9; // relative Cholesky pivot below which a polynomial term is not estimable
const NOISE_RATIO = 4; // a window's residual variance may exceed the local noise variance by this factor (and chance)

/** Scratch of one fit: buffers overwritten by every evaluation, and the critical values computed so far. */
export interface Workspace {
  /** Powers of the shift in addShifted (7). */
  powers: Float64Array;
  /** The window's moments about its centre (NM). */
  centred: Float64Array;
  /** An end piece's moments about the window's centre (NM). */
  endShifted: Float64Array;
  /** Lower Cholesky factor of the 4 x 4 moment matrix, row-major (16). */
  chol: Float64Array;
  /** sum u^i y, then its orthonormal coordinates (4). */
  coord: Float64Array;
  /** sum u^k in the centred scaled frame (7). */
  u: Float64Array;
  /** The moments of one point about itself (read only). */
  point: Float64Array;
  /** Squared critical t values by degrees of freedom (m < 100), filled on first use. */
  tCritical: number[];
}

export function newWorkspace(): Workspace {
  return {
    powers: new Float64Array(7),
    centred: new Float64Array(NM),
    endShifted: new Float64Array(NM),
    chol: new Float64Array(16),
    coord: new Float64Array(4),
    u: new Float64Array(7),
    point: pointMoments(),
    tCritical: [],
  };
}

export interface WindowStats {
  valid: boolean;
  n: number;
  r2: number;
  /** Total sum of squares about the mean (> 0 for a window with any variation). */
  ssTot: number;
  /** Fails the linearity test (curvature or a deviating end), whatever its R^2. */
  bent: boolean;
  resStd: number;
}

export function newStats(): WindowStats {
  return { valid: false, n: 0, r2: 0, ssTot: 0, bent: false, resStd: 0 };
}

/** Squared two-sided critical value of Student's t at level ALPHA with m degrees of freedom. */
function tCritical2(ws: Workspace, m: number): number {
  if (m >= 100) {
    // Cornish-Fisher (Abramowitz-Stegun 26.7.5), accurate to ~1e-6 here.
    const z = Z_ALPHA;
    const z2 = z * z;
    const t =
      z +
      (z2 * z + z) / 4 / m +
      ((5 * z2 + 16) * z2 * z + 3 * z) / 96 / m ** 2 +
      ((((3 * z2 + 19) * z2 + 17) * z2 * z - 15 * z) / 384) / m ** 3;
    return t * t;
  }
  let c = ws.tCritical[m];
  if (c === undefined) {
    c = studentTQuantile(1 - ALPHA / 2, m) ** 2;
    ws.tCritical[m] = c;
  }
  return c;
}

/** Critical value of F(k, m) at level ALPHA, for k = 1 or 2. */
function fCritical(ws: Workspace, k: number, m: number): number {
  if (k === 2) return (m / 2) * (Math.pow(ALPHA, -2 / m) - 1); // P(F(2, m) > f) = (1 + 2f/m)^(-m/2)
  return tCritical2(ws, m); // F(1, m) = t(m)^2
}

/**
 * Whether the end piece p deviates from the line fitted to the rest of the window: the mean residual of its
 * points against that line, over its standard error (prediction variance), against t at level ALPHA.
 * Uses ws.u, the window's moments in the centred scaled frame (filled by evaluate), with v0, v1, syy.
 */
function endDeviates(
  ws: Workspace,
  p: Piece,
  c: number,
  half: number,
  ybar: number,
  v0: number,
  v1: number,
  syy: number,
  ssTot: number,
): boolean {
  const e = ws.endShifted;
  const u = ws.u;
  e.fill(0);
  addShifted(e, 0, p.m, p.i, p.xa - c, p.ya - ybar, ws.powers);
  const p0 = e[S]!;
  const p1 = e[S + 1]! / half;
  const p2 = e[S + 2]! / (half * half);
  const pt0 = e[T]!;
  const pt1 = e[T + 1]! / half;
  const r0 = u[0]! - p0;
  if (r0 < 4) return false;
  const r1 = u[1]! - p1;
  const ub = r1 / r0;
  const suu = u[2]! - p2 - r1 * ub;
  if (!(suu > 0)) return false;
  const rt0 = v0 - pt0;
  const yb = rt0 / r0;
  const suy = v1 - pt1 - r1 * yb;
  const b = suy / suu;
  const a = yb - b * ub;
  const ss = syy - e[Q]! - rt0 * yb - b * suy;
  const dev = (pt0 - a * p0 - b * p1) / p0;
  if (dev * dev * p0 <= TAU * ssTot) return false;
  if (!(ss > 0)) return true;
  const xp = p1 / p0 - ub;
  const variance = (ss / (r0 - 2)) * (1 / p0 + 1 / r0 + (xp * xp) / suu);
  return (dev * dev) / variance > tCritical2(ws, r0 - 2);
}

/**
 * Linearity statistics of the points summed in win, spanning [xFirst, xLast], whose first and last
 * pieces (cells or single points) are head and tail. The moments are re-anchored at the window's centre
 * with y centred at its mean and x scaled to [-1, 1]; the Cholesky factor of the 4x4 moment matrix of
 * 1, u, u^2, u^3 turns sum u^i y into orthonormal coordinates z, so the line explains z_0^2 + z_1^2 and
 * the curvature terms z_2^2 + z_3^2, each without cancellation. noise: the local noise variance of y
 * (from the noise profile), or 0 when unknown.
 */
export function evaluate(
  ws: Workspace,
  win: Piece,
  xFirst: number,
  xLast: number,
  head: Piece,
  tail: Piece,
  noise: number,
  out: WindowStats,
): void {
  const { centred, u, coord, chol } = ws;
  const n = win.m[win.i + S]!;
  const half = (xLast - xFirst) / 2;
  out.valid = false;
  if (n < 3 || !(half > 0)) return;
  const c = (xFirst + xLast) / 2;
  const ybar = win.ya + win.m[win.i + T]! / n;
  centred.fill(0);
  addShifted(centred, 0, win.m, win.i, win.xa - c, win.ya - ybar, ws.powers);
  let scale = 1;
  for (let k = 0; k < 7; k++) {
    u[k] = centred[S + k]! / scale;
    if (k < 4) coord[k] = centred[T + k]! / scale;
    scale *= half;
  }
  const v0 = coord[0]!;
  const v1 = coord[1]!;
  const syy = centred[Q]!;
  let rank = 4;
  for (let i = 0; i < 4 && rank === 4; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = u[i + j]!;
      for (let k = 0; k < j; k++) sum -= chol[i * 4 + k]! * chol[j * 4 + k]!;
      if (i === j) {
        if (!(sum > PIVOT * u[2 * i]!)) {
          rank = i;
          break;
        }
        chol[i * 4 + i] = Math.sqrt(sum);
      } else {
        chol[i * 4 + j] = sum / chol[j * 4 + j]!;
      }
    }
  }
  if (rank < 2) return;
  for (let i = 0; i < rank; i++) {
    let sum = coord[i]!;
    for (let k = 0; k < i; k++) sum -= chol[i * 4 + k]! * coord[k]!;
    coord[i] = sum / chol[i * 4 + i]!;
  }
  const z0 = coord[0]!;
  const z1 = coord[1]!;
  const ssTot = Math.max(syy - z0 * z0, 0);
  const ssLin = Math.max(ssTot - z1 * z1, 0);
  const k = Math.min(rank - 2, n - 3, 2);
  let extra = 0;
  for (let i = 2; i < 2 + k; i++) extra += coord[i]! * coord[i]!;
  const ssRes = ssLin - extra;
  let bent = false;
  if (k > 0 && extra > TAU * ssTot) {
    bent = !(ssRes > 0) || extra / k / (ssRes / (n - 2 - k)) > fCritical(ws, k, n - 2 - k);
  }
  const resVar = ssLin / (n - 2);
  if (!bent && ssLin > TAU * ssTot && noise > 0) {
    bent = resVar > NOISE_RATIO * (1 + 3.1 * Math.sqrt(2 / (n - 2))) * noise;
  }
  if (!bent) {
    bent = endDeviates(ws, head, c, half, ybar, v0, v1, syy, ssTot) || endDeviates(ws, tail, c, half, ybar, v0, v1, syy, ssTot);
  }
  out.valid = true;
  out.n = n;
  out.ssTot = ssTot;
  out.r2 = ssTot > 0 ? 1 - ssLin / ssTot : 0;
  out.bent = bent;
  out.resStd = Math.sqrt(resVar);
}

/** Whether evaluated statistics make a linear window at R^2 level `level`. */
export function passes(st: WindowStats, level: number): boolean {
  return st.valid && !st.bent && st.ssTot > 0 && st.r2 >= level;
}
