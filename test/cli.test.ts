/**
 * The `nntk` command line as a user runs it: a subprocess at a tiny scale. Files, CSV columns and exit
 * codes; values in trials.csv recomputed from their seeds with the public API (an exact step, withStep,
 * the limit kernel); resuming after SIGKILL gives the rows of an uninterrupted run bit for bit; the report
 * redrawn without recomputation and opened in headless Chromium (skipped, with the reason printed, when no
 * browser is installed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasets, newtonStepSync, nntkGramLimitSync, nntkGramSync, relativeFrobeniusError, TwoLayerNet } from '../src/index.js';
import { proxySeed } from '../src/experiments/paper-grid.js';
import { checkReportInBrowser, findChromium } from './browser.js';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'dist', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'nntk-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function nntk(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Minimal CSV reader for the files nntk writes (quoted fields where needed). */
function readCsv(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const split = (line: string) => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (let k = 0; k < line.length; k++) {
      const ch = line[k]!;
      if (quoted) {
        if (ch === '"' && line[k + 1] === '"') (cur += '"'), k++;
        else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') out.push(cur), (cur = '');
      else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const header = split(lines[0]!);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, k) => [header[k]!, v])));
}

const TINY = ['--widths', '10,100,3000', '--gammas', '1e-1,1e-2,1e-5', '--trials', '2', '--iterations', '300', '--threads', '2'];

