/**
 * A kernel job (docs/MATH.md section 5): the eigenvalues of one network's NTK Gram B = J J^T / M and of its
 * Newton NTK J (C + lambda I)^-1 J^T / M at each gamma, optionally beside those of the infinite-width
 * kernels B* and NNTK*. Each spectrum is stored whole (descending); the job's metrics are the numbers a
 * width sweep plots: the extreme eigenvalues, the condition number, the trace and the effective rank.
 */
import type { Dataset } from '../dataset.js';
import { nntkGramSync, ntkGramSync, symmetricEigen } from '../kernels.js';
import { nntkGramLimitSync, ntkGramLimitSync } from '../limit.js';
import { TwoLayerNet } from '../model.js';
import type { KernelJob } from './jobs.js';

/** One stored spectrum: eigenvalues in descending order. */
export interface SpectrumRecord {
  kernel: 'ntk' | 'nntk';
  source: 'finite' | 'limit';
  /** The NNTK's gamma; null for the NTK. */
  gamma: number | null;
  values: number[];
}

function descendingEigenvalues(matrix: Float64Array, n: number): number[] {
  return Array.from(symmetricEigen(matrix, n).values).reverse();
}

/**
 * Largest, smallest, largest / smallest (Infinity becomes null when the smallest is not positive), the
 * trace, and the effective rank (sum lambda)^2 / sum lambda^2 (a participation ratio: the number of
 * eigenvalues of comparable size).
 */
export function spectrumMetrics(values: readonly number[]): Record<string, number | null> {
  const largest = values[0]!;
  const smallest = values.at(-1)!;
  const trace = values.reduce((s, v) => s + v, 0);
  const squares = values.reduce((s, v) => s + v * v, 0);
  return {
    largest,
    smallest,
    condition: smallest > 0 ? largest / smallest : null,
    trace,
    effectiveRank: squares > 0 ? (trace * trace) / squares : null,
  };
}

function metricName(s: SpectrumRecord): string {
  return `${s.kernel}${s.source === 'limit' ? '_limit' : ''}${s.gamma === null ? '' : `@${s.gamma}`}`;
}

export function runKernelJob(job: KernelJob, data: Dataset): { spectra: SpectrumRecord[]; metrics: Record<string, unknown> } {
  const M = data.size;
  const net = TwoLayerNet.create({ width: job.width, inputDim: data.inputDim, beta: job.beta, seed: job.seed, activation: job.activation });
  const spectra: SpectrumRecord[] = [];
  if (job.kernels.includes('ntk')) {
    spectra.push({ kernel: 'ntk', source: 'finite', gamma: null, values: descendingEigenvalues(ntkGramSync(net, data), M) });
    if (job.limit) {
      spectra.push({ kernel: 'ntk', source: 'limit', gamma: null, values: descendingEigenvalues(ntkGramLimitSync(data, { activation: job.activation }), M) });
    }
  }
  if (job.kernels.includes('nntk')) {
    for (const gamma of job.gammas) {
      const K = nntkGramSync(net, data, { regularization: { gamma }, curvature: job.curvature });
      spectra.push({ kernel: 'nntk', source: 'finite', gamma, values: descendingEigenvalues(K, M) });
      if (job.limit) {
        spectra.push({ kernel: 'nntk', source: 'limit', gamma, values: descendingEigenvalues(nntkGramLimitSync(data, { gamma, activation: job.activation }), M) });
      }
    }
  }
  const metrics: Record<string, unknown> = { points: M };
  for (const s of spectra) {
    for (const [k, v] of Object.entries(spectrumMetrics(s.values))) metrics[`${metricName(s)}.${k}`] = v;
  }
  return { spectra, metrics };
}
