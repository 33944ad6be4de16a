/**
 * Gradient descent and Adam on the Figure 3 problem (width 1000, M = 128, tanh, seed 0): 100000 iterations
 * each with record { perDecade: 20 }, in seconds and per iteration, beside the iteration's arithmetic:
 * its N M = 128000 tanh evaluations, whose rate in a tight tanhArray loop is measured in the same run
 * (before and after, best of both). Then the cost of recording every iteration, on 20000 iterations.
 * Times on a shared machine drift: compare numbers from one run.
 *
 * `node --import tsx bench/first-order.ts` runs it alone; `npm run bench` runs it with the rest.
 */
import { pathToFileURL } from 'node:url';
import { datasets, getThreads, train, TwoLayerNet, type TrainOptions } from '../src/index.js';
import { native } from '../src/native.js';

const WIDTH = 1000;
const ITERATIONS = 100000;

export async function runFirstOrderBench(log: (line: string) => void) {
  const data = datasets.paperFigure3();
  const net = TwoLayerNet.create({ width: WIDTH, inputDim: 1, seed: 0 });
  const values = WIDTH * data.size;  // tanh evaluations per iteration
  const tanhRate = () => native().tanhRate(values, 20, 5);
  const rates = [tanhRate()];
  const results: Record<string, unknown> = {};

  const timed = async (options: TrainOptions) => {
    const t0 = performance.now();
    const run = await train(net, data, options);
    return { run, seconds: (performance.now() - t0) / 1000 };
  };

  const runs: Record<string, { seconds: number; finalLoss: number; records: number }> = {};
  for (const method of ['gd', 'adam'] as const) {
    const { run, seconds } = await timed({ method, iterations: ITERATIONS, record: { perDecade: 20 } });
    runs[method] = { seconds, finalLoss: run.history.at(-1)!.loss, records: run.history.length };
  }
  rates.push(tanhRate());
  const tight = Math.max(...rates);
  log(`tanhArray on ${values} values, one thread, tight loop: ${(tight / 1e9).toFixed(3)} G tanh/s ` +
    `(${(1e9 / tight).toFixed(2)} ns each; ${(values / tight * 1e6).toFixed(0)} us per ${values})`);
  for (const [method, r] of Object.entries(runs)) {
    const perIteration = r.seconds / ITERATIONS;
    const achieved = values / perIteration;
    log(`${method.padEnd(4)}: ${ITERATIONS} iterations in ${r.seconds.toFixed(2)} s = ${(perIteration * 1e6).toFixed(0)} us/iteration, ` +
      `${(achieved / 1e9).toFixed(3)} G tanh/s achieved = ${(achieved / tight).toFixed(2)} of the tight loop ` +
      `(${r.records} records, final loss ${r.finalLoss.toExponential(3)}, ${getThreads()} threads configured)`);
    results[method] = { ...r, perIteration, tanhPerSecond: achieved, fractionOfTightLoop: achieved / tight };
  }
  results.tanhPerSecond = tight;

  // What recording every iteration adds: every record is an object handed to JavaScript. Alternated, best
  // of two each, since the machine's speed drifts.
  const short = ITERATIONS / 5;
  const best = (a: Awaited<ReturnType<typeof timed>>, b: Awaited<ReturnType<typeof timed>>) => (a.seconds <= b.seconds ? a : b);
  let thin = await timed({ method: 'gd', iterations: short, record: { perDecade: 20 } });
  let every = await timed({ method: 'gd', iterations: short });
  thin = best(thin, await timed({ method: 'gd', iterations: short, record: { perDecade: 20 } }));
  every = best(every, await timed({ method: 'gd', iterations: short }));
  const extra = (every.seconds - thin.seconds) / short;
  log(`gd, ${short} iterations: ${thin.seconds.toFixed(2)} s with record { perDecade: 20 } (${thin.run.history.length} records), ` +
    `${every.seconds.toFixed(2)} s recording every iteration: ${(extra * 1e6).toFixed(1)} us per record`);
  results.recordEvery = { iterations: short, thinSeconds: thin.seconds, everySeconds: every.seconds, secondsPerRecord: extra };
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runFirstOrderBench((line) => console.log(line));
}
