/**
 * The sweep functions of the public API, loaded on first use: the spec checker (ajv, yaml), the store
 * (better-sqlite3) and the thread pool (piscina) cost about half a second to import, which a program
 * that only trains networks should not pay when it imports nntk.
 */
import type { PlannedSweep } from './expand.js';
import type { SweepOptions, SweepResult } from './run-sweep.js';
import type { SweepSpec } from './spec.js';

/** Runs a sweep spec (a file path or an object) into an SQLite store; see src/sweep/run-sweep.ts. */
export async function runSweep(spec: SweepSpec | string, o: SweepOptions): Promise<SweepResult> {
  return (await import('./run-sweep.js')).runSweep(spec, o);
}

/** Runs a spec planned by planSweep. */
export async function runPlannedSweep(plan: PlannedSweep, o: SweepOptions): Promise<SweepResult> {
  return (await import('./run-sweep.js')).runPlannedSweep(plan, o);
}

/** Checks and expands a spec (a file path or an object, data paths relative to baseDir) into its jobs without running them. */
export async function planSweep(spec: SweepSpec | string, baseDir?: string): Promise<PlannedSweep> {
  return (await import('./run-sweep.js')).planOf(spec, baseDir);
}
