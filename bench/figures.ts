/**
 * Figures 1-2 at the paper's scale (docs/MATH.md section 6): both figures, 16 widths x 10 gammas x 100
 * networks, one exact Gauss-Newton step each, through `nntk reproduce` itself (worker threads, the
 * store, the report). Side by side in the same run: the Newton-curvature variant's cost per job (measured
 * on 2 networks per width, extrapolated to 100), and the paper's notebook algorithm in PyTorch (autograd
 * Jacobian, torch.linalg.solve, a forward pass per gamma) timed on single trials and extrapolated to the grid.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { reproduce } from '../src/cli/reproduce.js';
import { figureDataset, PAPER_GAMMAS, PAPER_WIDTHS, trialSeed } from '../src/experiments/paper-grid.js';
import { getThreads, nntkGramLimit, TwoLayerNet } from '../src/index.js';
import { pythonWith } from './peers.js';

const here = new URL('.', import.meta.url).pathname;
const TRIALS = 100;

export async function runFiguresBench(log: (line: string) => void) {
  const results: Record<string, unknown> = {};
  const threads = availableParallelism();
  const base = { scale: 'paper' as const, seed: 0, threads, limit: 'exact' as const, quiet: true };

  // 1. The paper's grid, Gauss-Newton (the paper's own code path), both figures.
  const out = join(here, 'out', 'figures-paper');
  rmSync(out, { recursive: true, force: true });
  const gn = await reproduce(['figure1', 'figure2'], { ...base, out, curvature: 'gauss-newton' }, 'bench: figures 1-2, paper scale');
  const rows = gn.report.rows.trials;
  log(`nntk reproduce figure1+figure2 --scale paper (${PAPER_WIDTHS.length} widths x ${PAPER_GAMMAS.length} gammas x ${TRIALS} networks x 2 figures = ${rows} steps): ` +
    `${gn.wallSeconds.toFixed(1)} s wall, ${gn.jobs.workers} workers x ${gn.jobs.threadsPerWorker} threads (goal <= 30 s)`);
  for (const key of ['figure2a', 'figure2b'] as const) {
    for (const fit of gn.report.summary[key] ?? []) {
      if (fit.gamma < 1e-3) continue;
      log(`  ${key} gamma ${fit.gamma}: exponent ${fit.exponent.toFixed(3)} (95% CI ${fit.ci95.map((v) => v.toFixed(3)).join(' .. ')}), paper ${fit.reference.toFixed(2)}, |diff| ${Math.abs(fit.exponent - fit.reference).toFixed(3)} (goal <= 0.08)`);
    }
  }
  results.gaussNewton = { wallSeconds: gn.wallSeconds, rows, summary: gn.report.summary };

  // 2. Newton curvature: 2 networks per width, both figures; the grid's cost extrapolated to 100 networks.
  const outNewton = join(here, 'out', 'figures-newton');
  rmSync(outNewton, { recursive: true, force: true });
  const nt = await reproduce(['figure1', 'figure2'], { ...base, out: outNewton, curvature: 'newton', trials: 2 }, 'bench: figures 1-2, Newton, 2 trials');
  const newtonGrid = nt.wallSeconds * (TRIALS / 2);
  log(`Newton curvature (true regularized Hessian, structured solver), 2 networks per (width, gamma): ${nt.wallSeconds.toFixed(1)} s -> ` +
    `${newtonGrid.toFixed(0)} s for the full grid, ${(newtonGrid / gn.wallSeconds).toFixed(1)}x the Gauss-Newton grid`);
  results.newton = { wallSecondsTwoTrials: nt.wallSeconds, extrapolatedGridSeconds: newtonGrid };

  // 3. The notebook's algorithm in PyTorch, on the same networks (trial 0 of figure 1).
  const torch = pythonWith('torch');
  if (!torch) {
    log('PyTorch notebook peer skipped: python3-torch is not installed (apt-get install python3-torch)');
    return results;
  }
  const data = figureDataset('figure1');
  const reference: number[][] = [];
  for (const gamma of PAPER_GAMMAS) reference.push(Array.from(await nntkGramLimit(data, { gamma })));
  const timed: { width: number; seconds: number }[] = [];
  for (const width of [1e3, 1e5, 1e6]) {
    const net = TwoLayerNet.create({ width, inputDim: 1, beta: 0.52, seed: trialSeed(0, width, 0) });
    const p = net.parameters();
    const dir = mkdtempSync(join(tmpdir(), 'nntk-fig-'));
    writeFileSync(join(dir, 'problem.json'), JSON.stringify({ x: Array.from(data.x), y: Array.from(data.y), W: Array.from(p.W), b: Array.from(p.b), c: Array.from(p.c), beta: 0.52, gammas: PAPER_GAMMAS, reference, repeats: width < 1e6 ? 3 : 1 }));
    const r = spawnSync(torch, [join(here, 'peers', 'torch_one_step.py'), join(dir, 'problem.json')], {
      encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NNTK_PEER_THREADS: String(getThreads()) },
    });
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0) {
      log(`PyTorch notebook peer failed at width ${width}: ${r.stderr.slice(-300)}`);
      return results;
    }
    const peer = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; points: { gamma: number; one_step_loss: number }[] };
    timed.push({ width, seconds: peer.seconds });
    log(`PyTorch notebook peer, one trial (10 gammas) at width ${width}: ${peer.seconds.toFixed(3)} s`);
  }
  // Cost model a + b N from the smallest and largest width, summed over the grid.
  const [small, , large] = timed as [{ width: number; seconds: number }, unknown, { width: number; seconds: number }];
  const slope = (large.seconds - small.seconds) / (large.width - small.width);
  const intercept = Math.max(small.seconds - slope * small.width, 0);
  const grid = 2 * TRIALS * PAPER_WIDTHS.reduce((s, w) => s + intercept + slope * w, 0);
  log(`PyTorch notebook algorithm extrapolated to the grid (2 figures x ${TRIALS} networks x 16 widths): ${grid.toFixed(0)} s = ${(grid / 60).toFixed(0)} min ` +
    `vs nntk ${gn.wallSeconds.toFixed(1)} s -> ${(grid / gn.wallSeconds).toFixed(0)}x`);
  results.torchPeer = { timed, extrapolatedGridSeconds: grid, ratio: grid / gn.wallSeconds };
  return results;
}
