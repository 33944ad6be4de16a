/**
 * The width-linear structured solver (docs/MATH.md section 4) and the streamed NTK Gram (section 5):
 * the exact step at width 10^6 with its peak memory, linear scaling in the width, the speed-up over the
 * dense solver, the NTK Gram against the DSYRK rate, the PyTorch NTK peer, and the dense/structured
 * crossover behind solver 'auto'.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, datasets, getThreads, newtonStepSync, ntkGramSync, TwoLayerNet } from '../src/index.js';
import { native } from '../src/native.js';
import { pythonWith } from './peers.js';
import { bestOf } from './timing.js';

const here = new URL('.', import.meta.url).pathname;

interface ProcessResult {
  seconds: number;
  maxRssMiB: number;
  timings?: Record<string, number>;
}

function inFreshProcess(what: 'step' | 'ntk', width: number, M: number, curvature = 'newton'): ProcessResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'step-process.ts'), what, String(width), String(M), curvature], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`step-process failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ProcessResult;
}


function equispaced(M: number): Dataset {
  const x = Float64Array.from({ length: M }, (_, m) => m / (M - 1));
  return Dataset.create({ x, y: x.map((t) => 2 * t + 0.4 * Math.sin(5 * Math.PI * t)), inputDim: 1 });
}

/** Writes the network for the PyTorch peer as a binary sidecar (W, b, c as little-endian float64). */
function torchNtkPeer(python: string, net: TwoLayerNet, data: Dataset): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'nntk-ntk-'));
  const p = net.parameters();
  const bin = new Float64Array(p.W.length + p.b.length + p.c.length);
  bin.set(p.W, 0);
  bin.set(p.b, p.W.length);
  bin.set(p.c, p.W.length + p.b.length);
  writeFileSync(join(dir, 'params.f64'), Buffer.from(bin.buffer));
  writeFileSync(join(dir, 'problem.json'), JSON.stringify({ x: Array.from(data.x), inputDim: 1, beta: net.beta, binary: 'params.f64', repeats: 2 }));
  const r = spawnSync(python, [join(here, 'peers', 'torch_ntk.py'), join(dir, 'problem.json')], {
    encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NNTK_PEER_THREADS: String(getThreads()) },
  });
  if (r.status !== 0) return { skipped: r.stderr.slice(-300) };
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  delete out.B;
  return out;
}

