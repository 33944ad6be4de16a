/**
 * `nntk reproduce gauss-newton` (docs/MATH.md section 6.1): the clustered data's condition number, checked
 * against the eigenvalues of J^T J / M formed from the Jacobian, grows as the spread shrinks; the late-time
 * rate fit on curves of known rate; and the command at a reduced budget as a user runs it: both
 * experiments' figures written, every rate finite, the per-mode errors consistent with the loss, the
 * Gauss-Newton rate at the tightest clusters at the theory's -2 log(1 - alpha), the same numbers on a
 * second run, and the report redrawn from gauss-newton.json without recomputation.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ntkGramSync, symmetricEigen, TwoLayerNet } from '../src/index.js';
import { clusteredInputs, teacherOf } from '../src/experiments/clustered-data.js';
import { CONDITIONING_SETTING, conditionOf, conditioningProblem, expectedRank } from '../src/experiments/gauss-newton-conditioning.js';
import { DAMPING_SETTING, dampingData } from '../src/experiments/gauss-newton-damping.js';
import { lateRate, seedMean } from '../src/experiments/gauss-newton-rates.js';
import type { GaussNewtonResults } from '../src/experiments/gauss-newton-types.js';
import { checkReportInBrowser, findChromium } from './browser.js';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'dist', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'nntk-gn-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function nntk(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Eigenvalues of the symmetric n x n matrix A, descending. */
function eigenvaluesDescending(A: Float64Array, n: number): number[] {
  return Array.from(symmetricEigen(A, n).values).reverse();
}

describe('the clustered data of experiment (a)', () => {
  it('places perCluster equispaced inputs on [c - spread, c + spread] for each center', () => {
    const x = clusteredInputs([-1, 1], 3, 0.5);
    expect(Array.from(x)).toEqual([-1.5, -1, -0.5, 0.5, 1, 1.5]);
    expect(() => clusteredInputs([0], 3, 0)).toThrow(/spread/);
  });

  it('moves only the groups it is told to (a frozen output layer stays)', () => {
    const { net } = conditioningProblem(0.1, 0);
    const p = net.parameters();
    const t = teacherOf(net, 0.2, 5, ['W', 'b']).parameters();
    expect(Array.from(t.c)).toEqual(Array.from(p.c));
    expect(Array.from(t.W)).not.toEqual(Array.from(p.W));
  });

  it('has the rank of its start (P\' for the paper\'s init, P\'/2 for the symmetric one), and a condition number of J0^T J0 / M that grows as the spread shrinks', () => {
    const spreads = [1, 0.1, 0.01, 0.001];
    for (const seed of [0, 1]) {
      const conditions: number[] = [];
      for (const spread of spreads) {
        const { net, data } = conditioningProblem(spread, seed);
        const M = data.size;
        const P = net.trainableCount;  // J is M x P' (the output layer is frozen)
        expect(P).toBeLessThan(M);
        const rank = expectedRank(CONDITIONING_SETTING.model, M);
        expect(rank).toBe(CONDITIONING_SETTING.model.init === 'symmetric' ? P / 2 : P);
        const ntk = eigenvaluesDescending(ntkGramSync(net, data), M);
        const { condition, pastRank } = conditionOf(ntk, rank);
        // Independently: J^T J / M (P x P) from the Jacobian; its nonzero eigenvalues are the NTK's.
        const J = net.jacobian(data);
        const JtJ = new Float64Array(P * P);
        for (let a = 0; a < P; a++) {
          for (let b = 0; b < P; b++) {
            let s = 0;
            for (let m = 0; m < M; m++) s += J[m * P + a]! * J[m * P + b]!;
            JtJ[a * P + b] = s / M;
          }
        }
        const primal = eigenvaluesDescending(JtJ, P);
        for (let k = 0; k < rank; k++) expect(Math.abs(primal[k]! - ntk[k]!)).toBeLessThan(1e-12 * ntk[0]!);
        if (rank < P) expect(Math.abs(primal[rank]!)).toBeLessThan(1e-13 * primal[0]!); // the symmetric start's null space
        expect(pastRank).toBeLessThan(1e-13);
        expect(primal[rank - 1]! / primal[0]!).toBeGreaterThan(1e3 * pastRank);
        expect(condition).toBeCloseTo(primal[0]! / primal[rank - 1]!, -Math.log10(condition) + 6);
        conditions.push(condition);
      }
      for (let k = 1; k < conditions.length; k++) expect(conditions[k]!).toBeGreaterThan(10 * conditions[k - 1]!);
    }
  });

  it('gives the damping experiment an NTK Gram whose condition number exceeds 1e8', () => {
    const data = dampingData();
    expect(data.size).toBe(16);
    const net = TwoLayerNet.create({ ...DAMPING_SETTING.model, seed: 0 });
    expect(net.parameterCount).toBeGreaterThan(data.size);
    const ntk = eigenvaluesDescending(ntkGramSync(net, data), data.size);
    expect(ntk[0]! / ntk.at(-1)!).toBeGreaterThan(1e8);
  });
});

