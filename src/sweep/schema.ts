/**
 * The JSON Schema of a sweep spec (draft 2020-12), declared once: `nntk sweep schema` prints it, the
 * published copy docs/sweep-spec.schema.json is compared with it by a test, and src/sweep/spec.ts
 * validates every spec with it (ajv), so an error names the field that is wrong. The enums come from
 * the contract (src/contract.ts), the experiments' parameter lists from here.
 */
import { ACTIVATIONS, CURVATURES, DAMPINGS, LOSSES, METHODS } from '../contract.js';
import { DATASET_NAMES } from '../experiments/data-ref.js';
import { EXPERIMENTS } from '../experiments/jobs.js';

export const SCHEMA_ID = 'https://github.com/nntk/nntk/blob/main/docs/sweep-spec.schema.json';

type Schema = Record<string, unknown>;

const positiveInteger = (max = 2 ** 31 - 1): Schema => ({ type: 'integer', minimum: 1, maximum: max });
const positive: Schema = { type: 'number', exclusiveMinimum: 0 };
const gammaList: Schema = { type: 'array', items: positive, minItems: 1, uniqueItems: true, description: 'width-free regularizations gamma (lambda_N = gamma N^(1 - 2 beta))' };

const dataSchema: Schema = {
  description: `a built-in data set (${DATASET_NAMES.join(', ')}), a .csv/.json file path (relative to the spec), or points`,
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', properties: { builtin: { enum: [...DATASET_NAMES] } }, required: ['builtin'], additionalProperties: false },
    {
      type: 'object',
      properties: {
        file: { type: 'string', minLength: 1 },
        format: { enum: ['csv', 'json'] },
        x: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'CSV input columns (default: all but y)' },
        y: { type: 'string', description: 'CSV target column (default: the last)' },
      },
      required: ['file'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: {
        x: { type: 'array', minItems: 1, items: { oneOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, minItems: 1 }] } },
        y: { type: 'array', minItems: 1, items: { type: 'number' } },
      },
      required: ['x', 'y'],
      additionalProperties: false,
    },
  ],
};

/** Parameters every experiment takes: the network and its data. */
const networkParams: Record<string, Schema> = {
  width: { ...positiveInteger(), description: 'hidden neurons N' },
  seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the network seed (default 0)' },
  beta: { type: 'number', minimum: 0, maximum: 4, description: 'output scaling N^-beta (default 0.52, the paper)' },
  activation: { enum: [...ACTIVATIONS], description: 'default tanh' },
  dataset: dataSchema,
  label: { type: 'string', minLength: 1, description: 'group name in reports and exports (default: the block name, else the data set name)' },
};

/** The Gauss-Newton paper's setting (docs/MATH.md sections 1.1-1.3): model options and the loss, for training runs. */
const settingParams: Record<string, Schema> = {
  init: { enum: ['paper', 'symmetric'], description: "default 'paper'; 'symmetric' pairs neurons so that f = 0 at the start (even widths)" },
  outputScale: { type: 'number', not: { const: 0 }, description: 'the factor a of f = (a / N^beta) sum_i c_i sigma_i (default 1)' },
  trainable: {
    type: 'array', items: { enum: ['W', 'b', 'c'] }, minItems: 1, uniqueItems: true,
    description: "the parameter groups that train (default all; ['W', 'b'] is the paper's fixed output layer)",
  },
  outputWeights: { enum: ['uniform', 'signs'], description: "how c is drawn: 'uniform' (default) or random signs" },
  loss: { enum: [...LOSSES], description: "default 'square'; 'logistic' needs labels in {-1, 1} or {0, 1}" },
  huberDelta: { ...positive, description: "the Huber loss's width (default 1; with loss 'huber' only)" },
};