export function runStructuredBench(log: (line: string) => void) {
  const results: Record<string, unknown> = {};

  // 1. The exact step at width 10^6, M = 128, inputDim 1, in a fresh process.
  const big = inFreshProcess('step', 1_000_000, 128);
  const bigGN = inFreshProcess('step', 1_000_000, 128, 'gauss-newton');
  log(`exact Newton step, width 10^6, M = 128 (P = 3e6): ${big.seconds.toFixed(2)} s (goal <= 2 s), peak RSS ${big.maxRssMiB.toFixed(0)} MiB (goal < 600)`);
  log(`  phases: forward ${big.timings!.evaluation!.toFixed(2)} s, capacitance sweep ${big.timings!.assembly!.toFixed(2)} s, solve sweep ${big.timings!.solve!.toFixed(2)} s`);
  log(`exact Gauss-Newton step, same problem: ${bigGN.seconds.toFixed(2)} s, peak RSS ${bigGN.maxRssMiB.toFixed(0)} MiB`);
  // The floor of issue 10: the M^2 P flops of the capacitance's DSYRK folds at this process's DGEMM rate.
  const gemmRate = native().dgemmRate(2048, 3);
  const floor = (128 * 128 * 3_000_000) / (gemmRate * 1e9);
  const sweepShare = big.timings!.assembly! / big.seconds;
  log(`  against the floor M^2 P / DGEMM rate (${gemmRate.toFixed(1)} GFLOP/s, n = 2048): ${floor.toFixed(2)} s -> step ${(big.seconds / floor).toFixed(2)}x ` +
      `(goal <= 3x), the capacitance sweep alone ${(big.timings!.assembly! / floor).toFixed(2)}x (${(100 * sweepShare).toFixed(0)}% of the step)`);
  results.width1e6 = { newton: big, gaussNewton: bigGN, dgemmRate: gemmRate, floorSeconds: floor, overFloor: big.seconds / floor };

  // 2. Linear scaling.
  const w2 = inFreshProcess('step', 200_000, 128);
  const w4 = inFreshProcess('step', 400_000, 128);
  const ratio = w4.seconds / w2.seconds;
  log(`scaling: width 2e5 ${w2.seconds.toFixed(3)} s, 4e5 ${w4.seconds.toFixed(3)} s, ratio ${ratio.toFixed(2)} (goal in [1.8, 2.2])`);
  results.scaling = { w2e5: w2.seconds, w4e5: w4.seconds, ratio };

  // 3. Structured against dense at width 2000 (P = 6000) on the Figure 3 problem.
  const data3 = datasets.paperFigure3();
  const net2000 = TwoLayerNet.create({ width: 2000, inputDim: 1, seed: 0 });
  const o = { regularization: { gamma: 1e-3 } };
  const dense = bestOf(2, () => newtonStepSync(net2000, data3, { ...o, solver: 'dense' }));
  const structured = bestOf(5, () => newtonStepSync(net2000, data3, { ...o, solver: 'structured' }));
  log(`width 2000 (P = 6000): dense ${dense.toFixed(3)} s, structured ${structured.toFixed(4)} s -> ${(dense / structured).toFixed(0)}x (goal >= 50x)`);
  results.denseVsStructured = { dense, structured, ratio: dense / structured };

  // 3b. A loss other than the square one (docs/MATH.md section 1.3): the capacitance is rescaled after the
  // sweep and the step takes one more M x M product, so the step should cost the same as the square loss's.
  const width = 100_000;
  const netL = TwoLayerNet.create({ width, inputDim: 1, seed: 0 });
  const labels = Dataset.create({ x: data3.x, y: data3.y.map((v) => (v > 2 ? 1 : -1)) });
  const lossCells: string[] = [];
  const lossTimes: Record<string, number> = {};
  newtonStepSync(netL, data3, { ...o, solver: 'structured' });  // warm-up: the first call pays page faults (measured 1.3x)
  for (const loss of ['square', 'logistic', 'huber'] as const) {
    const d = loss === 'logistic' ? labels : data3;
    lossTimes[loss] = bestOf(3, () => newtonStepSync(netL, d, { ...o, solver: 'structured', loss }));
    lossCells.push(`${loss} ${lossTimes[loss]!.toFixed(3)} s (${(lossTimes[loss]! / lossTimes.square!).toFixed(2)}x)`);
  }
  log(`structured Newton step by loss, width 10^5, M = 128: ${lossCells.join(', ')} (goal <= 1.05x the square loss)`);
  results.losses = lossTimes;

  // 4. NTK Gram at width 10^6, M = 128, against the DSYRK rate for the same output size.
  const ntk = inFreshProcess('ntk', 1_000_000, 128);
  const flops = 128 * 128 * 3_000_000; // M^2 P useful flops of J J^T (lower triangle counted once per pair, times 2)
  const ntkRate = flops / ntk.seconds / 1e9;
  const syrkRate = native().dsyrkRate(128, 24576, 3);
  log(`ntkGram width 10^6, M = 128: ${ntk.seconds.toFixed(2)} s = ${ntkRate.toFixed(1)} GFLOP/s vs DSYRK ${syrkRate.toFixed(1)} GFLOP/s (n = 128, k = 24576, all threads): ${(ntkRate / syrkRate).toFixed(2)} (goal >= 0.5); peak RSS ${ntk.maxRssMiB.toFixed(0)} MiB`);
  results.ntk = { seconds: ntk.seconds, rate: ntkRate, dsyrkRate: syrkRate, ratio: ntkRate / syrkRate, maxRssMiB: ntk.maxRssMiB };

  // 5. PyTorch peer: one backward pass per data point, then J J^T / M (the paper's code).
  const torch = pythonWith('torch');
  for (const M of [16, 128]) {
    const data = equispaced(M);
    const net = TwoLayerNet.create({ width: 1_000_000, inputDim: 1, seed: 0 });
    const ours = bestOf(2, () => ntkGramSync(net, data));
    if (!torch) {
      log(`NTK Gram width 10^6, M = ${M}: nntk ${ours.toFixed(3)} s; PyTorch peer skipped (python3-torch not installed)`);
      continue;
    }
    const peer = torchNtkPeer(torch, net, data);
    const total = peer.total_s as number | undefined;
    log(total
      ? `NTK Gram width 10^6, M = ${M}: nntk ${ours.toFixed(3)} s, PyTorch (backward per point) ${total.toFixed(3)} s -> ${(total / ours).toFixed(1)}x; PyTorch peak RSS ${(peer.peak_rss_mb as number).toFixed(0)} MB`
      : `NTK Gram width 10^6, M = ${M}: nntk ${ours.toFixed(3)} s; PyTorch peer failed: ${String(peer.skipped)}`);
    results[`torchNtkM${M}`] = { nntk: ours, peer };
  }

  // 6. Crossover behind solver 'auto': dense against structured by width, M = 128 and M = 16.
  const crossover: Record<string, unknown>[] = [];
  for (const [name, data] of [['M=128', data3], ['M=16', datasets.paperFigure1()]] as const) {
    const cells: string[] = [];
    for (const width of [5, 10, 20, 40, 80, 160]) {
      const net = TwoLayerNet.create({ width, inputDim: 1, seed: 0 });
      const d = bestOf(5, () => newtonStepSync(net, data, { ...o, solver: 'dense' }));
      const s = bestOf(5, () => newtonStepSync(net, data, { ...o, solver: 'structured' }));
      const auto = newtonStepSync(net, data, o).solver.split('-')[0];
      cells.push(`N=${width}: dense ${(d * 1e3).toFixed(2)} ms, structured ${(s * 1e3).toFixed(2)} ms, auto ${auto}`);
      crossover.push({ data: name, width, dense: d, structured: s, auto });
    }
    log(`crossover ${name}: ${cells.join('; ')}`);
  }
  results.crossover = crossover;
  return results;
}
