/**
 * Moment records of the window search (docs/notes/fitting-window-detection.md): for the points of a
 * piece (a cell, a window, or one point), the sums S_k = sum d^k (k = 0..6), T_k = sum d^k y (k = 0..3)
 * and Q = sum y^2, with d and y measured from the piece's anchor (xa, ya).
 */

/** Offsets in one moment record. */
export const S = 0;
export const T = 7;
export const Q = 11;
/** Length of one moment record. */
export const NM = 12;

const BINOM: readonly (readonly number[])[] = Object.freeze(
  [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1], [1, 5, 10, 10, 5, 1], [1, 6, 15, 20, 15, 6, 1]].map((row) => Object.freeze(row)),
);

/** A moment record m[i..i+NM) with its anchor: it sums powers of d = x - xa and of y - ya. */
export interface Piece {
  m: Float64Array;
  i: number;
  xa: number;
  ya: number;
}

/** The moment record of one point about itself (S_0 = 1, all else 0); callers only read it. */
export function pointMoments(): Float64Array {
  const m = new Float64Array(NM);
  m[S] = 1;
  return m;
}

/**
 * Adds the moments src[si..] (about the anchor (xa, ya)) to dst[di..] (about (xb, yb)), with
 * dx = xa - xb and dy = ya - yb: d' = d + dx, y' = y + dy, expanded by the binomial theorem.
 * powers: scratch of length 7 (overwritten).
 */
export function addShifted(
  dst: Float64Array,
  di: number,
  src: Float64Array,
  si: number,
  dx: number,
  dy: number,
  powers: Float64Array,
): void {
  powers[0] = 1;
  for (let k = 1; k < 7; k++) powers[k] = powers[k - 1]! * dx;
  for (let k = 0; k < 7; k++) {
    const row = BINOM[k]!;
    let sum = 0;
    for (let j = 0; j <= k; j++) sum += row[j]! * powers[k - j]! * src[si + S + j]!;
    dst[di + S + k] = dst[di + S + k]! + sum;
  }
  for (let k = 0; k < 4; k++) {
    const row = BINOM[k]!;
    let sum = 0;
    for (let j = 0; j <= k; j++) sum += row[j]! * powers[k - j]! * (src[si + T + j]! + dy * src[si + S + j]!);
    dst[di + T + k] = dst[di + T + k]! + sum;
  }
  dst[di + Q] = dst[di + Q]! + src[si + Q]! + 2 * dy * src[si + T]! + dy * dy * src[si + S]!;
}

/** Adds the point (d, y), already measured from dst's anchor, to the record dst[di..]. */
export function addPoint(dst: Float64Array, di: number, d: number, y: number): void {
  let p = 1;
  for (let k = 0; k < 7; k++) {
    dst[di + S + k] = dst[di + S + k]! + p;
    if (k < 4) dst[di + T + k] = dst[di + T + k]! + p * y;
    p *= d;
  }
  dst[di + Q] = dst[di + Q]! + y * y;
}
