/**
 * Every operation gives the same bits at setThreads(1), 2, 3 and 4 (docs/MATH.md section 4, "Thread-count
 * independence"): sums over neurons run over fixed slots (native/core/parallel.hpp), the dense matrices
 * are factored on fixed tiles (native/core/tiled_blas.hpp), OpenBLAS always runs at one thread.
 *
 * Results are compared as bytes: every Float64Array's buffer and every number's float64 bits, in a
 * canonical walk of the result. Only wall-clock fields (seconds, timings) are left out. The sizes are
 * past workerCount()'s threshold (width * M >= 65536), so the threaded paths run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  curvatureSpectrumSync,
  Dataset,
  getThreads,
  newtonStepSync,
  nntkGramLimitSync,
  nntkCrossSync,
  nntkGramSync,
  ntkCrossSync,
  ntkGramLimitSync,
  ntkGramSync,
  oneStepGridSync,
  setThreads,
  train,
  TwoLayerNet,
} from '../src/index.js';
import { rng, uniforms } from './helpers.js';

const COUNTS = [1, 2, 3, 4];

/** A canonical byte string of a result: keys sorted, numbers and arrays as hex of their float64 bytes. */
function fingerprint(value: unknown): string {
  const parts: string[] = [];
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const walk = (v: unknown): void => {
    if (v instanceof TwoLayerNet) return walk(v.parameters());
    if (v instanceof Float64Array) {
      parts.push(`f64[${v.length}]:${hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`);
    } else if (ArrayBuffer.isView(v)) {
      parts.push(`view:${hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`);
    } else if (typeof v === 'number') {
      parts.push(`n:${hex(new Uint8Array(Float64Array.of(v).buffer))}`);
    } else if (Array.isArray(v)) {
      parts.push('[');
      v.forEach(walk);
      parts.push(']');
    } else if (v instanceof Error) {
      parts.push(`error:${(v as { code?: string }).code ?? ''}:${v.message}`);
    } else if (v && typeof v === 'object') {
      parts.push('{');
      for (const key of Object.keys(v).sort()) {
        if (/seconds|timings|^time$|^brief$|^full$/i.test(key)) continue;  // wall-clock time, and the reports that print it
        parts.push(`${key}=`);
        walk((v as Record<string, unknown>)[key]);
      }
      parts.push('}');
    } else {
      parts.push(`${typeof v}:${String(v)}`);
    }
  };
  walk(value);
  return parts.join(',');
}

/** The fingerprint of compute() at each thread count; all must agree with the one at one thread. */
async function expectSameBits(compute: () => unknown | Promise<unknown>) {
  const prints: string[] = [];
  for (const n of COUNTS) {
    setThreads(n);
    prints.push(fingerprint(await compute()));
  }
  const first = prints[0] ?? '';
  prints.forEach((print, k) => {
    let at = 0;
    while (at < first.length && print[at] === first[at]) at++;
    const where = at === first.length && print.length === at ? '' : `${first.slice(Math.max(0, at - 80), at)} [${first.slice(at, at + 40)} vs ${print.slice(at, at + 40)}]`;
    expect(where, `threads ${COUNTS[k]} against 1: first difference after`).toBe('');
  });
}

function problem(width: number, M: number, inputDim: number, seed: number, activation: 'tanh' | 'softplus' = 'tanh') {
  const rand = rng(seed);
  const x = uniforms(rand, M * inputDim, -1, 1);
  const y = Float64Array.from({ length: M }, (_, m) => {
    const t = x[m * inputDim] ?? 0;
    return Math.sin(3 * t) + 0.5 * t * t;
  });
  const data = Dataset.create({ x, y, inputDim });
  const net = TwoLayerNet.create({ width, inputDim, seed, activation });
  return { net, data };
}

let before = 1;
beforeAll(() => {
  before = getThreads();
});
afterAll(() => {
  setThreads(before);
});

// Structured sizes: width * M = 131 168 and 65 560 with M = 32 and 40, odd widths.
const wide = problem(4099, 32, 1, 1);
const wide2 = problem(1639, 40, 2, 2, 'softplus');
// Dense sizes: P = 2100 (inputDim 1) and 2000 (inputDim 3), past the 256-tile Cholesky's single tile.
const dense = problem(701, 96, 1, 3);
const dense3 = problem(401, 200, 3, 4);
const reg = { gamma: 1e-3 };

