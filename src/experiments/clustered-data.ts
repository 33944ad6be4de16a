/**
 * The data of the Gauss-Newton paper's underparameterized experiment (docs/MATH.md section 6.1): inputs
 * in clusters of tunable spread, and a target that the network class can represent exactly (a teacher
 * network: the student's initial parameters moved by a seeded Gaussian perturbation), so that the
 * in-class optimum has loss 0 and a fitted rate is the rate to that optimum.
 */
import { Dataset } from '../dataset.js';
import { NntkError } from '../errors.js';
import { type ParameterGroup, TwoLayerNet } from '../model.js';
import { normalDraw, seededRandom } from '../seeded-random.js';

/** centers.length clusters of `perCluster` equispaced inputs each, on [center - spread, center + spread]. */
export function clusteredInputs(centers: readonly number[], perCluster: number, spread: number): Float64Array {
  if (!(spread > 0) || !Number.isFinite(spread)) throw new NntkError('E_ARGUMENT', `spread is ${spread}; give a finite positive half-width`);
  if (!Number.isInteger(perCluster) || perCluster < 2) throw new NntkError('E_ARGUMENT', `perCluster is ${perCluster}; give an integer >= 2`);
  const x = new Float64Array(centers.length * perCluster);
  centers.forEach((c, k) => {
    for (let j = 0; j < perCluster; j++) x[k * perCluster + j] = c + spread * ((2 * j) / (perCluster - 1) - 1);
  });
  return x;
}

/**
 * The teacher: `net` with the parameters of `groups` moved by `size` times standard normal numbers drawn
 * from `seed` (the other groups, e.g. a frozen output layer, unchanged).
 */
export function teacherOf(net: TwoLayerNet, size: number, seed: number, groups: readonly ParameterGroup[]): TwoLayerNet {
  const p = net.parameters();
  const random = seededRandom(seed);
  const g = () => normalDraw(random);
  const move = (values: Float64Array, group: ParameterGroup) => (groups.includes(group) ? values.map((v) => v + size * g()) : values);
  return TwoLayerNet.fromParameters({
    W: move(p.W, 'W'),
    b: move(p.b, 'b'),
    c: move(p.c, 'c'),
    beta: net.beta,
    activation: net.activation,
    outputScale: net.outputScale,
  });
}

/** The clustered data set of experiment (a): inputs from clusteredInputs, targets the teacher's outputs. */
export function clusteredTeacherData(x: Float64Array, teacher: TwoLayerNet): Dataset {
  return Dataset.create({ x, y: teacher.predict(x), inputDim: 1 });
}
