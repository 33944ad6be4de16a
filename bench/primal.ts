/**
 * Gauss-Newton in the underparameterized regime P < M (docs/MATH.md section 4.1): the primal solver (QR of
 * J or of [J; sqrt(M lambda) I]) against the dense (Cholesky of J^T J / M + lambda I) and structured
 * (Woodbury, M x M capacitance) solvers on the same step: M = 2048 points uniform in [-1, 1]^4 (at
 * inputDim 1 the tanh features are numerically dependent and J is rank deficient without regularization),
 * widths 10 .. 100 (seed 0). Times are the best of three; "vs primal" is the step's largest
 * difference from the primal step relative to its largest entry (E_SINGULAR where a solver refuses).
 */
import { Dataset, newtonStepSync, TwoLayerNet, type StepResult } from '../src/index.js';
import { bestOf } from './timing.js';

const M = 2048;
const WIDTHS = [10, 50, 100];
const INPUT_DIM = 4;
const LAMBDAS = [1e-3, 1e-8, 0];
const SOLVERS = ['primal', 'dense', 'structured'] as const;

export interface PrimalRow {
  width: number;
  P: number;
  lambda: number;
  solver: (typeof SOLVERS)[number];
  seconds?: number;
  factorization?: string;
  versusPrimal?: number;
  error?: string;
}

function flat(s: StepResult): Float64Array {
  return Float64Array.of(...s.step.W, ...s.step.b, ...s.step.c);
}

function data(): Dataset {
  let state = 12345;
  const uniform = () => {
    state = (state * 48271) % 2147483647;
    return (2 * state) / 2147483647 - 1;
  };
  const x = Float64Array.from({ length: M * INPUT_DIM }, uniform);
  const y = Float64Array.from({ length: M }, (_, m) => Math.sin(3 * x[m * INPUT_DIM]!) * Math.cos(2 * x[m * INPUT_DIM + 1]!) + x[m * INPUT_DIM + 2]! * x[m * INPUT_DIM + 3]!);
  return Dataset.create({ x, y, inputDim: INPUT_DIM });
}

export function runPrimalBench(log: (line: string) => void): PrimalRow[] {
  const d = data();
  const rows: PrimalRow[] = [];
  log(`M = ${M}; seconds (best of 3), and the step's difference from the primal one`);
  log('width      P    lambda  solver        seconds  factorization       vs primal');
  for (const width of WIDTHS) {
    const net = TwoLayerNet.create({ width, inputDim: INPUT_DIM, seed: 0 });
    for (const lambda of LAMBDAS) {
      let reference: Float64Array | undefined;
      for (const solver of SOLVERS) {
        const options = { regularization: { lambda }, curvature: 'gauss-newton' as const, solver };
        const row: PrimalRow = { width, P: net.parameterCount, lambda, solver };
        try {
          const step = newtonStepSync(net, d, options);
          row.seconds = bestOf(3, () => newtonStepSync(net, d, options));
          row.factorization = step.solver;
          const s = flat(step);
          if (solver === 'primal') reference = s;
          else if (reference) {
            let diff = 0;
            let scale = 0;
            s.forEach((v, k) => {
              diff = Math.max(diff, Math.abs(v - reference![k]!));
              scale = Math.max(scale, Math.abs(reference![k]!));
            });
            row.versusPrimal = diff / scale;
          }
        } catch (e) {
          row.error = (e as { code?: string }).code ?? String(e);
        }
        rows.push(row);
        log(
          `${String(width).padStart(5)} ${String(row.P).padStart(6)} ${lambda.toExponential(0).padStart(9)}  ${solver.padEnd(11)} ` +
            `${row.seconds === undefined ? '        -' : row.seconds.toFixed(4).padStart(9)}  ${(row.factorization ?? row.error ?? '').padEnd(18)} ` +
            `${row.versusPrimal === undefined ? '' : row.versusPrimal.toExponential(1)}`,
        );
      }
    }
  }
  return rows;
}
