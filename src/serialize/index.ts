/** Saving and loading (docs/formats.md): networks and runs as JSON, arrays as NumPy .npy. */
export { NET_FORMAT, NET_FORMAT_VERSION, type TwoLayerNetJSON } from './net-json.js';
export { RUN_FORMAT, RUN_FORMAT_VERSION, trainingRunFromJSON, trainingRunToJSON, type TrainingRunJSON } from './run-json.js';
export { fromNpy, toNpy, type NpyArray } from './npy.js';
export { netFromNpy, netToNpy, type NetNpy, type NetNpyManifest } from './net-npy.js';
export type { JsonNumber } from './json-values.js';