/** Each experiment's parameters (their defaults are filled in by src/sweep/expand.ts). */
export const EXPERIMENT_PARAMS: Record<(typeof EXPERIMENTS)[number], Record<string, Schema>> = {
  'one-step': {
    ...networkParams,
    curvature: { enum: [...CURVATURES], description: 'default gauss-newton (the paper\'s code)' },
    gammas: gammaList,
    gamma: { ...positive, description: 'one gamma (instead of gammas)' },
    limit: {
      description: "reference kernel NNTK*: 'exact' (default), 'none', or the paper's proxy network { proxy: { width, seed } }",
      oneOf: [
        { enum: ['exact', 'none'] },
        {
          type: 'object',
          properties: { proxy: { type: 'object', properties: { width: positiveInteger(), seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } }, required: ['width', 'seed'], additionalProperties: false } },
          required: ['proxy'],
          additionalProperties: false,
        },
      ],
    },
    trial: { type: 'integer', minimum: 0, description: 'index of the network within its cell (set by trials)' },
  },
  train: {
    ...networkParams,
    ...settingParams,
    method: { enum: [...METHODS] },
    iterations: { type: 'integer', minimum: 0, maximum: 1e9 },
    learningRate: positive,
    damping: { enum: [...DAMPINGS] },
    regularization: {
      oneOf: [
        { type: 'object', properties: { lambda: { type: 'number', minimum: 0 } }, required: ['lambda'], additionalProperties: false },
        { type: 'object', properties: { gamma: { type: 'number', minimum: 0 } }, required: ['gamma'], additionalProperties: false },
      ],
    },
    alpha: positive,
    epsilon: positive,
    targetLoss: { type: 'number', minimum: 0 },
    timeLimitSeconds: positive,
    record: {
      type: 'object',
      description: 'which iterations are kept: perDecade log-spaced points per decade and every every-th (default { perDecade: 20 })',
      properties: { perDecade: positiveInteger(1e6), every: positiveInteger(1e9) },
      additionalProperties: false,
    },
    diagnostics: {
      type: 'object',
      properties: { components: { type: 'boolean' }, ntkModes: { type: 'boolean' } },
      additionalProperties: false,
    },
  },
  kernel: {
    ...networkParams,
    kernels: { type: 'array', items: { enum: ['ntk', 'nntk'] }, minItems: 1, uniqueItems: true, description: "default ['ntk', 'nntk']" },
    curvature: { enum: [...CURVATURES] },
    gammas: gammaList,
    gamma: positive,
    limit: { type: 'boolean', description: 'also the limit kernels B* and NNTK* (default false)' },
  },
};

/** The parameters an experiment cannot do without (others have defaults). */
export const REQUIRED_PARAMS: Record<(typeof EXPERIMENTS)[number], string[]> = {
  'one-step': ['width'],
  train: ['width', 'method', 'iterations'],
  kernel: ['width'],
};

/** Where each parameter's schema sits in $defs (one definition each, referenced by jobs, params and grid axes). */
const paramRef = (experiment: string, name: string): Schema => ({ $ref: `#/$defs/${experiment}.${name}` });

/** A grid axis: a list of values, or a generated list. */
const valueList = (item: Schema): Schema => ({
  oneOf: [{ type: 'array', items: item, minItems: 1 }, { $ref: '#/$defs/range' }, { $ref: '#/$defs/logspace' }, { $ref: '#/$defs/linspace' }],
});

const generators: Record<string, Schema> = {
  range: {
    type: 'object',
    description: 'integers start, start + step, ... below stop',
    properties: { range: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 3 } },
    required: ['range'],
    additionalProperties: false,
  },
  logspace: {
    type: 'object',
    description: 'count values 10^a .. 10^b, equally spaced in log; integer: rounded to integers (duplicates dropped)',
    properties: { logspace: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 }, integer: { type: 'boolean' } },
    required: ['logspace'],
    additionalProperties: false,
  },
  linspace: {
    type: 'object',
    description: 'count values a .. b, equally spaced',
    properties: { linspace: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 } },
    required: ['linspace'],
    additionalProperties: false,
  },
  trials: {
    type: 'object',
    description: 'count independent networks per grid point: trial k gets seed hash(baseSeed, width, k) (the reproduce scheme)',
    properties: { count: positiveInteger(1e6), baseSeed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    required: ['count'],
    additionalProperties: false,
  },
};