describe('the late-time rate', () => {
  it('recovers the rate of an exponential cut at the floor, and of the slow mode of a two-rate curve', () => {
    const t = Array.from({ length: 100 }, (_, k) => k);
    const single = t.map((k) => 3 * Math.exp(-0.7 * k) + 0); // falls below 1e-10 x 3 at k = 33
    const fit = lateRate(t, single, 1e-10)!;
    expect(fit.rate).toBeCloseTo(0.7, 10);
    expect(fit.window[1]).toBe(33);
    const two = t.map((k) => Math.exp(-2 * k) + 1e-3 * Math.exp(-0.01 * k));
    expect(lateRate(t, two, 1e-10)!.rate).toBeCloseTo(0.01, 6);
    expect(lateRate([0, 1], [1, 0.5], 1e-10)).toBeNull();
  });

  it('averages seeds with a Student-t interval', () => {
    const m = seedMean([1, 2, 3]);
    expect(m.mean).toBe(2);
    // t(0.975, 2) = 4.302652729911275, s = 1.
    expect(m.ci95[1] - 2).toBeCloseTo(4.302652729911275 / Math.sqrt(3), 8);
    expect(seedMean([5], [4, 6]).ci95).toEqual([4, 6]);
  });
});

describe('nntk reproduce gauss-newton at a reduced budget', () => {
  const out = join(scratch, 'gn');
  let results: GaussNewtonResults;
  let json: { files: string[]; findings: { conditioning: string[]; damping: string[] } };
  beforeAll(() => {
    const r = nntk(['reproduce', 'gauss-newton', '--out', out, '--trials', '2', '--iterations', '3000', '--threads', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    json = JSON.parse(r.stdout);
    results = JSON.parse(readFileSync(join(out, 'gauss-newton.json'), 'utf8'));
  });

  it('writes both experiments\' figures, the data file and the page with the computed findings', () => {
    for (const f of ['gauss-newton-a-rates.svg', 'gauss-newton-b-loss.svg', 'gauss-newton-b-modes.svg', 'index.html', 'gauss-newton.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(json.files).toContain(f);
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('arxiv.org/abs/2412.14031');
    expect(html).toContain('id="gauss-newton-a-rates"');
    expect(html).toContain('id="gauss-newton-b-modes"');
    for (const finding of [...results.findings.conditioning, ...results.findings.damping]) {
      expect(html).toContain(finding.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    }
    expect(json.findings).toEqual(results.findings);
    expect(results.findings.conditioning.length).toBeGreaterThanOrEqual(4);
    expect(results.findings.damping.length).toBeGreaterThanOrEqual(6);
  });

  it('fits a finite rate for every (spread, method) and every damping rule, from 2 seeds each', () => {
    expect(results.conditioning.points).toHaveLength(2 * (results.conditioning.setting.spreads as number[]).length);
    for (const p of results.conditioning.points) {
      expect(Number.isFinite(p.rate.mean), `${p.method} at spread ${p.spread}`).toBe(true);
      expect(p.rate.seeds).toBe(2);
      expect(p.rate.ci95[0]).toBeLessThanOrEqual(p.rate.mean);
      expect(p.rate.ci95[1]).toBeGreaterThanOrEqual(p.rate.mean);
      expect(p.condition).toBeGreaterThan(1);
    }
    for (const r of results.damping.rules) expect(Number.isFinite(r.rate.mean), r.rule).toBe(true);
    expect(Number.isFinite(results.conditioning.slopes['gauss-newton'])).toBe(true);
    expect(Number.isFinite(results.conditioning.slopes.gd)).toBe(true);
  });

  it('Gauss-Newton at -2 log(1 - alpha) per iteration at the tightest and the widest clusters; GD at 2 eta lambda_r where its budget sees the slowest mode, and far slower than Gauss-Newton at the tightest', () => {
    const spreads = results.conditioning.setting.spreads as number[];
    const alpha = CONDITIONING_SETTING.gaussNewton.alpha!;
    const gnTheory = -2 * Math.log(1 - alpha);
    for (const spread of [Math.min(...spreads), Math.max(...spreads)]) {
      for (const run of results.conditioning.runs.filter((r) => r.spread === spread)) {
        const gn = run.methods.find((m) => m.method === 'gauss-newton')!;
        expect(gn.rate!.rate).toBeGreaterThan(0.9 * gnTheory);
        expect(gn.rate!.rate).toBeLessThan(1.1 * gnTheory);
        const gd = run.methods.find((m) => m.method === 'gd')!;
        const theory = (2 * CONDITIONING_SETTING.gdStepTimesLambdaMax) / run.condition;
        if (spread === Math.max(...spreads)) {
          // 3000 iterations at rate 2 eta lambda_r >= 1e-2 see the slowest mode.
          expect(theory * 3000).toBeGreaterThan(10);
          expect(gd.rate!.rate).toBeGreaterThan(0.5 * theory);
          expect(gd.rate!.rate).toBeLessThan(2 * theory);
        } else {
          expect(gd.rate!.rate).toBeLessThan(1e-4 * gn.rate!.rate);
        }
      }
    }
  });

  it('records per-mode errors whose squares sum to 2M times the loss', () => {
    const M = results.damping.runs[0]!.records[0]!.modes.length;
    expect(M).toBe(16);
    let checked = 0;
    for (const run of results.damping.runs) {
      for (const rec of run.records) {
        const sum = rec.modes.reduce((s, v) => s + v * v, 0);
        expect(Math.abs(sum - 2 * M * rec.loss)).toBeLessThanOrEqual(1e-9 * 2 * M * rec.loss + 1e-28);
        checked++;
      }
      expect(run.modeRatios).toHaveLength(M);
    }
    expect(checked).toBeGreaterThan(100);
    // The initial residual is -y (f0 = 0 at the symmetric start): its loss is |y|^2 / 2M for every rule and seed.
    const y = dampingData().y;
    const L0 = y.reduce((s, v) => s + v * v, 0) / (2 * M);
    for (const run of results.damping.runs) expect(run.records[0]!.loss).toBeCloseTo(L0, 12);
  });

  const chromium = findChromium();
  if (chromium === null) console.warn('reproduce-gauss-newton.test.ts: the browser check is skipped: no /usr/bin/chromium');
  it.skipIf(chromium === null)('renders in headless Chromium: the three panels with the expected series, no errors', async () => {
    const check = await checkReportInBrowser(out, chromium);
    expect(check.consoleErrors).toEqual([]);
    expect(check.pageErrors).toEqual([]);
    expect(check.networkRequests).toEqual([]);
    // (a) 2 methods x (fitted, theory); (b) 4 rules; modes 1, 2, 4, 8, 16 in 4 facets.
    const expected: Record<string, number> = { 'gauss-newton-a-rates': 4, 'gauss-newton-b-loss': 4, 'gauss-newton-b-modes': 4 * 5 };
    expect(check.figures.map((f) => f.id)).toEqual(Object.keys(expected));
    for (const f of check.figures) {
      expect(f.hasSvg, f.id).toBe(true);
      expect(f.expectedSeries, f.id).toBe(expected[f.id]);
      expect(f.drawnSeries, f.id).toBe(f.expectedSeries);
      expect(f.width, f.id).toBeGreaterThan(300);
      expect(f.texts, f.id).toBeGreaterThan(10);
    }
  });

  it('gives the same numbers on a second run, and redraws the report from gauss-newton.json', () => {
    const again = join(scratch, 'gn-again');
    const r = nntk(['reproduce', 'gauss-newton', '--out', again, '--trials', '2', '--iterations', '3000', '--threads', '1', '-q']);
    expect(r.status, r.stderr).toBe(0);
    const second: GaussNewtonResults = JSON.parse(readFileSync(join(again, 'gauss-newton.json'), 'utf8'));
    expect(second.conditioning.points).toEqual(results.conditioning.points);
    expect(second.damping.rules).toEqual(results.damping.rules);
    rmSync(join(again, 'index.html'));
    const redraw = nntk(['report', again, '-q']);
    expect(redraw.status, redraw.stderr).toBe(0);
    expect(readFileSync(join(again, 'index.html'), 'utf8')).toContain('id="gauss-newton-b-loss"');
  });
});
