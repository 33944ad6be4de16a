/**
 * Convergence-rate fitting, pure TypeScript: the exponential rate of a loss curve over its longest
 * linear stretch in log space (exponential-rate.ts; the detection is explained in
 * docs/notes/fitting-window-detection.md), a power law across widths with a seeded bootstrap interval
 * (power-law.ts), and Student's t quantile (student-t.ts). Every call owns its scratch; no module state.
 */
export { fitExponentialRate, type ExponentialRateFit, type ExponentialRateOptions } from './exponential-rate.js';
export { fitPowerLaw, type PowerLawFit, type PowerLawOptions } from './power-law.js';
export { studentTQuantile } from './student-t.js';
