/**
 * A network as NumPy arrays (docs/formats.md, "A network as .npy files"): W (width x inputDim), b (width)
 * and c (width) as three .npy files, and a manifest with the rest of the setting (the network's JSON
 * without its arrays, format 'nntk.TwoLayerNet.npy'). `nntk export NET --npy DIR` writes them as DIR/W.npy,
 * DIR/b.npy, DIR/c.npy and DIR/manifest.json.
 */
import { NntkError } from '../errors.js';
import { requireNet, TwoLayerNet } from '../model.js';
import { describe, isPlainObject } from '../validate.js';
import { fromNpy, toNpy } from './npy.js';
import { NET_FORMAT, type TwoLayerNetJSON } from './net-json.js';
import { encodeArray } from './json-values.js';

export const NET_NPY_FORMAT = 'nntk.TwoLayerNet.npy';

/** The manifest: the network's JSON without W, b, c, and the file name of each array. */
export type NetNpyManifest = Omit<TwoLayerNetJSON, 'format' | 'W' | 'b' | 'c'> & {
  format: 'nntk.TwoLayerNet.npy';
  arrays: { W: 'W.npy'; b: 'b.npy'; c: 'c.npy' };
};

/** A network's arrays as .npy bytes, with the manifest. */
export interface NetNpy {
  manifest: NetNpyManifest;
  W: Uint8Array;
  b: Uint8Array;
  c: Uint8Array;
}

/** The network as three .npy arrays (W as width x inputDim, b and c as vectors) and a manifest. */
export function netToNpy(net: TwoLayerNet): NetNpy {
  const n = requireNet(net);
  const { format: _format, W: _W, b: _b, c: _c, ...setting } = n.toJSON();
  const p = n.parameters();
  return {
    manifest: { ...setting, format: NET_NPY_FORMAT, arrays: { W: 'W.npy', b: 'b.npy', c: 'c.npy' } },
    W: toNpy(p.W, [n.width, n.inputDim]),
    b: toNpy(p.b, [n.width]),
    c: toNpy(p.c, [n.width]),
  };
}

/**
 * The network of netToNpy's output (the manifest as an object, after JSON.parse, and the three arrays as
 * bytes), checked as TwoLayerNet.fromJSON checks a saved network; the arrays' shapes must be the manifest's.
 */
export function netFromNpy(files: { manifest: unknown; W: Uint8Array | ArrayBuffer; b: Uint8Array | ArrayBuffer; c: Uint8Array | ArrayBuffer }): TwoLayerNet {
  if (!isPlainObject(files)) throw new NntkError('E_ARGUMENT', `netFromNpy needs { manifest, W, b, c }; received ${describe(files)}`);
  const m = files.manifest;
  if (!isPlainObject(m) || m.format !== NET_NPY_FORMAT) {
    throw new NntkError('E_ARGUMENT', `the manifest is ${describe(m)}, not an object with format '${NET_NPY_FORMAT}'; pass the manifest.json that nntk export --npy wrote`);
  }
  const { format: _format, arrays: _arrays, ...setting } = m;
  const width = setting.width as number;
  const inputDim = setting.inputDim as number;
  const array = (name: 'W' | 'b' | 'c', shape: number[]) => {
    const a = fromNpy(files[name]);
    if (a.shape.length !== shape.length || a.shape.some((n, k) => n !== shape[k])) {
      throw new NntkError('E_SHAPE', `${name}.npy has shape (${a.shape.join(', ')}) but the manifest's network needs (${shape.join(', ')})`);
    }
    return encodeArray(a.data);
  };
  const known = typeof width === 'number' && typeof inputDim === 'number';
  // The shapes are checked against the manifest only once its width and inputDim are known numbers;
  // fromJSON checks everything else (and those two again).
  return TwoLayerNet.fromJSON({
    ...setting,
    format: NET_FORMAT,
    version: setting.version,
    W: known ? array('W', [width, inputDim]) : fromNpy(files.W).data,
    b: known ? array('b', [width]) : fromNpy(files.b).data,
    c: known ? array('c', [width]) : fromNpy(files.c).data,
  });
}