describe('nntk: flags, help and exit codes', () => {
  it('prints the version and help on every command', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(pkg.bin.nntk).toBe('./dist/cli/main.js');
    expect(nntk(['--version'])).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
    for (const args of [['--help'], ['reproduce', '--help'], ['report', '--help']]) {
      const r = nntk(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: nntk/);
    }
    expect(nntk(['reproduce', '--help']).stdout).toMatch(/--curvature <curvature>[\s\S]*gauss-newton[\s\S]*--limit/);
  });

  it('exits with 2 and names the flag and what it accepts', () => {
    const cases: [string[], RegExp][] = [
      [['reproduce', 'figure9'], /<figure> 'figure9'.*figure1, figure2, figure3, all/],
      [['reproduce', 'all', '--scale', 'huge'], /--scale.*'huge'.*quick, paper/],
      [['reproduce', 'all', '--curvature', 'hessian'], /--curvature.*gauss-newton, newton, both/],
      [['reproduce', 'all', '--limit', 'x'], /--limit.*exact, proxy/],
      [['reproduce', 'all', '--trials', '0'], /--trials.*integer from 1/],
      [['reproduce', 'all', '--threads', 'many'], /--threads.*integer from 1/],
      [['reproduce', 'all', '--seed', '-1'], /--seed.*integer >= 0/],
      [['reproduce', 'all', '--widths', '10,abc'], /--widths.*positive integers/],
      [['reproduce', 'all', '--gammas', '0'], /--gammas.*positive numbers/],
      [['reproduce', 'all', '--no-such-flag'], /unknown option '--no-such-flag'/],
      [['reproduce'], /missing required argument 'figure'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = nntk(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('an --out that cannot be a directory fails with 1 and names --out', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    for (const out of [file, join(file, 'below'), '/proc/nntk-cannot-be-here']) {
      const r = nntk(['reproduce', 'figure1', '--out', out, '--widths', '10', '--trials', '1']);
      expect(r.status, out).toBe(1);
      expect(r.stderr, out).toMatch(/--out .*(not a directory|cannot create)/);
    }
  });

  it('nntk report on a directory without a store fails with 1 and says why', () => {
    const r = nntk(['report', join(scratch, 'nothing-here')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/results\.sqlite/);
  });
});

describe('nntk reproduce all at a tiny scale', () => {
  const out = join(scratch, 'all');
  let summary: Record<string, any>;
  beforeAll(() => {
    const r = nntk(['reproduce', 'all', '--out', out, '--json', ...TINY]);
    expect(r.status, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout);
  });

  it('writes the report, one SVG per panel and the data files, and says where', () => {
    for (const f of ['index.html', 'results.sqlite', 'trials.csv', 'trials.json', 'training.csv', 'summary.json',
      'figure-1a.svg', 'figure-1b.svg', 'figure-2a.svg', 'figure-2b.svg', 'figure-3-loss-iterations.svg',
      'figure-3-loss-seconds.svg', 'figure-5-components.svg', 'figure-5-modes.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(statSync(join(out, f)).size, f).toBeGreaterThan(100);
    }
    expect(summary.index).toBe(join(out, 'index.html'));
    // 2 figures x 3 widths x 2 trials one-step jobs + 4 methods x 2 seeds training jobs.
    expect(summary.jobs).toMatchObject({ total: 20, done: 20, failed: 0, skipped: 0 });
  });

  it('trials.csv has one row per (figure, curvature, width, gamma, trial) with the documented columns', () => {
    const rows = readCsv(join(out, 'trials.csv'));
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['figure', 'curvature', 'width', 'gamma', 'trial', 'seed', 'lambda',
      'one_step_loss', 'one_step_loss_linearized', 'one_step_loss_limit', 'max_neuron_update', 'nntk_error']));
    expect(rows).toHaveLength(2 * 3 * 3 * 2);
    const keys = new Set(rows.map((r) => `${r.figure}|${r.curvature}|${r.width}|${r.gamma}|${r.trial}`));
    expect(keys.size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.figure))).toEqual(new Set(['figure1', 'figure2']));
    expect(rows.every((r) => r.curvature === 'gauss-newton' && r.error === '')).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'trials.json'), 'utf8'))).toHaveLength(rows.length);
  });

  it('rows recomputed from their seeds with the public API agree', () => {
    const rows = readCsv(join(out, 'trials.csv'));
    const picks = [rows[0]!, rows.find((r) => r.width === '3000' && r.gamma === '0.00001')!, rows.find((r) => r.figure === 'figure2' && r.width === '100')!];
    for (const row of picks) {
      const data = row.figure === 'figure1' ? datasets.paperFigure1() : datasets.paperFigure1({ frequency: 20 });
      const net = TwoLayerNet.create({ width: Number(row.width), inputDim: 1, beta: 0.52, seed: Number(row.seed) });
      const gamma = Number(row.gamma);
      const step = newtonStepSync(net, data, { regularization: { gamma }, curvature: 'gauss-newton', solver: 'dense' });
      const yy = data.y.reduce((s, v) => s + v * v, 0);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      expect(rel(Number(row.lambda), step.lambda)).toBeLessThan(1e-15);
      expect(rel(Number(row.one_step_loss), net.withStep(step.step).loss(data) / yy)).toBeLessThan(1e-6);
      let max = 0;
      for (let i = 0; i < net.width; i++) max = Math.max(max, Math.hypot(step.step.W[i]!, step.step.b[i]!, step.step.c[i]!));
      expect(rel(Number(row.max_neuron_update), max)).toBeLessThan(1e-6);
      const K = nntkGramSync(net, data, { regularization: { gamma }, curvature: 'gauss-newton' });
      const limit = nntkGramLimitSync(data, { gamma });
      expect(rel(Number(row.nntk_error), relativeFrobeniusError(K, limit))).toBeLessThan(1e-6);
      // The linearized losses: f_0 + K (y - f_0), by hand.
      const f0 = net.predict(data.x);
      const M = data.size;
      const lossWith = (G: Float64Array) => {
        let s = 0;
        for (let a = 0; a < M; a++) {
          let g = 0;
          for (let b = 0; b < M; b++) g += G[a * M + b]! * (data.y[b]! - f0[b]!);
          s += (f0[a]! + g - data.y[a]!) ** 2;
        }
        return s / (2 * M * yy);
      };
      expect(rel(Number(row.one_step_loss_linearized), lossWith(K))).toBeLessThan(1e-6);
      expect(rel(Number(row.one_step_loss_limit), lossWith(limit))).toBeLessThan(1e-9);
    }
  });

  it('training.csv logs each method and seed on a log grid with component and mode errors', () => {
    const rows = readCsv(join(out, 'training.csv'));
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['method', 'seed', 'iteration', 'loss', 'seconds', 'lambda',
      'component_x', 'component_sin_2_pi_x', 'component_sin_16_pi_x', 'mode_1', 'mode_128']));
    expect(new Set(rows.map((r) => r.method))).toEqual(new Set(['gd', 'adam', 'gauss-newton', 'newton']));
    for (const method of ['gd', 'newton']) {
      const its = rows.filter((r) => r.method === method && r.seed === '0').map((r) => Number(r.iteration));
      expect(its[0]).toBe(0);
      expect(its.at(-1)).toBe(300);
      expect(its.length).toBeLessThan(80);
    }
    // Record 0 is the untrained network of seed 0: its loss is the initial loss.
    const first = rows.find((r) => r.method === 'gd' && r.seed === '0' && r.iteration === '0')!;
    const net = TwoLayerNet.create({ width: 1000, inputDim: 1, beta: 0.52, seed: 0 });
    expect(Number(first.loss)).toBeCloseTo(net.loss(datasets.paperFigure3()), 13);
  });

  it('summary.json holds the fitted exponents, rates and eigenvalues', () => {
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.figure2a).toHaveLength(3);
    expect(s.figure2b).toHaveLength(3);
    for (const f of [...s.figure2a, ...s.figure2b]) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['curvature', 'gamma', 'exponent', 'ci95']));
      expect(f.ci95[0]).toBeLessThanOrEqual(f.exponent);
      expect(f.ci95[1]).toBeGreaterThanOrEqual(f.exponent);
    }
    expect(s.figure3.map((r: { method: string }) => r.method)).toEqual(['gd', 'adam', 'gauss-newton', 'newton']);
    expect(s.figure1a.ntk[0]).toBe(1);
    expect(s.figure1a.nntk).toHaveLength(3);
    expect(s.run.command).toMatch(/^nntk reproduce all/);
  });

  it('a rerun with the same --out recomputes nothing', () => {
    const before = readFileSync(join(out, 'trials.csv'), 'utf8');
    const r = nntk(['reproduce', 'all', '--out', out, '--json', ...TINY]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).jobs).toMatchObject({ total: 20, skipped: 20, failed: 0 });
    expect(readFileSync(join(out, 'trials.csv'), 'utf8')).toBe(before);
  });

  it('nntk report redraws the report from the store alone', () => {
    rmSync(join(out, 'index.html'));
    rmSync(join(out, 'figure-2a.svg'));
    const r = nntk(['report', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'figure-2a.svg'))).toBe(true);
    expect(JSON.parse(r.stdout).status).toEqual({ done: 20 });
  });

  const chromium = findChromium();
  if (chromium === null) console.warn('cli.test.ts: the browser check is skipped: no /usr/bin/chromium (npm test installs it when run as root)');
  it.skipIf(chromium === null)('the report renders in headless Chromium: every figure, the expected series, no errors', async () => {
    const check = await checkReportInBrowser(out, chromium);
    expect(check.consoleErrors).toEqual([]);
    expect(check.pageErrors).toEqual([]);
    expect(check.networkRequests).toEqual([]);
    // Series from the run's parameters: 3 gammas, 4 methods, 5 target components, modes 1, 2, 4, ..., 128.
    const expected: Record<string, number> = {
      'figure-1a': 1 + 3, // NTK + NNTK per gamma
      'figure-1b': 3 + 3, // finite width and infinite-width loss per gamma
      'figure-2a': 3 + 1, // per gamma + the reference slope
      'figure-2b': 3 + 1,
      'figure-3-loss-iterations': 4,
      'figure-3-loss-seconds': 4,
      'figure-5-components': 4 * 5,
      'figure-5-modes': 4 * 8,
      spectrum: 2, // the exact histogram and its stochastic Lanczos estimate
    };
    expect(check.figures.map((f) => f.id)).toEqual(Object.keys(expected));
    for (const f of check.figures) {
      expect(f.hasSvg && f.width > 100 && f.height > 100, f.id).toBe(true);
      expect(f.drawnSeries, f.id).toBe(expected[f.id]);
    }
  });
});

