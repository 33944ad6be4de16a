/** The activations of docs/MATH.md section 1; the order is the native enum's (native/core/activation.hpp). */
export const ACTIVATIONS = ['tanh', 'sigmoid', 'softplus', 'sin', 'erf', 'gelu', 'silu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function activationIndex(a: Activation): number {
  return ACTIVATIONS.indexOf(a);
}
