/**
 * Sweep specs: the JSON Schema (the published copy is the one the code validates with), errors that name
 * the file, line, field and value, grid expansion and its generators, defaults (equal work has equal
 * keys however it is written), trials seeded as `nntk reproduce` seeds them, data files entering by their
 * content, and shards that partition the jobs with balanced cost.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { resolveData } from '../src/experiments/data-ref.js';
import { jobCost, jobKey, type OneStepJob, type TrainJob } from '../src/experiments/jobs.js';
import { runTrainJob } from '../src/experiments/train-job.js';
import { datasets, train, TwoLayerNet } from '../src/index.js';
import { trialSeed } from '../src/experiments/paper-grid.js';
import { axisValues, expandSpec, planSweep } from '../src/sweep/expand.js';
import { sweepSchema } from '../src/sweep/schema.js';
import { parseShard, shardFromEnvironment, shardJobs } from '../src/sweep/shard.js';
import { checkSpec, fieldPath, type SweepSpec } from '../src/sweep/spec.js';

const scratch = mkdtempSync(join(tmpdir(), 'nntk-spec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const root = new URL('..', import.meta.url).pathname;

function write(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('the schema', () => {
  it('the published docs/sweep-spec.schema.json is the schema the code validates with, and is valid draft 2020-12', () => {
    const published = JSON.parse(readFileSync(join(root, 'docs', 'sweep-spec.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(sweepSchema())));
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
    expect(() => ajv.compile(published)).not.toThrow();
  });

  it('the example spec in docs/ is valid and plans its jobs', () => {
    const plan = planSweep(join(root, 'docs', 'examples', 'width-sweep.yaml'));
    expect(plan.jobs.length).toBe(2 * 7 * 4 + 3 + 2);
  });
});

describe('spec errors name the place and the field', () => {
  const cases: [string, string, RegExp][] = [
    ['bad-type.yaml', 'sweeps:\n  - experiment: one-step\n    fixed: { gammas: [0.1] }\n    grid:\n      width: [10, 20, "x"]\n', /bad-type\.yaml:5:\d+: sweeps\[0\]\.grid\.width\[2\]: must be integer \(got "x"\)/],
    ['typo.yaml', 'sweeps:\n  - experiment: one-step\n    fixed: { gammas: [0.1], widht: 4 }\n', /typo\.yaml:3:\d+: sweeps\[0\].fixed: unknown field 'widht'/],
    ['enum.json', '{"jobs": [{"experiment": "train", "method": "newtn", "width": 3, "iterations": 4}]}', /enum\.json:1:\d+: jobs\[0\]\.method: must be one of "newton", "gauss-newton", "gd", "adam" \(got "newtn"\)/],
    ['experiment.yaml', 'jobs:\n  - { experiment: fit, width: 3 }\n', /jobs\[0\]\.experiment: must be one of "one-step", "train", "kernel"/],
    ['missing.yaml', 'jobs:\n  - { experiment: train, method: gd, width: 3 }\n', /jobs\[0\]: missing field 'iterations'/],
    ['empty.yaml', 'name: nothing\n', /must have required property 'sweeps'|missing field 'sweeps'/],
    ['syntax.yaml', 'sweeps: [\n', /syntax\.yaml:\d+:\d+: not valid YAML/],
    ['syntax.json', '{"sweeps": [}', /syntax\.json:\d+:\d+: not valid JSON/],
    ['dup.yaml', 'name: a\nname: b\njobs: []\n', /not valid YAML/],
  ];
  for (const [file, text, pattern] of cases) {
    it(file, () => {
      const e = errorOf(() => planSweep(write(file, text)));
      expect(e.code).toBe('E_ARGUMENT');
      expect(e.message).toMatch(pattern);
    });
  }

  it('a generated value is checked as part of its job (range [0, 3] gives width 0)', () => {
    const e = errorOf(() => expandSpec(checkSpec({ sweeps: [{ experiment: 'one-step', fixed: { gamma: 0.1 }, grid: { width: { range: [0, 3] } } }] }), scratch));
    expect(e.message).toMatch(/sweeps\[0\] \(width=0\): width: must be >= 1/);
  });

  it('what the schema cannot say is said by the planner: gamma and gammas, a missing gamma, trials with seeds', () => {
    expect(errorOf(() => expandSpec(checkSpec({ jobs: [{ experiment: 'one-step', width: 3, gamma: 0.1, gammas: [0.1] }] }), scratch)).message).toMatch(/'gamma' or 'gammas', not both/);
    expect(errorOf(() => expandSpec(checkSpec({ jobs: [{ experiment: 'one-step', width: 3 }] }), scratch)).message).toMatch(/jobs\[0\]: missing 'gammas'/);
    expect(errorOf(() => expandSpec(checkSpec({ sweeps: [{ experiment: 'one-step', fixed: { width: 3, gamma: 1, seed: 2 }, trials: { count: 2 } }] }), scratch)).message).toMatch(/'trials' sets each job's seed/);
    expect(errorOf(() => expandSpec(checkSpec({ sweeps: [{ experiment: 'one-step', grid: { width: { range: [1, 5, 0] } } }] }), scratch)).message).toMatch(/sweeps\[0\]\.grid\.width: range \[1, 5, 0\] is empty or endless/);
  });

  it('fieldPath writes JSON pointers as the user reads them', () => {
    expect(fieldPath('/sweeps/0/grid/width/2')).toBe('sweeps[0].grid.width[2]');
    expect(fieldPath('')).toBe('(the spec)');
  });
});

describe('expansion', () => {
  it('generators: range, logspace (integer), linspace', () => {
    expect(axisValues({ range: [0, 5] }, 'a')).toEqual([0, 1, 2, 3, 4]);
    expect(axisValues({ range: [10, 0, -3] }, 'a')).toEqual([10, 7, 4, 1]);
    expect(axisValues({ logspace: [1, 3, 5], integer: true }, 'a')).toEqual([10, 32, 100, 316, 1000]);
    expect(axisValues({ logspace: [0, 0, 3], integer: true }, 'a')).toEqual([1]);
    expect(axisValues({ linspace: [0, 1, 5] }, 'a')).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(() => axisValues({ range: [0, 5, -1] }, 'a')).toThrow(/empty or endless/);
  });

  it('the top-level block of docs/API.md: experiment, fixed, grid; dataset by figure name', () => {
    const plan = expandSpec(checkSpec({ experiment: 'one-step', fixed: { dataset: 'figure2', seed: 3 }, grid: { width: [10, 20], gamma: [0.1, 0.01] } }), scratch);
    expect(plan.jobs.map((j) => [j.width, (j as OneStepJob).gammas[0], j.label, j.seed])).toEqual([[10, 0.1, 'figure2', 3], [10, 0.01, 'figure2', 3], [20, 0.1, 'figure2', 3], [20, 0.01, 'figure2', 3]]);
    expect(plan.jobs[0]!.data).toEqual({ kind: 'builtin', name: 'paper-figure2' });
    expect(errorOf(() => checkSpec({ experiment: 'one-step', grid: { widht: [1] } })).message).toMatch(/grid: unknown field 'widht'/);
    expect(errorOf(() => checkSpec({ grid: { width: [1] }, jobs: [{ experiment: 'one-step', width: 1, gamma: 1 }] })).message).toMatch(/experiment/);
  });

  it('the grid is the cartesian product, last axis fastest, with defaults filled in', () => {
    const plan = expandSpec(checkSpec({ sweeps: [{ experiment: 'one-step', fixed: { gammas: [0.01, 0.1] }, grid: { width: [10, 20], activation: ['tanh', 'erf', 'sin'] } }] }), scratch);
    expect(plan.jobs.map((j) => [j.width, j.activation])).toEqual([[10, 'tanh'], [10, 'erf'], [10, 'sin'], [20, 'tanh'], [20, 'erf'], [20, 'sin']]);
    expect(plan.jobs[0]).toEqual({
      experiment: 'one-step', width: 10, seed: 0, beta: 0.52, activation: 'tanh', data: { kind: 'builtin', name: 'paper-figure1' },
      label: 'figure1', curvature: 'gauss-newton', trial: 0, gammas: [0.1, 0.01], limit: { kind: 'exact' },
    });
  });

  it('the same work written differently has the same key; duplicates are dropped', () => {
    const a = expandSpec(checkSpec({ jobs: [{ experiment: 'one-step', width: 10, gammas: [0.01, 0.1] }] }), scratch).jobs[0]!;
    const b = expandSpec(checkSpec({ defaults: { beta: 0.52, dataset: { builtin: 'paper-figure1' } }, jobs: [{ experiment: 'one-step', width: 10, seed: 0, activation: 'tanh', gammas: [0.1, 0.01], limit: 'exact', curvature: 'gauss-newton' }] }), scratch).jobs[0]!;
    expect(jobKey(a)).toBe(jobKey(b));
    const c = expandSpec(checkSpec({ jobs: [{ experiment: 'one-step', width: 10, gamma: 0.1 }, { experiment: 'one-step', width: 10, gammas: [0.1] }] }), scratch);
    expect(c.jobs).toHaveLength(1);
    expect(c.duplicates).toBe(1);
  });

  it('trials seed networks as nntk reproduce does', () => {
    const plan = expandSpec(checkSpec({ sweeps: [{ experiment: 'one-step', fixed: { gamma: 1 }, grid: { width: [10, 100] }, trials: { count: 3, baseSeed: 7 } }] }), scratch);
    const steps = plan.jobs as OneStepJob[];
    expect(steps.map((j) => [j.width, j.trial, j.seed])).toEqual([10, 100].flatMap((w) => [0, 1, 2].map((t) => [w, t, trialSeed(7, w, t)])));
  });

  it('train and kernel defaults', () => {
    const plan = expandSpec(checkSpec({ jobs: [{ experiment: 'train', method: 'gd', width: 5, iterations: 3 }, { experiment: 'kernel', width: 5, label: 'k' }] }), scratch);
    expect(plan.jobs[0]).toMatchObject({ data: { kind: 'builtin', name: 'paper-figure3' }, record: { perDecade: 20 }, diagnostics: { components: true, ntkModes: false } });
    expect(plan.jobs[1]).toMatchObject({ kernels: ['ntk', 'nntk'], gammas: [1e-3], limit: false, label: 'k', curvature: 'gauss-newton' });
  });
});

describe("the Gauss-Newton paper's setting in train jobs", () => {
  it('init, outputScale, loss and huberDelta reach the job only when not the default (earlier keys stay), and the job trains that setting', async () => {
    const base = { experiment: 'train' as const, method: 'gauss-newton' as const, width: 6, iterations: 3 };
    const plain = expandSpec(checkSpec({ jobs: [base] }), scratch).jobs[0]!;
    const defaults = expandSpec(checkSpec({ jobs: [{ ...base, init: 'paper', outputScale: 1, loss: 'square' }] }), scratch).jobs[0]!;
    expect(jobKey(defaults)).toBe(jobKey(plain));
    const moons = join(scratch, 'moons.json');
    const data = datasets.twoMoons({ points: 16, seed: 2 });
    writeFileSync(moons, JSON.stringify({ x: Array.from({ length: 16 }, (_, m) => [data.x[2 * m], data.x[2 * m + 1]]), y: Array.from(data.y) }));
    const job = expandSpec(checkSpec({ jobs: [{ ...base, init: 'symmetric', outputScale: 2, loss: 'logistic', dataset: moons, trainable: ['b', 'W'], outputWeights: 'signs' }] }), scratch).jobs[0] as TrainJob;
    expect(job).toMatchObject({ init: 'symmetric', outputScale: 2, loss: 'logistic', trainable: ['W', 'b'], outputWeights: 'signs', diagnostics: { components: true } });
    expect(jobKey(expandSpec(checkSpec({ jobs: [{ ...base, trainable: ['c', 'b', 'W'] }] }), scratch).jobs[0]!)).toBe(jobKey(plain));
    expect(jobKey(job)).not.toBe(jobKey(plain));
    const result = await runTrainJob(job, data);
    const direct = await train(TwoLayerNet.create({ width: 6, inputDim: 2, seed: 0, init: 'symmetric', outputScale: 2, trainable: ['W', 'b'], outputWeights: 'signs' }), data, { method: 'gauss-newton', iterations: 3, loss: 'logistic', record: { perDecade: 20 } });
    expect(result.metrics.finalLoss).toBe(direct.history.at(-1)!.loss);
    expect(result.metrics.finalAccuracy).toBe(direct.history.at(-1)!.accuracy);
    expect(direct.net.parameters().c).toEqual(TwoLayerNet.create({ width: 6, inputDim: 2, seed: 0, init: 'symmetric', outputWeights: 'signs' }).parameters().c);
    expect(() => expandSpec(checkSpec({ jobs: [{ ...base, huberDelta: 0.5 }] }), scratch)).toThrow(/needs loss 'huber'/);
    expect(() => expandSpec(checkSpec({ jobs: [{ ...base, width: 5, init: 'symmetric' }] }), scratch)).toThrow(/must be even/);
    expect(() => expandSpec(checkSpec({ jobs: [{ ...base, loss: 'huber', diagnostics: { ntkModes: true } }] }), scratch)).toThrow(/ntkModes/);
    expect(() => checkSpec({ jobs: [{ ...base, outputScale: 0 }] })).toThrow(/outputScale/);
  });
});

describe('data files', () => {
  it('CSV (header, chosen columns) and JSON files load, enter the key by content, and a changed file is refused', () => {
    const csv = write('d.csv', 'a,b,target\n0,1,0.5\n0.5,2,1.5\n1,3,-1\n');
    write('d.json', JSON.stringify({ x: [[0, 1], [0.5, 2], [1, 3]], y: [0.5, 1.5, -1] }));
    const plan = expandSpec(checkSpec({ jobs: [
      { experiment: 'one-step', width: 4, gamma: 0.1, dataset: 'd.csv' },
      { experiment: 'one-step', width: 4, gamma: 0.1, dataset: { file: 'd.json' } },
      { experiment: 'one-step', width: 4, gamma: 0.1, dataset: { file: 'd.csv', x: ['b'], y: 'a' } },
      { experiment: 'one-step', width: 4, gamma: 0.1, dataset: { x: [[0, 1], [0.5, 2], [1, 3]], y: [0.5, 1.5, -1] } },
    ] }), scratch);
    const [fromCsv, fromJson, picked, inline] = plan.jobs.map((j) => resolveData(j.data));
    expect(Array.from(fromCsv!.x)).toEqual([0, 1, 0.5, 2, 1, 3]);
    expect(Array.from(fromCsv!.y)).toEqual([0.5, 1.5, -1]);
    expect(fromJson!.x).toEqual(fromCsv!.x);
    expect(inline!.y).toEqual(fromCsv!.y);
    expect(Array.from(picked!.x)).toEqual([1, 2, 3]);
    expect(Array.from(picked!.y)).toEqual([0, 0.5, 1]);
    expect(plan.jobs[0]!.label).toBe('d.csv');
    // The key follows the content, not the path.
    const moved = write('copy.csv', readFileSync(csv, 'utf8'));
    const again = expandSpec(checkSpec({ jobs: [{ experiment: 'one-step', width: 4, gamma: 0.1, dataset: moved, label: 'd.csv' }] }), scratch).jobs[0]!;
    expect(jobKey(again)).toBe(jobKey(plan.jobs[0]!));
    writeFileSync(csv, 'a,b,target\n0,1,0.5\n0.5,2,1.5\n1,3,-2\n');
    expect(errorOf(() => resolveData(plan.jobs[0]!.data)).message).toMatch(/has changed since the sweep was planned/);
  });

  it('bad files say what is wrong and where', () => {
    write('bad.csv', 'x,y\n1,2\n3,oops\n');
    write('bad.json', '{"x": [1, 2], "y": [1]}');
    const plan = (data: unknown) => () => expandSpec(checkSpec({ jobs: [{ experiment: 'one-step', width: 4, gamma: 0.1, dataset: data }] }), scratch);
    expect(errorOf(plan('bad.csv')).message).toMatch(/jobs\[0\]\.dataset: row 3, column 'y': 'oops' is not a finite number/);
    expect(errorOf(plan('bad.json')).message).toMatch(/"x" must be an array of 1 numbers/);
    expect(errorOf(plan('missing.csv')).message).toMatch(/cannot read .*missing\.csv \(ENOENT\)/);
    expect(errorOf(plan({ file: 'bad.csv', y: 'z' })).message).toMatch(/no column 'z'/);
    expect(errorOf(plan('paper-figure9')).message).toMatch(/neither a built-in data set/);
  });
});

describe('shards', () => {
  const spec: SweepSpec = { sweeps: [{ experiment: 'one-step', fixed: { gamma: 0.1, limit: 'none' }, grid: { width: { logspace: [1, 5, 30], integer: true }, seed: { range: [0, 7] } } }] };
  const jobs = expandSpec(checkSpec(spec), scratch).jobs;

  it('partition the jobs: disjoint, complete, independent of the order jobs are listed in, balanced in cost', () => {
    for (const count of [1, 2, 3, 8]) {
      const shards = Array.from({ length: count }, (_, index) => shardJobs(jobs, { index, count }));
      const keys = shards.flatMap((s) => s.map(jobKey));
      expect(new Set(keys).size).toBe(jobs.length);
      expect(keys).toHaveLength(jobs.length);
      const reversed = Array.from({ length: count }, (_, index) => shardJobs([...jobs].reverse(), { index, count }).map(jobKey).sort());
      expect(reversed).toEqual(shards.map((s) => s.map(jobKey).sort()));
      const loads = shards.map((s) => s.reduce((sum, j) => sum + jobCost(j), 0));
      const largest = Math.max(...jobs.map(jobCost));
      // Greedy largest-first is within one job of the best split.
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(largest + 1e-12);
    }
  });

  it('parsed from --shard and from Slurm array variables', () => {
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    for (const bad of ['8/8', '1', '-1/2', 'a/b', '0/0']) expect(() => parseShard(bad)).toThrow(/expected i\/n/);
    expect(shardFromEnvironment({})).toBeNull();
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '2' })).toEqual({ index: 3, count: 4 });
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' })).toEqual({ index: 0, count: 2 });
  });
});
