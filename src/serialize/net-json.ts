/**
 * A network as JSON (docs/formats.md, "nntk.TwoLayerNet"): its setting (docs/MATH.md sections 1.1-1.2:
 * width, inputDim, beta, activation, outputScale a, trainable groups, and where the parameters and the
 * output weights came from) and every weight, written so that JSON.stringify / JSON.parse give back the
 * same bits (json-values.ts). TwoLayerNet#toJSON and TwoLayerNet.fromJSON call these.
 */
import { ACTIVATIONS, type Activation } from '../activation.js';
import { MAX_PARAMETER_COUNT } from '../contract.js';
import { NntkError } from '../errors.js';
import type { NativeNet } from '../native.js';
import { PARAMETER_GROUPS, type ParameterGroup } from '../parameters.js';
import { describe } from '../validate.js';
import { decodeArray, decodeNumber, encodeArray, encodeNumber, field, type JsonNumber, requireFormat, requireOnlyKeys } from './json-values.js';

export const NET_FORMAT = 'nntk.TwoLayerNet';
export const NET_FORMAT_VERSION = 1;

/** Where the parameters and the output weights started (model.ts NetOrigin, OutputWeightsOrigin). */
const ORIGINS = ['paper', 'symmetric', 'given'] as const;
const WEIGHT_ORIGINS = ['uniform', 'signs', 'given'] as const;

/** What net.toJSON() returns (version 1). Arrays hold numbers, or "-0" for a negative zero. */
export interface TwoLayerNetJSON {
  format: 'nntk.TwoLayerNet';
  version: 1;
  width: number;
  inputDim: number;
  beta: JsonNumber;
  activation: Activation;
  outputScale: JsonNumber;
  /** 'paper', 'symmetric' or 'given' (TwoLayerNet#init). */
  init: 'paper' | 'symmetric' | 'given';
  /** 'uniform', 'signs' or 'given' (TwoLayerNet#outputWeights). */
  outputWeights: 'uniform' | 'signs' | 'given';
  /** The groups that train, in the order W, b, c. */
  trainable: ParameterGroup[];
  /** width x inputDim, row-major (row i is w_i). */
  W: JsonNumber[];
  b: JsonNumber[];
  c: JsonNumber[];
}

const KEYS = ['format', 'version', 'width', 'inputDim', 'beta', 'activation', 'outputScale', 'init', 'outputWeights', 'trainable', 'W', 'b', 'c'] as const;

/** The setting of a decoded network, as the model's constructor takes it. */
export interface DecodedNet {
  state: NativeNet;
  init: (typeof ORIGINS)[number];
  outputWeights: (typeof WEIGHT_ORIGINS)[number];
}

export function encodeNet(s: NativeNet, init: string, outputWeights: string, trainable: readonly ParameterGroup[]): TwoLayerNetJSON {
  return {
    format: NET_FORMAT,
    version: NET_FORMAT_VERSION,
    width: s.width,
    inputDim: s.inputDim,
    beta: encodeNumber(s.beta),
    activation: s.activation,
    outputScale: encodeNumber(s.outputScale),
    init: init as TwoLayerNetJSON['init'],
    outputWeights: outputWeights as TwoLayerNetJSON['outputWeights'],
    trainable: [...trainable],
    W: encodeArray(s.W),
    b: encodeArray(s.b),
    c: encodeArray(s.c),
  };
}

function oneOf<T extends string>(value: unknown, where: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}; expected one of ${options.map((v) => `'${v}'`).join(', ')}`);
  }
  return value as T;
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}; it must be an integer >= 1`);
  }
  return value;
}

/** The trainable groups of a saved network: a non-empty array of distinct 'W', 'b', 'c' (kept in that order). */
function groups(value: unknown, where: string): ParameterGroup[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 3) {
    throw new NntkError('E_ARGUMENT', `${where} is ${describe(value)}; it must be a non-empty array of 'W', 'b', 'c'`);
  }
  value.forEach((g, k) => oneOf(g, `${where}[${k}]`, PARAMETER_GROUPS));
  if (new Set(value).size !== value.length) throw new NntkError('E_ARGUMENT', `${where} names a group twice (${JSON.stringify(value)})`);
  return PARAMETER_GROUPS.filter((g) => value.includes(g));
}

/** A saved network checked completely (every field, length and entry); `what` names it in messages. */
export function decodeNet(value: unknown, what = 'the saved network'): DecodedNet {
  const o = requireFormat(value, NET_FORMAT, NET_FORMAT_VERSION, what);
  requireOnlyKeys(o, what, KEYS);
  const at = (key: string) => field(o, key, what);
  const width = count(at('width'), `${what}: width`);
  const inputDim = count(at('inputDim'), `${what}: inputDim`);
  const P = width * (inputDim + 2);
  if (P > MAX_PARAMETER_COUNT) {
    throw new NntkError('E_TOO_LARGE', `${what}: width ${width} with inputDim ${inputDim} has ${P} parameters, over nntk's limit of 2^29`);
  }
  const beta = decodeNumber(at('beta'), `${what}: beta`, true);
  if (!(beta >= 0 && beta <= 1)) throw new NntkError('E_ARGUMENT', `${what}: beta is ${beta}; it must be in [0, 1]`);
  const activation = oneOf(at('activation'), `${what}: activation`, ACTIVATIONS);
  const outputScale = decodeNumber(at('outputScale'), `${what}: outputScale`, true);
  if (outputScale === 0) throw new NntkError('E_ARGUMENT', `${what}: outputScale is 0; the factor a must be finite and nonzero`);
  const init = oneOf(at('init'), `${what}: init`, ORIGINS);
  const outputWeights = oneOf(at('outputWeights'), `${what}: outputWeights`, WEIGHT_ORIGINS);
  const trainable = groups(at('trainable'), `${what}: trainable`);
  const W = decodeArray(at('W'), `${what}: W`, { length: width * inputDim, finite: true });
  const b = decodeArray(at('b'), `${what}: b`, { length: width, finite: true });
  const c = decodeArray(at('c'), `${what}: c`, { length: width, finite: true });
  return { state: { width, inputDim, beta, outputScale, activation, W, b, c, trainable: trainable.join('') }, init, outputWeights };
}