describe('nntk reproduce --curvature both', () => {
  it('writes Gauss-Newton and Newton rows; a Newton row is the true regularized Hessian step of its network', () => {
    const out = join(scratch, 'both');
    const r = nntk(['reproduce', 'figure2', '--curvature', 'both', '--widths', '10,50,200', '--trials', '1', '--gammas', '1e-1,1e-4', '--out', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    const rows = readCsv(join(out, 'trials.csv'));
    expect(rows).toHaveLength(2 * 3 * 2);
    expect(new Set(rows.map((x) => x.curvature))).toEqual(new Set(['gauss-newton', 'newton']));
    const row = rows.find((x) => x.curvature === 'newton' && x.width === '200' && x.gamma === '0.0001')!;
    const data = datasets.paperFigure1({ frequency: 20 });
    const net = TwoLayerNet.create({ width: 200, inputDim: 1, beta: 0.52, seed: Number(row.seed) });
    const step = newtonStepSync(net, data, { regularization: { gamma: 1e-4 }, curvature: 'newton', solver: 'dense' });
    const yy = data.y.reduce((t, v) => t + v * v, 0);
    expect(Number(row.negative_eigenvalues)).toBe(step.inertia.negative);
    expect(Math.abs(Number(row.one_step_loss) - net.withStep(step.step).loss(data) / yy) / Number(row.one_step_loss)).toBeLessThan(1e-9);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.figure2a.map((f: { curvature: string }) => f.curvature).sort()).toEqual(['gauss-newton', 'gauss-newton', 'newton', 'newton']);
  });

  it('a run too small for a fit still writes its report, without the fit', () => {
    const out = join(scratch, 'tiny');
    const r = nntk(['reproduce', 'figure2', '--widths', '10,200', '--trials', '1', '--gammas', '1e-1', '--out', out, '-q']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).figure2a).toEqual([]);
  });
});

