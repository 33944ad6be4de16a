/**
 * Progress on stderr while jobs run: a cli-progress bar with ETA on a terminal; otherwise a plain line
 * when jobs finish (at most every 2 s) and at least every 10 s; nothing with --quiet. stdout stays free
 * for --json.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../runner/pool.js';

export interface ProgressView {
  update(p: Progress): void;
  stop(): void;
}

const WORK_UNITS = 1000;

export function progressView(label: string, quiet: boolean): ProgressView {
  if (quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {jobs}/{totalJobs} jobs | ETA {eta_formatted} | failed {failed}`,
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        // The bar (and so its ETA) advances by cost-weighted work; the label counts jobs.
        const payload = { failed: p.failed, jobs: p.done, totalJobs: p.total };
        if (!started) {
          bar.start(WORK_UNITS, Math.round(p.fraction * WORK_UNITS), payload);
          started = true;
        }
        bar.update(Math.round(p.fraction * WORK_UNITS), payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const t0 = performance.now();
  let startFraction: number | undefined;  // work already done when this run started (a resumed run)
  let lastPrint = -Infinity;
  let last: Progress | undefined;
  // A line at least every 10 s, also while long jobs run and nothing finishes (logs of batch jobs).
  const heartbeat = setInterval(() => {
    if (last && performance.now() - lastPrint > 10000) print(last);
  }, 10000);
  heartbeat.unref();
  const print = (p: Progress) => {
    const elapsed = (performance.now() - t0) / 1000;
    const doneHere = p.fraction - (startFraction ?? p.fraction);
    const eta = p.fraction < 1 && doneHere > 0 ? `, ETA ${((elapsed / doneHere) * (1 - p.fraction)).toFixed(0)} s` : '';
    process.stderr.write(`${label}: ${p.done}/${p.total} jobs (${(100 * p.fraction).toFixed(0)}% of the work), ${p.failed} failed, ${elapsed.toFixed(1)} s${eta}\n`);
    lastPrint = performance.now();
  };
  return {
    update(p) {
      startFraction ??= p.fraction;
      last = p;
      if (performance.now() - lastPrint > 2000 || p.done === p.total) print(p);
    },
    stop() {
      clearInterval(heartbeat);
      if (last && last.done !== last.total) print(last);
    },
  };
}
