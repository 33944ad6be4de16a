/**
 * `npm run bench`: every benchmark, measured side by side in one run, printed as ratios and saved to
 * bench/out/results.json. Copy the printed summary into README.md with the machine line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { runDenseStepBench } from './dense-step.js';
import { runEventLoopBench } from './event-loop.js';
import { runFigure3SolveBench } from './figure3-solve.js';
import { runFiguresBench } from './figures.js';
import { runFirstOrderBench } from './first-order.js';
import { runLimitKernelsBench } from './limit-kernels.js';
import { machineLine } from './machine.js';
import { runPrimalBench } from './primal.js';
import { runStructuredBench } from './structured.js';
import { runQueueBench } from './queue.js';
import { runSpectrumBench } from './spectrum.js';
import { runSweepBench } from './sweep.js';
import { runTrainingBench } from './training.js';

const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
  console.log(line);
};

/**
 * Sections by name, in order; `npm run bench -- spectrum limit` runs only those (all by default). A run of a
 * subset writes results-<names>.json/txt, so the full run's files stay as they were.
 */
const SECTIONS: [string, string, () => unknown][] = [
  ['dense', 'Dense exact Newton step, Figure 3 problem (M = 128, gamma = 1e-3)', () => runDenseStepBench(log)],
  ['structured', 'Structured (width-linear) solver and kernels', () => runStructuredBench(log)],
  ['primal', 'Gauss-Newton at P < M: primal QR against dense and structured (M = 2048, inputDim 4)', () => runPrimalBench(log)],
  ['limit', 'Infinite-width limit kernels', () => runLimitKernelsBench(log)],
  ['spectrum', 'Spectra and predictions at any width', () => runSpectrumBench(log)],
  ['solve', 'Figure 3 Newton run: time per linear solve against its floor', () => runFigure3SolveBench(log)],
  ['training', 'Training, Figure 3 problem (width 1000, seed 0)', () => runTrainingBench(log)],
  ['first-order', 'Gradient descent and Adam, Figure 3 problem (width 1000, seed 0, 100000 iterations)', () => runFirstOrderBench(log)],
  ['figures', "Figures 1-2 at the paper's scale (nntk reproduce)", () => runFiguresBench(log)],
  ['sweep', 'Sweeps: runner and store overhead, throughput, workers', () => runSweepBench(log)],
  ['queue', 'Sweeps over Redis (BullMQ)', () => runQueueBench(log)],
  ['event-loop', 'Many runs in one process: readFile delay with train calls in flight, per-call overhead', () => runEventLoopBench(log)],
];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !SECTIONS.some(([n]) => n === name));
if (unknown.length > 0) {
  console.error(`unknown bench section(s) ${unknown.join(', ')}; choose from ${SECTIONS.map(([n]) => n).join(', ')}`);
  process.exit(2);
}

log(`nntk benchmarks on ${machineLine()}`);
const results: Record<string, unknown> = { machine: machineLine(), date: new Date().toISOString() };
for (const [name, title, run] of SECTIONS) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  log(`\n== ${title} ==`);
  results[name] = await run();
}

const out = new URL('./out/', import.meta.url);
mkdirSync(out, { recursive: true });
const suffix = wanted.length > 0 ? `-${wanted.join('-')}` : '';
writeFileSync(new URL(`results${suffix}.json`, out), JSON.stringify(results, null, 2));
writeFileSync(new URL(`results${suffix}.txt`, out), `${lines.join('\n')}\n`);