describe('nntk reproduce --limit proxy', () => {
  it("measures against the paper's stand-in: the NNTK of one width-10^6 network, recorded and rebuilt from its seed", () => {
    const out = join(scratch, 'proxy');
    const r = nntk(['reproduce', 'figure1', '--limit', 'proxy', '--widths', '10,100', '--trials', '1', '--gammas', '1e-1,1e-3', '--out', out, '--json', '-q']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout).summary;
    const seed = Number(/seed (\d+)/.exec(summary.figure1a.source)![1]);
    expect(seed).toBe(proxySeed(0));
    const data = datasets.paperFigure1();
    const proxy = TwoLayerNet.create({ width: 1e6, inputDim: 1, beta: 0.52, seed });
    const row = readCsv(join(out, 'trials.csv')).find((x) => x.width === '100' && x.gamma === '0.001')!;
    const gamma = Number(row.gamma);
    const net = TwoLayerNet.create({ width: 100, inputDim: 1, beta: 0.52, seed: Number(row.seed) });
    const K = nntkGramSync(net, data, { regularization: { gamma }, curvature: 'gauss-newton' });
    const reference = nntkGramSync(proxy, data, { regularization: { gamma }, curvature: 'gauss-newton' });
    expect(Math.abs(Number(row.nntk_error) - relativeFrobeniusError(K, reference)) / Number(row.nntk_error)).toBeLessThan(1e-8);
  });
});

