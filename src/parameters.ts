import type { Numbers } from './contract.js';
import { NntkError } from './errors.js';
import { describe, invalid } from './validate.js';

/** The flat neuron-major parameter order of docs/MATH.md section 1: [w_1 (d), b_1, c_1, w_2, ...]. */
export interface NetParameters {
  /** width x inputDim, row-major: row i is w_i. */
  W: Float64Array;
  b: Float64Array;
  c: Float64Array;
}

/**
 * Parameters as inputs accept them (TwoLayerNet.fromParameters, withStep): Float64Arrays (read in place) or
 * arrays of numbers (copied).
 */
export interface NetParametersInput {
  /** width x inputDim, row-major: row i is w_i. */
  readonly W: Numbers;
  readonly b: Numbers;
  readonly c: Numbers;
}

/** The parameter groups, in the order of a neuron's block (docs/MATH.md sections 1 and 1.2). */
export const PARAMETER_GROUPS = ['W', 'b', 'c'] as const;
export type ParameterGroup = (typeof PARAMETER_GROUPS)[number];

/** The trainable groups: a non-empty subset of PARAMETER_GROUPS without repeats, in the canonical order W, b, c. */
export function requireTrainable(value: unknown): readonly ParameterGroup[] {
  if (value === undefined) return PARAMETER_GROUPS;
  const hint = "give a non-empty subset of ['W', 'b', 'c'] without repeats, e.g. ['W', 'b'] for a fixed output layer";
  if (!Array.isArray(value) || value.length === 0) throw invalid('E_ARGUMENT', 'trainable', 'a non-empty array of group names', value, hint);
  for (const g of value) {
    if (!(PARAMETER_GROUPS as readonly unknown[]).includes(g)) {
      throw new NntkError('E_ARGUMENT', `trainable names an unknown group ${describe(g)}; ${hint}`);
    }
  }
  if (new Set(value).size !== value.length) throw new NntkError('E_ARGUMENT', `trainable repeats a group (${value.map((g) => describe(g)).join(', ')}); ${hint}`);
  return PARAMETER_GROUPS.filter((g) => value.includes(g));
}

/** Trainable parameters per neuron, q' (docs/MATH.md section 1.2). */
export function trainableBlockSize(inputDim: number, trainable: readonly ParameterGroup[] = PARAMETER_GROUPS): number {
  return (trainable.includes('W') ? inputDim : 0) + (trainable.includes('b') ? 1 : 0) + (trainable.includes('c') ? 1 : 0);
}

/**
 * A flat neuron-major vector of the trainable parameters (q' per neuron: w (d) when W trains, b when b
 * trains, c when c trains; docs/MATH.md section 1.2) as NetParameters, zeros in the frozen groups.
 */
export function splitParameters(
  flat: Float64Array,
  width: number,
  inputDim: number,
  trainable: readonly ParameterGroup[] = PARAMETER_GROUPS,
): NetParameters {
  const tW = trainable.includes('W'), tb = trainable.includes('b'), tc = trainable.includes('c');
  const q = trainableBlockSize(inputDim, trainable);
  const ob = tW ? inputDim : 0, oc = ob + (tb ? 1 : 0);
  const W = new Float64Array(width * inputDim);
  const b = new Float64Array(width);
  const c = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    if (tW) for (let j = 0; j < inputDim; j++) W[i * inputDim + j] = flat[i * q + j] as number;
    if (tb) b[i] = flat[i * q + ob] as number;
    if (tc) c[i] = flat[i * q + oc] as number;
  }
  return { W, b, c };
}

export function flattenParameters(p: NetParameters, width: number, inputDim: number): Float64Array {
  const q = inputDim + 2;
  const flat = new Float64Array(width * q);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < inputDim; j++) flat[i * q + j] = p.W[i * inputDim + j] as number;
    flat[i * q + inputDim] = p.b[i] as number;
    flat[i * q + inputDim + 1] = p.c[i] as number;
  }
  return flat;
}
