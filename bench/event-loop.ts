/**
 * Many runs in one process (issue 12): how long a readFile waits while k long `train` calls are in
 * flight, with async calls on threads of their own (now) and on libuv's pool of 4 (before: the internal
 * placement switch of native/addon/long_call.hpp), and what a thread of its own adds to a tiny call.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Dataset, datasets, getThreads, ntkGram, ntkGramSync, setThreads, train, TwoLayerNet } from '../src/index.js';
import { native } from '../src/native.js';

type Placement = 'thread' | 'pool';
const CALLS = [0, 4, 8] as const;
const TRAIN_SECONDS = 3;
const READS = 5;
const TINY_CALLS = 2000;

const net = TwoLayerNet.create({ width: 1000, inputDim: 1, seed: 0 });
const data = datasets.paperFigure3();
const file = join(mkdtempSync(join(tmpdir(), 'nntk-event-loop-')), 'small.txt');
writeFileSync(file, 'x'.repeat(4096));

/** The longest of READS readFiles in a row, in ms, started 0.2 s after k train calls of TRAIN_SECONDS each. */
async function readFileDelay(k: number): Promise<number> {
  const runs = Array.from({ length: k }, () =>
    train(net, data, { method: 'gd', iterations: 1e9, timeLimitSeconds: TRAIN_SECONDS, record: { every: 1e9 } }));
  await sleep(200);
  let longest = 0;
  for (let r = 0; r < READS; r++) {
    const t0 = performance.now();
    await readFile(file);
    longest = Math.max(longest, performance.now() - t0);
  }
  const done = await Promise.all(runs);
  if (done.some((run) => run.stoppedBecause !== 'timeLimit')) throw new Error('a train call ended before its time limit');
  return longest;
}

/** Microseconds per call of a tiny async ntkGram (width 2, 2 points) awaited one after another: best of 3 rounds. */
async function tinyCallMicros(tiny: Dataset, small: TwoLayerNet): Promise<number> {
  for (let k = 0; k < 200; k++) await ntkGram(small, tiny);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let k = 0; k < TINY_CALLS; k++) await ntkGram(small, tiny);
    best = Math.min(best, ((performance.now() - t0) * 1000) / TINY_CALLS);
  }
  return best;
}

export async function runEventLoopBench(log: (line: string) => void) {
  const threads = getThreads();
  setThreads(1); // k calls x 1 thread: the delay measured is the pool's queue, not oversubscription
  const results: Record<Placement, { readFileMs: Record<number, number>; tinyCallMicros: number }> = {
    thread: { readFileMs: {}, tinyCallMicros: 0 },
    pool: { readFileMs: {}, tinyCallMicros: 0 },
  };
  const tiny = Dataset.create({ x: new Float64Array([0.1, 0.7]), y: new Float64Array([0.2, -0.3]), inputDim: 1 });
  const small = TwoLayerNet.create({ width: 2, inputDim: 1, seed: 1 });
  let syncMicros = Infinity;
  try {
    for (const placement of ['pool', 'thread'] as const) {
      native().setCallPlacement(placement);
      for (const k of CALLS) results[placement].readFileMs[k] = await readFileDelay(k);
      results[placement].tinyCallMicros = await tinyCallMicros(tiny, small);
    }
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let k = 0; k < TINY_CALLS; k++) ntkGramSync(small, tiny);
      syncMicros = Math.min(syncMicros, ((performance.now() - t0) * 1000) / TINY_CALLS);
    }
  } finally {
    native().setCallPlacement('thread');
    setThreads(threads);
  }
  const { thread, pool } = results;
  log(`readFile delay with k train calls in flight (gd, width 1000, ${TRAIN_SECONDS} s each, setThreads(1); longest of ${READS} reads):`);
  log('| calls in flight | own threads (now) | libuv pool (before) | ratio |');
  log('|---|---|---|---|');
  for (const k of CALLS) {
    const now = thread.readFileMs[k]!, before = pool.readFileMs[k]!;
    log(`| ${k} | ${now.toFixed(1)} ms | ${before.toFixed(1)} ms | ${(before / now).toFixed(0)}x |`);
  }
  log(`tiny async ntkGram (width 2, M = 2), ${TINY_CALLS} in a row, best of 3: own thread ${thread.tinyCallMicros.toFixed(1)} us, ` +
    `libuv pool ${pool.tinyCallMicros.toFixed(1)} us per call (${thread.tinyCallMicros >= pool.tinyCallMicros ? '+' : ''}${(thread.tinyCallMicros - pool.tinyCallMicros).toFixed(1)} us); ` +
    `ntkGramSync ${syncMicros.toFixed(1)} us`);
  return { ...results, syncMicros, trainSeconds: TRAIN_SECONDS };
}