describe('nntk reproduce resumes after SIGKILL', () => {
  it('a run killed mid-way and restarted ends with the rows of an uninterrupted run, bit for bit', async () => {
    const args = ['reproduce', 'figure1', '--widths', '10,1000,30000,100000', '--trials', '3', '--threads', '2', '-q'];
    const clean = join(scratch, 'clean');
    expect(nntk([...args, '--out', clean]).status).toBe(0);
    const killed = join(scratch, 'killed');
    const child = spawn(process.execPath, [bin, ...args, '--out', killed], { stdio: 'ignore' });
    // Kill it once some, but not all, jobs are committed.
    const store = join(killed, 'results.sqlite');
    const { default: Database } = await import('better-sqlite3');
    const started = Date.now();
    let done = 0;
    while (Date.now() - started < 30000) {
      await new Promise((r) => setTimeout(r, 20));
      if (!existsSync(store)) continue;
      try {
        const db = new Database(store, { readonly: true });
        done = (db.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'done'").get() as { n: number }).n;
        db.close();
      } catch {
        continue;
      }
      if (done >= 1) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(done).toBeGreaterThanOrEqual(1);
    const resumed = nntk([...args, '--out', killed, '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const jobs = JSON.parse(resumed.stdout).jobs;
    expect(jobs.skipped).toBeGreaterThanOrEqual(1);
    expect(jobs.done).toBe(jobs.total);
    const strip = (path: string) => readCsv(path).map(({ seconds: _s, ...rest }) => rest);
    expect(strip(join(killed, 'trials.csv'))).toEqual(strip(join(clean, 'trials.csv')));
  }, 60000);
});

describe('nntk export: saved networks and runs as .npy', () => {
  const dir = join(scratch, 'export');
  const hex = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  const data = datasets.paperFigure1();
  const net = TwoLayerNet.create({ width: 9, inputDim: 1, seed: 4, trainable: ['W', 'b'], outputScale: 2 });
  const netFile = join(dir, 'net.json');
  const runFile = join(dir, 'run.json');
  const csv = join(dir, 'data.csv');
  let trained: TwoLayerNet;
  beforeAll(async () => {
    const { mkdirSync } = await import('node:fs');
    const { train, trainingRunToJSON } = await import('../src/index.js');
    mkdirSync(dir, { recursive: true });
    writeFileSync(netFile, JSON.stringify(net));
    const run = await train(net, data, { method: 'gauss-newton', iterations: 3 });
    trained = run.net;
    writeFileSync(runFile, JSON.stringify(trainingRunToJSON(run)));
    const rows = Array.from(data.y, (y, m) => `${data.x[m]},${y}`);
    writeFileSync(csv, `x,y\n${rows.join('\n')}\n`);
  });

  it('--npy writes W, b, c and a manifest that load back bit for bit; a saved run exports its trained network', async () => {
    const { fromNpy, netFromNpy } = await import('../src/index.js');
    for (const [file, expected] of [[netFile, () => net], [runFile, () => trained]] as const) {
      const out = join(dir, `npy-${file.endsWith('run.json') ? 'run' : 'net'}`);
      const r = nntk(['export', file, '--npy', out, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { files: string[] }).files).toHaveLength(4);
      const p = expected().parameters();
      const W = fromNpy(readFileSync(join(out, 'W.npy')));
      expect(W.shape).toEqual([9, 1]);
      expect(hex(W.data)).toBe(hex(p.W));
      expect(hex(fromNpy(readFileSync(join(out, 'c.npy'))).data)).toBe(hex(p.c));
      const back = netFromNpy({
        manifest: JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')),
        W: readFileSync(join(out, 'W.npy')), b: readFileSync(join(out, 'b.npy')), c: readFileSync(join(out, 'c.npy')),
      });
      expect(hex(back.flatParameters())).toBe(hex(expected().flatParameters()));
      expect(back).toMatchObject({ trainable: ['W', 'b'], outputScale: 2 });
    }
  });

  it('--kernel ntk / nntk and --jacobian on a CSV file equal the library\'s matrices bit for bit', async () => {
    const { fromNpy, ntkGramSync } = await import('../src/index.js');
    const read = (name: string) => fromNpy(readFileSync(join(dir, name)));
    const M = data.size;
    expect(nntk(['export', netFile, '--kernel', 'ntk', '--data', csv, '--out', join(dir, 'K.npy'), '-q'])).toMatchObject({ status: 0, stderr: '' });
    expect(read('K.npy').shape).toEqual([M, M]);
    expect(hex(read('K.npy').data)).toBe(hex(ntkGramSync(net, data)));
    expect(nntk(['export', netFile, '--kernel', 'nntk', '--gamma', '1e-3', '--data', csv, '--out', join(dir, 'N.npy')]).status).toBe(0);
    expect(hex(read('N.npy').data)).toBe(hex(nntkGramSync(net, data, { regularization: { gamma: 1e-3 } })));
    expect(nntk(['export', netFile, '--jacobian', '--data', csv, '--out', join(dir, 'J.npy')]).status).toBe(0);
    expect(read('J.npy').shape).toEqual([M, net.trainableCount]);
    expect(hex(read('J.npy').data)).toBe(hex(net.jacobian(data)));
  });

  it.each([
    [['export', 'net.json'], 2, '--npy DIR'],
    [['export', 'NET', '--npy', 'd', '--jacobian'], 2, 'not --npy and --jacobian'],
    [['export', 'NET', '--kernel', 'ntk', '--out', 'k.npy'], 2, '--data FILE'],
    [['export', 'NET', '--jacobian', '--data', 'CSV'], 2, '--out FILE.npy'],
    [['export', 'NET', '--kernel', 'nntk', '--data', 'CSV', '--out', 'k.npy'], 2, '--gamma'],
    [['export', 'NET', '--kernel', 'ntk', '--gamma', '1', '--data', 'CSV', '--out', 'k.npy'], 2, '--gamma applies to --kernel nntk'],
    [['export', 'NET', '--kernel', 'gram'], 2, '--kernel'],
    [['export', 'NET', '--kernel', 'nntk', '--gamma', '-1'], 2, '--gamma'],
    [['export', 'NET', '--npy', 'd', '--data', 'CSV'], 2, '--data applies'],
    [['export'], 2, 'saved'],
    [['export', 'missing.json', '--npy', 'd'], 1, 'cannot read the saved network'],
    [['export', 'CSV', '--npy', 'd'], 1, 'cannot read the saved network'],
    [['export', 'BAD', '--npy', 'd'], 1, 'E_SHAPE'],
    [['export', 'NET', '--jacobian', '--data', 'missing.csv', '--out', 'j.npy'], 1, 'missing.csv'],
  ])('%j exits %i naming %s', (args, status, text) => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(JSON.stringify(net)), b: [1, 2] }));
    const real = args.map((a) => (a === 'NET' ? netFile : a === 'CSV' ? csv : a === 'BAD' ? bad : a === 'd' ? join(dir, 'unused') : a));
    const r = nntk(real);
    expect(r.status, r.stderr).toBe(status);
    expect(r.stderr).toContain(text);
  });
});
