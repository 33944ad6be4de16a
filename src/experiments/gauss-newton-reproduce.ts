/**
 * `nntk reproduce gauss-newton` as data and one entry point (docs/MATH.md section 6.1): the budgets of the
 * two experiments per scale, and the run that computes both and the findings. Seeds are baseSeed,
 * baseSeed + 1, ...; every number is a pure function of them (the timings aside).
 */
import { machineDescription, packageVersion } from '../about.js';
import type { Progress } from '../runner/pool.js';
import { runConditioning } from './gauss-newton-conditioning.js';
import { runDamping } from './gauss-newton-damping.js';
import { conditioningFindings, dampingFindings } from './gauss-newton-findings.js';
import type { GaussNewtonResults } from './gauss-newton-types.js';
import type { Scale } from './paper-grid.js';

export interface GaussNewtonScale {
  spreads: number[];
  seeds: number;
  gaussNewtonIterations: number;
  gdIterations: number;
  lmIterations: number;
  dampingGdIterations: number;
}

/** 'quick' (the default) is the reference run: seconds on 2 cores; 'paper' has more spreads, three times the seeds and longer GD runs. */
export const GAUSS_NEWTON_SCALES: Record<Scale, GaussNewtonScale> = {
  quick: { spreads: [1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001], seeds: 10, gaussNewtonIterations: 60, gdIterations: 20000, lmIterations: 400, dampingGdIterations: 100000 },
  paper: { spreads: [1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005], seeds: 32, gaussNewtonIterations: 100, gdIterations: 100000, lmIterations: 1000, dampingGdIterations: 500000 },
};

/** A loss at or below this fraction of its start counts as converged (rounding and the unreachable rest of the target lie below). */
export const FLOOR_RATIO = 1e-10;

export interface GaussNewtonOptions {
  scale: Scale;
  seed: number;
  /** Seeds per data set and per rule (default: the scale's). */
  trials?: number;
  /** Cap on every iteration budget. */
  iterations?: number;
  /** Runs at a time (each on its own worker thread). */
  concurrency: number;
  command: string;
  onProgress?: (p: Progress) => void;
}

export async function runGaussNewton(o: GaussNewtonOptions): Promise<GaussNewtonResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const scale = GAUSS_NEWTON_SCALES[o.scale];
  const count = o.trials ?? scale.seeds;
  const seeds = Array.from({ length: count }, (_, k) => o.seed + k);
  const cap = (n: number) => Math.max(2, Math.min(n, o.iterations ?? Infinity));
  const total = scale.spreads.length * seeds.length + seeds.length;
  let done = 0;
  const tick = () => {
    done += 1;
    const seconds = (performance.now() - started) / 1000;
    o.onProgress?.({ done, failed: 0, total, fraction: done / total, skipped: 0, jobsPerMinute: (60 * done) / Math.max(seconds, 1e-9), etaSeconds: (seconds / done) * (total - done) });
  };
  const conditioning = await runConditioning(
    { spreads: scale.spreads, seeds, gaussNewtonIterations: cap(scale.gaussNewtonIterations), gdIterations: cap(scale.gdIterations), floorRatio: FLOOR_RATIO, concurrency: o.concurrency },
    tick,
  );
  const damping = await runDamping(
    { seeds, lmIterations: cap(scale.lmIterations), gdIterations: cap(scale.dampingGdIterations), floorRatio: FLOOR_RATIO, concurrency: o.concurrency },
    tick,
  );
  return {
    version: packageVersion(),
    command: o.command,
    scale: o.scale,
    seed: o.seed,
    seeds: count,
    startedAt,
    wallSeconds: (performance.now() - started) / 1000,
    machine: machineDescription(),
    floorRatio: FLOOR_RATIO,
    conditioning,
    damping,
    findings: { conditioning: conditioningFindings(conditioning, FLOOR_RATIO), damping: dampingFindings(damping, FLOOR_RATIO) },
  };
}
