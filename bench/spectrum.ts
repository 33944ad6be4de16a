/**
 * Spectra and predictions (docs/MATH.md section 4 "Spectra", section 5 "Predictions"), side by side in one run:
 * both extremal eigenvalues of C + lambda I at width 10^6 by the secular equations against one exact step (goal
 * <= 3x), the same against Haynsworth bisection at width 10^5 (with their agreement), the cost of one exact
 * histogram edge, the predictor at t = 1 against t = 10^6, and the cross kernels against the training Grams.
 */
import {
  curvatureSpectrumSync,
  datasets,
  LinearizedPredictor,
  linearizedTrajectory,
  newtonStepSync,
  nntkCrossSync,
  nntkGramSync,
  ntkCrossSync,
  ntkGramSync,
  TwoLayerNet,
} from '../src/index.js';
import { seconds } from './timing.js';


export function runSpectrumBench(log: (line: string) => void): Record<string, unknown> {
  const data = datasets.paperFigure3();
  const regularization = { gamma: 1e-3 };
  const out: Record<string, unknown> = {};

  // Both extremes at width 10^6 against one exact step of the same network (the step measured first and again after).
  const big = TwoLayerNet.create({ width: 1_000_000, inputDim: 1, seed: 0 });
  const [step1] = seconds(() => newtonStepSync(big, data, { regularization, solver: 'structured' }));
  const [spectrumSeconds, s] = seconds(() => curvatureSpectrumSync(big, data, { regularization }));
  const [step2] = seconds(() => newtonStepSync(big, data, { regularization, solver: 'structured' }));
  const step = Math.min(step1, step2);
  log(
    `both extremes, width 10^6, M = 128, Newton: ${spectrumSeconds.toFixed(2)} s in ${s.passes} passes = ${(spectrumSeconds / step).toFixed(2)}x ` +
      `one exact step (${step.toFixed(2)} s) (goal <= 3x); min ${s.minEigenvalue.toExponential(6)}, max ${s.maxEigenvalue.toExponential(6)}`,
  );
  const [edgeSeconds, h] = seconds(() => curvatureSpectrumSync(big, data, { regularization, histogram: { edges: [-1, 0, 1] } }));
  log(`exact histogram at width 10^6: ${((edgeSeconds - spectrumSeconds) / 3).toFixed(2)} s per edge (one Haynsworth pass); ${h.histogram!.counts.join(' + ')} eigenvalues in [-1, 0) and [0, 1)`);
  out.width1e6 = { spectrumSeconds, stepSeconds: step, ratio: spectrumSeconds / step, passes: s.passes, edgeSeconds: (edgeSeconds - spectrumSeconds) / 3 };

  // Secular against bisection at width 10^5, where bisection still takes under a minute.
  const mid = TwoLayerNet.create({ width: 100_000, inputDim: 1, seed: 0 });
  const [secular, a] = seconds(() => curvatureSpectrumSync(mid, data, { regularization }));
  const [bisection, b] = seconds(() => curvatureSpectrumSync(mid, data, { regularization, method: 'bisection' }));
  const radius = Math.max(Math.abs(a.minEigenvalue), Math.abs(a.maxEigenvalue));
  const agreement = Math.max(Math.abs(a.minEigenvalue - b.minEigenvalue), Math.abs(a.maxEigenvalue - b.maxEigenvalue)) / radius;
  log(
    `width 10^5: secular ${secular.toFixed(2)} s (${a.passes} passes) vs bisection ${bisection.toFixed(2)} s (${b.bisectionSteps} passes) = ` +
      `${(bisection / secular).toFixed(1)}x; the two agree to ${agreement.toExponential(1)} of the spectral radius (goal 1e-8)`,
  );
  out.width1e5 = { secular, bisection, speedup: bisection / secular, agreement };

  // Predictions: one decomposition, then any t at the same cost.
  const net = TwoLayerNet.create({ width: 1000, inputDim: 1, seed: 0 });
  const K = nntkGramSync(net, data, { regularization, curvature: 'gauss-newton' });
  const test = Float64Array.from({ length: 256 }, (_, k) => k / 255);
  const cross = nntkCrossSync(net, data, test, { regularization, curvature: 'gauss-newton' }).cross;
  const f0 = net.predict(data.x);
  const [build, p] = seconds(() => new LinearizedPredictor({ kernel: K, y: data.y, f0, cross, f0Test: net.predict(test) }));
  const repeat = (t: number) => seconds(() => { for (let k = 0; k < 100; k++) p.predict(t); })[0] / 100;
  const t1 = repeat(1);
  const t6 = repeat(1e6);
  const [loop] = seconds(() => linearizedTrajectory(K, data.y, f0, { steps: 1000 }));
  log(
    `predictor (M = 128, 256 test points): built in ${(build * 1e3).toFixed(1)} ms; predict(1) ${(t1 * 1e3).toFixed(3)} ms, ` +
      `predict(10^6) ${(t6 * 1e3).toFixed(3)} ms = ${(t6 / t1).toFixed(2)}x (goal ~1); the step loop takes ${(loop * 1e3).toFixed(0)} ms per 1000 steps ` +
      `(${((loop / 1000) * 1e6).toFixed(0)} s to reach t = 10^6 that way, training points only)`,
  );
  out.predictor = { buildSeconds: build, t1, t1e6: t6, loopPer1000: loop };

  // Cross kernels at width 10^5 against the Grams of the training points.
  const [gram] = seconds(() => ntkGramSync(mid, data));
  const [ntkC] = seconds(() => ntkCrossSync(mid, data, test));
  const [nntkG] = seconds(() => nntkGramSync(mid, data, { regularization }));
  const [nntkC] = seconds(() => nntkCrossSync(mid, data, test, { regularization }));
  log(
    `cross kernels, width 10^5, 256 test x 128 training points: NTK ${ntkC.toFixed(2)} s (training Gram ${gram.toFixed(2)} s), ` +
      `Newton NNTK ${nntkC.toFixed(2)} s (training NNTK ${nntkG.toFixed(2)} s)`,
  );
  out.cross = { ntkCross: ntkC, ntkGram: gram, nntkCross: nntkC, nntkGram: nntkG };
  return out;
}
