/**
 * The infinite-width limit kernels (docs/MATH.md sections 5.1-5.2): ntkGramLimit for 256 points
 * equispaced over [-7, 7] (inputDim 1) for every activation, against the goals of nntk issue 10
 * (erf and sin <= 5 ms, tanh <= 0.5 s) and against the per-pair Gauss-Hermite rule that computed every
 * activation before (still reachable as the native method 'pair-quadrature'), measured in the same run,
 * with the largest difference between the two relative to max |B*|.
 */
import { ACTIVATIONS, type Activation, Dataset, ntkGramLimitSync } from '../src/index.js';
import { native } from '../src/native.js';
import { bestOf } from './timing.js';

export interface LimitKernelRow {
  activation: Activation;
  method: string;
  seconds: number;
  goalSeconds?: number;
  pairQuadratureSeconds: number;
  speedup: number;
  difference: number;
}

const GOALS: Partial<Record<Activation, number>> = { erf: 0.005, sin: 0.005, tanh: 0.5 };
const METHOD: Record<Activation, string> = {
  erf: 'closed form', sin: 'closed form', gelu: 'closed form',
  tanh: 'shared grid', sigmoid: 'shared grid', softplus: 'shared grid', silu: 'shared grid',
};


function relativeMaxDifference(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(b[k]!));
  }
  return diff / scale;
}

const ms = (s: number) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;

export async function runLimitKernelsBench(log: (line: string) => void, o: { M?: number } = {}): Promise<LimitKernelRow[]> {
  const M = o.M ?? 256;
  const x = Float64Array.from({ length: M }, (_, m) => -7 + (14 * m) / (M - 1));
  const data = Dataset.create({ x, y: new Float64Array(M) });
  log(`ntkGramLimit, ${M} points equispaced over [-7, 7] (inputDim 1); new: best of 5, per-pair rule: one run`);
  const rows: LimitKernelRow[] = [];
  for (const activation of ACTIVATIONS) {
    let B: Float64Array = new Float64Array(0);
    const seconds = bestOf(5, () => {
      B = ntkGramLimitSync(data, { activation });
    });
    const t0 = performance.now();
    const reference = native().ntkGramLimitSync(x, M, 1, activation, 'pair-quadrature');
    const pairQuadratureSeconds = (performance.now() - t0) / 1000;
    const row: LimitKernelRow = {
      activation, method: METHOD[activation], seconds, goalSeconds: GOALS[activation], pairQuadratureSeconds,
      speedup: pairQuadratureSeconds / seconds, difference: relativeMaxDifference(B, reference),
    };
    rows.push(row);
    const goal = row.goalSeconds === undefined ? '' : `, goal <= ${ms(row.goalSeconds)}: ${seconds <= row.goalSeconds ? 'met' : 'MISSED'}`;
    log(`  ${activation.padEnd(8)} ${METHOD[activation].padEnd(11)} ${ms(seconds).padStart(9)}${goal}; per-pair rule ${pairQuadratureSeconds.toFixed(2)} s ` +
        `(${row.speedup.toFixed(0)}x faster), max difference ${row.difference.toExponential(1)} of max |B*|`);
  }
  return rows;
}

/** The entry point bench/index.ts calls. */
export const run = runLimitKernelsBench;
