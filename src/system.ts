/** Kept for the modules that still import from here; the request layer is src/request.ts. */
export { CURVATURES } from './contract.js';
export { resolveLambda, type Curvature, type Regularization } from './request.js';
