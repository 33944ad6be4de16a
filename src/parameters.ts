/** The flat neuron-major parameter order of docs/MATH.md section 1: [w_1 (d), b_1, c_1, w_2, ...]. */
export interface NetParameters {
  W: Float64Array; // width x inputDim, row-major
  b: Float64Array;
  c: Float64Array;
}

export function splitParameters(flat: Float64Array, width: number, inputDim: number): NetParameters {
  const q = inputDim + 2;
  const W = new Float64Array(width * inputDim);
  const b = new Float64Array(width);
  const c = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < inputDim; j++) W[i * inputDim + j] = flat[i * q + j] as number;
    b[i] = flat[i * q + inputDim] as number;
    c[i] = flat[i * q + inputDim + 1] as number;
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
