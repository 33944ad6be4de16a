/**
 * The seeded fuzz test (test/fuzz/): 20000 calls of every export, valid calls with one or a few fields
 * made hostile, in child processes under a memory cap. Fails on any crash, hang, exception that is not
 * an NntkError (with a documented code), NaN or Infinity in a result, or message from the native core,
 * and prints each distinct failure with a stand-alone reproducer. NNTK_FUZZ_SEED and NNTK_FUZZ_CALLS
 * change the run; `npm run fuzz` is the long one.
 */
import { describe, expect, it } from 'vitest';
import * as nntk from '../src/index.js';
import { ACTIVE, SKIPPED } from './fuzz/calls.js';
import { findingsMarkdown, fuzz, summaryTable } from './fuzz/runner.js';

const seed = Number(process.env.NNTK_FUZZ_SEED ?? 20250);
const calls = Number(process.env.NNTK_FUZZ_CALLS ?? 20000);

describe('fuzz', () => {
  it('the catalogue has an entry for every exported function, class and namespace', () => {
    const covered = new Set(ACTIVE.flatMap((e) => e.uses));
    const callable = Object.entries(nntk).filter(([, v]) => typeof v === 'function' || (typeof v === 'object' && v !== null && !Array.isArray(v)));
    expect(callable.map(([name]) => name).filter((name) => !covered.has(name))).toEqual([]);
    // Entries waiting for an export that does not exist yet (or was renamed): listed, not silently lost.
    expect(SKIPPED.every((name) => /Sync$/.test(name))).toBe(true);
  });

  it(`${calls} seeded calls (seed ${seed}): no crash, hang, non-NntkError exception or silent NaN`, async () => {
    // CI settings: a crash or hang is confirmed by re-running the call alone (no shrinking, no search
    // of earlier calls: `npm run fuzz` does those), and the run stops after 30 of them.
    const report = await fuzz({ seed, calls, chunk: 5000, maxCrashes: 30, stallMs: 15000, timeoutMs: 5000, confirm: 'alone' });
    const text = `fuzz seed ${seed}: ${report.calls} calls in ${report.seconds.toFixed(1)} s (${report.triageSeconds.toFixed(1)} s confirming crashes)\n${summaryTable(report)}\n${findingsMarkdown(report)}`;
    if (report.findings.length > 0) {
      throw new Error(`${report.findings.length} distinct fuzz findings${report.stoppedEarly ? ' (stopped early: too many crashes)' : ''}\n${text}`);
    }
    expect(report.calls).toBe(calls);
  }, 600_000);
});
