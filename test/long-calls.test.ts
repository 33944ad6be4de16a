/**
 * Long native calls run on threads of their own (native/addon/long_call.hpp), not on libuv's pool of 4:
 * file I/O goes on while more train calls than the pool has threads are in flight, concurrent results
 * equal the same calls run one at a time bit for bit, abort and errors behave as before, and environments
 * that go away mid-call (a terminated Worker, process.exit) neither crash nor hang the process.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  datasets,
  newtonStep,
  newtonStepSync,
  NntkError,
  train,
  TwoLayerNet,
  type TrainOptions,
  type TrainingRun,
} from '../src/index.js';
import { caught } from './helpers.js';

const root = new URL('..', import.meta.url).pathname;
const data = datasets.paperFigure3();

/** The run's parameters and recorded losses as bytes (the bits, not the values). */
function fingerprint(run: TrainingRun): string {
  const p = run.net.parameters();
  const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  return [bytes(p.W), bytes(p.b), bytes(p.c), bytes(Float64Array.from(run.history, (h) => h.loss)), run.stoppedBecause].join('|');
}

describe('long calls on threads of their own', () => {
  it('a readFile completes while 6 train calls (more than libuv has threads) are still running', async () => {
    const events: string[] = [];
    const abort = new AbortController();
    const net = TwoLayerNet.create({ width: 200, inputDim: 1, seed: 1 });
    const started: Promise<void>[] = [];
    const runs = Array.from({ length: 6 }, (_, k) => {
      let first!: () => void;
      started.push(new Promise<void>((resolve) => (first = resolve)));
      const run = train(net, data, { method: 'gd', iterations: 1e9, signal: abort.signal, onStep: () => first() });
      return run.then((r) => {
        events.push(`train ${k}`);
        return r;
      });
    });
    // A safety net for a regression (calls or reads queued behind the calls on libuv's pool): end the
    // calls, so that the test fails on the order of events below instead of hanging.
    const safety = setTimeout(() => abort.abort(), 60_000);
    try {
      await Promise.all(started); // every loop has made its first record: all six are running
      await readFile(join(root, 'package.json'));
      events.push('readFile');
      abort.abort();
      const done = await Promise.all(runs);
      expect(events[0]).toBe('readFile');
      expect(events).toHaveLength(7);
      for (const run of done) expect(run.stoppedBecause).toBe('aborted');
    } finally {
      clearTimeout(safety);
    }
  }, 90_000);

  it('concurrent train calls give the bits of the same calls run one at a time', async () => {
    const net = TwoLayerNet.create({ width: 60, inputDim: 1, seed: 2 });
    const plans: TrainOptions[] = [
      { method: 'newton', iterations: 15 },
      { method: 'gauss-newton', iterations: 15 },
      { method: 'gd', iterations: 400 },
      { method: 'adam', iterations: 400, learningRate: 0.01 },
      { method: 'newton', iterations: 15, solver: 'structured' },
    ];
    const together = await Promise.all(plans.map((o) => train(net, data, o)));
    const alone: TrainingRun[] = [];
    for (const o of plans) alone.push(await train(net, data, o));
    together.forEach((run, k) => expect(fingerprint(run), `plan ${k}`).toBe(fingerprint(alone[k]!)));
    expect(fingerprint(together[0]!)).not.toBe(fingerprint(together[1]!));
  }, 60_000);

  it('abort stops one long call while the others run on', async () => {
    const net = TwoLayerNet.create({ width: 100, inputDim: 1, seed: 3 });
    const abort = new AbortController();
    let records = 0;
    const long = train(net, data, {
      method: 'gd',
      iterations: 1e9,
      signal: abort.signal,
      onStep: () => {
        if (++records === 50) abort.abort();
      },
    });
    const short = train(net, data, { method: 'newton', iterations: 5 });
    const [aborted, finished] = await Promise.all([long, short]);
    expect(aborted.stoppedBecause).toBe('aborted');
    expect(aborted.history.length).toBeGreaterThanOrEqual(50);
    expect(finished.stoppedBecause).toBe('iterations');
  });

  it('errors raised on the call thread reach JavaScript as the same NntkError as the sync twin', async () => {
    const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 4 });
    const o = { solver: 'dense', regularization: { lambda: 0 }, curvature: 'gauss-newton' } as const;
    const sync = caught(() => newtonStepSync(net, datasets.paperFigure1(), o));
    const rejected = await newtonStep(net, datasets.paperFigure1(), o).then(() => undefined, (e: unknown) => e);
    expect(rejected).toBeInstanceOf(NntkError);
    expect(rejected).toMatchObject({ code: 'E_SINGULAR', message: sync.message });
    // A callback's own exception rejects train with that very value, and stops the loop.
    const thrown = new RangeError('from onStep');
    await expect(train(net, data, { method: 'gd', iterations: 1e9, onStep: () => { throw thrown; } })).rejects.toBe(thrown);
    await expect(train(net, data, { method: 'gd', iterations: 1e9, onStep: () => { throw 'a string'; } })).rejects.toBe('a string');
  });

  it('a Worker terminated (or exiting) mid-call, and process.exit() with a call in flight, do not crash the process', () => {
    const dist = pathToFileURL(join(root, 'dist', 'index.js')).href;
    const r = spawnSync(process.execPath, [join(root, 'test', 'fixtures', 'long-call-teardown.mjs'), dist], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toMatch(/FATAL|terminate|Aborted|Segmentation|core dumped/);
    expect(r.stdout.trim().split('\n')).toEqual([
      'terminated during train',
      'terminated during a dense step',
      'worker exited during train',
      'main thread: iterations, dense-ldlt',
      'exit',
    ]);
    expect(r.status).toBe(0);
  }, 60_000);
});
