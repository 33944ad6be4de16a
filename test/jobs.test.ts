/**
 * The job layer under `nntk reproduce` (and the sweeps to come): canonical JSON and job keys, the
 * derived seeds, the thread partition, and the store's transactions and reclaiming.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, type Job, jobKey, type OneStepJob } from '../src/experiments/jobs.js';
import { trialSeed, trainingSeed } from '../src/experiments/paper-grid.js';
import { partitionThreads } from '../src/runner/pool.js';
import { ResultsStore } from '../src/store/results-store.js';

const scratch = mkdtempSync(join(tmpdir(), 'nntk-jobs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const job = {
  experiment: 'one-step', label: 'figure1', data: { kind: 'builtin', name: 'paper-figure1' }, curvature: 'gauss-newton', width: 100,
  trial: 3, seed: 42, beta: 0.52, activation: 'tanh', gammas: [0.1, 0.01], limit: { kind: 'exact' },
} satisfies OneStepJob;

describe('job keys', () => {
  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":1,"z":0}]},"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ a: Infinity })).toThrow(/Infinity/);
  });

  it('equal parameters give equal keys whatever their order; any change gives another key', () => {
    const reordered = Object.fromEntries(Object.entries(job).reverse()) as unknown as Job;
    expect(jobKey(reordered)).toBe(jobKey(job));
    expect(jobKey(job)).toMatch(/^[0-9a-f]{32}$/);
    const variants: OneStepJob[] = [{ ...job, width: 101 }, { ...job, gammas: [0.01, 0.1] }, { ...job, limit: { kind: 'proxy', width: 1e6, seed: 1 } }, { ...job, label: 'figure2' }, { ...job, data: { kind: 'builtin', name: 'paper-figure2' } }];
    expect(new Set([job, ...variants].map(jobKey)).size).toBe(6);
  });
});

describe('seeds', () => {
  it('trial seeds are pure, distinct per (width, trial), safe integers, and the same for both figures', () => {
    expect(trialSeed(0, 100, 3)).toBe(trialSeed(0, 100, 3));
    const seeds = new Set<number>();
    for (const width of [10, 20, 1e6]) for (let t = 0; t < 50; t++) seeds.add(trialSeed(7, width, t));
    expect(seeds.size).toBe(150);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
    expect(trialSeed(1, 100, 3)).not.toBe(trialSeed(0, 100, 3));
    expect(trainingSeed(5, 2)).toBe(7);
  });
});

describe('partitionThreads', () => {
  it('shares the threads out without oversubscribing', () => {
    const cores = availableParallelism();
    expect(partitionThreads(2, 100, 2)).toEqual({ workers: 2, threadsPerWorker: 1 });
    expect(partitionThreads(2, 1)).toEqual({ workers: 1, threadsPerWorker: 2 });
    expect(partitionThreads(8, 100, 3)).toEqual({ workers: 3, threadsPerWorker: 2 });
    expect(partitionThreads(1, 100, 4)).toEqual({ workers: 1, threadsPerWorker: 1 });
    const d = partitionThreads(64, 100);
    expect(d.workers).toBe(Math.min(cores, 64));
    expect(d.workers * d.threadsPerWorker).toBeLessThanOrEqual(64);
  });
});

describe('ResultsStore', () => {
  it('plans idempotently, commits a job with its rows, and reclaims jobs of dead processes', () => {
    const path = join(scratch, 'store.sqlite');
    const store = new ResultsStore(path, 'test');
    const keys = store.plan([job, job, { ...job, trial: 4 }]);
    expect(keys[0]).toBe(keys[1]);
    expect(store.plan([job])).toEqual([keys[0]]);
    const count = () => (store.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
    expect(count()).toBe(2);
    store.claim([keys[0]!]);
    const row = { figure: 'figure1', curvature: 'gauss-newton', width: 100, gamma: 0.1, trial: 3, seed: 42, beta: 0.52, lambda: 0.08, one_step_loss: 0.1, one_step_loss_linearized: 0.1, one_step_loss_limit: 0.1, max_neuron_update: 1, nntk_error: 0.1, negative_eigenvalues: 0, seconds: 0.001, error: null } as const;
    store.complete(keys[0]!, { trials: [row], metrics: { rows: 1 }, seconds: 0.01 });
    expect(store.jobs([keys[0]!])[0]!.status).toBe('done');
    expect(store.trials([keys[0]!])).toEqual([row]);
    // A job 'running' under a pid that no longer exists goes back to 'pending'.
    store.db.prepare("UPDATE jobs SET status = 'running', pid = 2147483646, host = (SELECT host FROM jobs WHERE key = ?) WHERE key = ?").run(keys[0], keys[2]);
    expect(store.reclaimAbandoned()).toEqual({ reclaimed: 1, failed: 0 });
    expect(store.jobs([keys[2]!])[0]!.status).toBe('pending');
    // A job whose process died maxAttempts times is failed instead, with the reason.
    store.db.prepare("UPDATE jobs SET status = 'running', pid = 2147483646, attempts = 3, host = (SELECT host FROM jobs WHERE key = ?) WHERE key = ?").run(keys[0], keys[2]);
    expect(store.reclaimAbandoned({ maxAttempts: 3 })).toEqual({ reclaimed: 0, failed: 1 });
    expect(store.jobs([keys[2]!])[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^crash: the process running this job died 3 times/) });
    // complete() is exactly once.
    expect(store.complete(keys[0]!, { trials: [row], metrics: { rows: 1 }, seconds: 0.01 })).toBe(false);
    // The results view: one row per job.
    const view = store.db.prepare('SELECT key, experiment, status, params, metrics FROM results ORDER BY key').all() as { key: string }[];
    expect(view.map((r) => r.key).sort()).toEqual([keys[0], keys[2]].sort());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    store.close();
  });
});

describe('runTrainJob', () => {
  it('a diverging run keeps its finite records and says it diverged', async () => {
    const { runTrainJob } = await import('../src/experiments/train-job.js');
    const { datasets } = await import('../src/dataset.js');
    const out = await runTrainJob(
      { experiment: 'train', label: 'figure3', data: { kind: 'builtin', name: 'paper-figure3' }, activation: 'tanh', method: 'gd', seed: 0, width: 50, beta: 0.52, iterations: 200, learningRate: 1e6, record: { perDecade: 5 }, diagnostics: { components: true, ntkModes: false } },
      datasets.paperFigure3(),
    );
    expect(out.metrics.stoppedBecause).toBe('diverged');
    expect(out.rows.length).toBeGreaterThan(0);
    expect(out.rows.every((r) => Number.isFinite(r.loss))).toBe(true);
    expect(out.metrics.componentNames).toHaveLength(5);
  });
});
