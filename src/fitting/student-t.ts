/**
 * Special functions behind the fits' intervals and tests: log Gamma, the regularized incomplete beta
 * function, and Student's t quantile built on them. Pure functions, no state.
 */
import { invalid, requireNumber } from '../validate.js';

const LANCZOS: readonly number[] = Object.freeze([
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]);

/** log Gamma(x) for x > 0 (Lanczos, g = 7, n = 9: ~1e-15 relative). */
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log Gamma(a) - log Gamma(a + b) for a, b > 0, without the cancellation of two large lnGamma for large a. */
function lnGammaRatio(a: number, b: number): number {
  if (a < 10) return lnGamma(a) - lnGamma(a + b);
  // Stirling: lnGamma(z) = (z - 1/2) ln z - z + ln(2 pi)/2 + c(z), with c(z) = 1/(12z) - 1/(360z^3) + ...
  const c = (z: number): number => {
    const w = 1 / (z * z);
    return (1 / z) * (1 / 12 - w * (1 / 360 - w * (1 / 1260 - w * (1 / 1680 - w / 1188))));
  };
  return -(a - 0.5) * Math.log1p(b / a) - b * Math.log(a + b) + b + c(a) - c(a + b);
}

function lnBeta(a: number, b: number): number {
  return a >= b ? lnGamma(b) + lnGammaRatio(a, b) : lnGamma(a) + lnGammaRatio(b, a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, y: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = (1 - b + qab * y) / qap; // = 1 - qab x / qap, without its cancellation for large a
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1_000_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), with x and y = 1 - x both given (no cancellation in 1 - x). */
function incompleteBeta(x: number, y: number, a: number, b: number, lnX = Math.log(x), lnY = Math.log(y)): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const lnFront = a * lnX + b * lnY - lnBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, y, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(y, x, b, a)) / b;
}

/** P(T > t) for t >= 0 and Student's t with df degrees of freedom. */
function studentUpperTail(t: number, df: number): number {
  const t2 = t * t;
  const lnX = -Math.log1p(t2 / df); // log(df / (df + t^2)), accurate when t^2 << df
  return 0.5 * incompleteBeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5, lnX, Math.log(t2 / (df + t2)));
}

/**
 * Quantile of Student's t distribution: the t with P(T <= t) = p for df > 0 degrees of freedom.
 * Closed forms for df = 1 and 2; otherwise safeguarded Newton on the upper tail 0.5 I_{df/(df+t^2)}(df/2, 1/2)
 * (continued fraction), started from the Cornish-Fisher expansion (Abramowitz-Stegun 26.7.5). ~1e-13 relative.
 */
export function studentTQuantile(p: number, df: number): number {
  requireNumber(p, 'p');  // E_ARGUMENT for a non-number, E_NONFINITE for NaN or Infinity, as everywhere
  if (!(p > 0 && p < 1)) throw invalid('E_ARGUMENT', 'p', 'a probability in (0, 1)', p);
  requireNumber(df, 'df', { above: 0 });
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const q = 1 - p; // upper tail, in (0, 0.5)
  if (df === 1) return 1 / Math.tan(Math.PI * q);
  if (df === 2) return Math.sqrt(2) * (1 - 2 * q) / Math.sqrt(4 * q * (1 - q));
  // Start: normal quantile (Abramowitz-Stegun 26.2.23, |error| < 4.5e-4), then 26.7.5.
  const w = Math.sqrt(-2 * Math.log(q));
  const z = w - (2.515517 + 0.802853 * w + 0.010328 * w * w) / (1 + 1.432788 * w + 0.189269 * w * w + 0.001308 * w * w * w);
  const z2 = z * z;
  const g1 = (z2 * z + z) / 4;
  const g2 = ((5 * z2 + 16) * z2 * z + 3 * z) / 96;
  const g3 = (((3 * z2 + 19) * z2 + 17) * z2 * z - 15 * z) / 384;
  const g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 * z - 945 * z) / 92160;
  let t = z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
  if (!(t > 0) || !Number.isFinite(t)) t = z > 0 ? z : 1;
  const lnDensity0 = -lnGammaRatio(df / 2, 0.5) - 0.5 * Math.log(df * Math.PI);
  let lo = 0;
  let hi = Infinity;
  for (let iter = 0; iter < 200; iter++) {
    const tail = studentUpperTail(t, df);
    if (tail > q) lo = t;
    else hi = t;
    const density = Math.exp(lnDensity0 - ((df + 1) / 2) * Math.log1p((t * t) / df));
    let next = t + (tail - q) / density;
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? 0.5 * (lo + hi) : 2 * t + 1;
    const step = Math.abs(next - t);
    t = next;
    if (step <= 1e-15 * t) break;
  }
  return t;
}
