/**
 * `npm run bench`: every benchmark, measured side by side in one run, printed as ratios and saved to
 * bench/out/results.json. Copy the printed summary into README.md with the machine line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { runDenseStepBench } from './dense-step.js';
import { runFiguresBench } from './figures.js';
import { runFirstOrderBench } from './first-order.js';
import { runLimitKernelsBench } from './limit-kernels.js';
import { machineLine } from './machine.js';
import { runStructuredBench } from './structured.js';
import { runQueueBench } from './queue.js';
import { runSweepBench } from './sweep.js';
import { runTrainingBench } from './training.js';

const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
  console.log(line);
};

log(`nntk benchmarks on ${machineLine()}`);
log('\n== Dense exact Newton step, Figure 3 problem (M = 128, gamma = 1e-3) ==');
const dense = runDenseStepBench(log);
log('\n== Structured (width-linear) solver and kernels ==');
const structured = runStructuredBench(log);
log('\n== Infinite-width limit kernels ==');
const limitKernels = await runLimitKernelsBench(log);
log('\n== Training, Figure 3 problem (width 1000, seed 0) ==');
const training = await runTrainingBench(log);
log('\n== Gradient descent and Adam, Figure 3 problem (width 1000, seed 0, 100000 iterations) ==');
const firstOrder = await runFirstOrderBench(log);
log('\n== Figures 1-2 at the paper\'s scale (nntk reproduce) ==');
const figures = await runFiguresBench(log);
log('\n== Sweeps: runner and store overhead, throughput, workers ==');
const sweep = await runSweepBench(log);
const queue = await runQueueBench(log);

const out = new URL('./out/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('results.json', out), JSON.stringify({ machine: machineLine(), date: new Date().toISOString(), dense, structured, limitKernels, training, firstOrder, figures, sweep, queue }, null, 2));
writeFileSync(new URL('results.txt', out), `${lines.join('\n')}\n`);