describe('thread-count independence: steps', () => {
  for (const curvature of ['newton', 'gauss-newton'] as const) {
    for (const spectrum of ['inertia', 'extremal'] as const) {
      it(`structured ${curvature}, spectrum ${spectrum}`, async () => {
        for (const p of [wide, wide2])
          await expectSameBits(() => newtonStepSync(p.net, p.data, { regularization: reg, curvature, spectrum, solver: 'structured' }));
      });
      it(`dense ${curvature}, spectrum ${spectrum}`, async () => {
        for (const p of [dense, dense3])
          await expectSameBits(() => newtonStepSync(p.net, p.data, { regularization: reg, curvature, spectrum, solver: 'dense' }));
      });
    }
  }
  it('dense Newton on an indefinite system (the LDL^T fallback)', async () => {
    await expectSameBits(() => newtonStepSync(dense.net, dense.data, { regularization: { lambda: 1e-9 }, solver: 'dense' }));
  });
  it('curvatureSpectrumSync, both curvatures: secular extremes with vectors, trace, Frobenius, histogram, SLQ; bisection', async () => {
    const options = { regularization: reg, smallest: 2, largest: 2, eigenvectors: true, frobenius: true,
                      histogram: { edges: [-1, 0, 1e-3, 1] }, density: { probes: 2, steps: 8, seed: 3 } };
    for (const curvature of ['newton', 'gauss-newton'] as const) {
      for (const p of [wide, wide2]) await expectSameBits(() => curvatureSpectrumSync(p.net, p.data, { ...options, curvature }));
      await expectSameBits(() => curvatureSpectrumSync(wide.net, wide.data, { regularization: reg, curvature, method: 'bisection' }));
    }
  });
});

describe('thread-count independence: kernels', () => {
  it('ntkGramSync and nntkGramSync', async () => {
    for (const p of [wide, wide2]) {
      await expectSameBits(() => ntkGramSync(p.net, p.data));
      for (const curvature of ['newton', 'gauss-newton'] as const)
        await expectSameBits(() => nntkGramSync(p.net, p.data, { regularization: reg, curvature }));
    }
  });
  it('ntkCrossSync and nntkCrossSync (test rows against training columns, and test diagonals)', async () => {
    for (const p of [wide, wide2]) {
      const test = uniforms(rng(9), 7 * p.net.inputDim, -1.5, 1.5);
      await expectSameBits(() => ntkCrossSync(p.net, p.data, test));
      for (const curvature of ['newton', 'gauss-newton'] as const)
        await expectSameBits(() => nntkCrossSync(p.net, p.data, test, { regularization: reg, curvature }));
    }
  });
  it('ntkGramLimitSync and nntkGramLimitSync', async () => {
    const { data } = problem(1, 120, 2, 5);
    await expectSameBits(() => ntkGramLimitSync(data));
    await expectSameBits(() => nntkGramLimitSync(data, { gamma: 1e-3 }));
  });
  it('oneStepGridSync, both curvatures', async () => {
    const regularizations = [{ gamma: 1e-3 }, { gamma: 1e-1 }];
    for (const curvature of ['gauss-newton', 'newton'] as const)
      await expectSameBits(() => oneStepGridSync(wide.net, wide.data, { regularizations, curvature }));
  });
});

describe('thread-count independence: the network', () => {
  it('predict, loss, gradient, jacobian', async () => {
    for (const p of [wide, wide2]) {
      await expectSameBits(() => p.net.predict(p.data.x));
      await expectSameBits(() => p.net.loss(p.data));
      await expectSameBits(() => p.net.gradient(p.data));
      await expectSameBits(() => p.net.jacobian(p.data));
    }
  });
  it('hessian, both curvatures', async () => {
    for (const curvature of ['newton', 'gauss-newton'] as const)
      await expectSameBits(() => dense.net.hessian(dense.data, { curvature }));
  });
});

describe('thread-count independence: training', () => {
  for (const method of ['newton', 'gauss-newton'] as const) {
    it(`${method}, structured and dense`, async () => {
      await expectSameBits(() => train(wide.net, wide.data, { method, iterations: 3, regularization: reg, solver: 'structured' }));
      await expectSameBits(() => train(dense.net, dense.data, { method, iterations: 2, regularization: reg, solver: 'dense' }));
    });
  }
  for (const method of ['gd', 'adam'] as const) {
    it(method, async () => {
      for (const p of [wide, wide2])
        await expectSameBits(() => train(p.net, p.data, { method, iterations: 5, learningRate: 0.05 }));
    });
  }
});
