/**
 * Progress on stderr while jobs run: a cli-progress bar with ETA on a terminal, one plain line every few
 * seconds (and at the end) otherwise, nothing with --quiet. stdout stays free for --json.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../runner/pool.js';

export interface ProgressView {
  update(p: Progress): void;
  stop(): void;
}

export function progressView(label: string, quiet: boolean): ProgressView {
  if (quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value}/{total} jobs | ETA {eta_formatted} | failed {failed}`,
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        // The bar advances by cost-weighted work (its ETA is in time), the label counts jobs.
        if (!started) {
          bar.start(p.total, p.done, { failed: p.failed });
          started = true;
        }
        bar.update(p.done, { failed: p.failed });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const t0 = performance.now();
  let lastPrint = -Infinity;
  let last: Progress | undefined;
  const print = (p: Progress) => {
    const elapsed = (performance.now() - t0) / 1000;
    const rate = p.fraction > 0 ? elapsed / Math.max(p.fraction - p.skipped / Math.max(p.total, 1), 1e-9) : Number.NaN;
    const eta = p.fraction < 1 && Number.isFinite(rate) ? `, ETA ${Math.max(0, rate * (1 - p.fraction)).toFixed(0)} s` : '';
    process.stderr.write(`${label}: ${p.done}/${p.total} jobs (${(100 * p.fraction).toFixed(0)}% of the work), ${p.failed} failed, ${elapsed.toFixed(1)} s${eta}\n`);
    lastPrint = performance.now();
  };
  return {
    update(p) {
      last = p;
      if (performance.now() - lastPrint > 2000 || p.done === p.total) print(p);
    },
    stop() {
      if (last && performance.now() - lastPrint > 0 && last.done !== last.total) print(last);
    },
  };
}
