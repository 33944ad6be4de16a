/** The activations of docs/MATH.md section 1; the list lives in the contract (src/contract.ts). */
import { ACTIVATIONS } from './contract.js';

export { ACTIVATIONS };
export type Activation = (typeof ACTIVATIONS)[number];