/** What a block holds besides its experiment: fixed parameters, grid axes, trials. */
function blockParts(experiment: (typeof EXPERIMENTS)[number]): Record<string, Schema> {
  const names = Object.keys(EXPERIMENT_PARAMS[experiment]);
  return {
    fixed: {
      type: 'object',
      description: 'parameters shared by every job of the block',
      properties: Object.fromEntries(names.map((k) => [k, paramRef(experiment, k)])),
      additionalProperties: false,
    },
    grid: {
      type: 'object',
      description: 'axes: every combination of their values is a job (the last axis varies fastest)',
      properties: Object.fromEntries(names.map((k) => [k, valueList(paramRef(experiment, k))])),
      additionalProperties: false,
    },
    trials: { $ref: '#/$defs/trials' },
  };
}

function blockSchema(experiment: (typeof EXPERIMENTS)[number]): Schema {
  return {
    type: 'object',
    properties: {
      experiment: { const: experiment },
      name: { type: 'string', minLength: 1, description: 'the label of this block\'s jobs' },
      ...blockParts(experiment),
    },
    required: ['experiment'],
    additionalProperties: false,
  };
}

function jobSchema(experiment: (typeof EXPERIMENTS)[number]): Schema {
  const names = Object.keys(EXPERIMENT_PARAMS[experiment]);
  return {
    type: 'object',
    properties: { experiment: { const: experiment }, ...Object.fromEntries(names.map((k) => [k, paramRef(experiment, k)])) },
    required: ['experiment', ...REQUIRED_PARAMS[experiment]],
    additionalProperties: false,
  };
}

/** One block's or job's schema chosen by its `experiment`, so errors are about that experiment only. */
function byExperiment(make: (e: (typeof EXPERIMENTS)[number]) => Schema): Schema {
  return {
    type: 'object',
    required: ['experiment'],
    properties: { experiment: { enum: [...EXPERIMENTS] } },
    allOf: EXPERIMENTS.map((e) => ({ if: { properties: { experiment: { const: e } } }, then: make(e) })),
  };
}

/** The JSON Schema (draft 2020-12) of a sweep spec, as a plain object. */
export function sweepSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'nntk sweep spec',
    description:
      'A grid or a list of jobs over the experiments one-step, train and kernel (nntk sweep run SPEC): one block at the top ' +
      '(experiment, fixed, grid, trials), several under sweeps, and single jobs under jobs.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', minLength: 1 },
      experiment: { enum: [...EXPERIMENTS], description: 'the experiment of the top-level block' },
      fixed: { type: 'object' },
      grid: { type: 'object' },
      trials: { type: 'object' },
      description: { type: 'string' },
      defaults: {
        type: 'object',
        description: 'network parameters applied to every job unless it sets them',
        properties: Object.fromEntries(Object.keys(networkParams).map((k) => [k, paramRef('one-step', k)])),
        additionalProperties: false,
      },
      sweeps: { type: 'array', items: byExperiment(blockSchema), minItems: 1 },
      jobs: { type: 'array', items: byExperiment(jobSchema), minItems: 1 },
    },
    anyOf: [{ required: ['sweeps'] }, { required: ['jobs'] }, { required: ['experiment'] }],
    // The top-level block's parts are those of its experiment; they need the experiment.
    dependentRequired: { fixed: ['experiment'], grid: ['experiment'], trials: ['experiment'] },
    allOf: EXPERIMENTS.map((e) => ({ if: { properties: { experiment: { const: e } }, required: ['experiment'] }, then: { properties: blockParts(e) } })),
    additionalProperties: false,
    $defs: {
      ...generators,
      ...Object.fromEntries(EXPERIMENTS.flatMap((e) => Object.entries(EXPERIMENT_PARAMS[e]).map(([k, v]) => [`${e}.${k}`, v]))),
    },
  };
}
