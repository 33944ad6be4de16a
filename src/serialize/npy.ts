/**
 * NumPy's .npy format (numpy.lib.format, version 1.0): the 6 bytes "\x93NUMPY", the version bytes 1 0, a
 * little-endian uint16 header length, a header that is a Python dict literal
 * {'descr': '<f8', 'fortran_order': False, 'shape': (R, C), } padded with spaces and a newline so that the
 * data starts at a multiple of 64 bytes, then the values as little-endian binary64 in C (row-major) order.
 * toNpy writes that; fromNpy reads versions 1.0, 2.0 and 3.0 of float64 C-order arrays and refuses
 * anything else (other dtypes, Fortran order, big-endian, truncated or padded data) with an NntkError.
 */
import { NntkError } from '../errors.js';
import { describe, isFloat64Array } from '../validate.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An array read from a .npy file: its values in C order and its shape ([] for a scalar). */
export interface NpyArray {
  data: Float64Array;
  shape: number[];
}

function requireShape(shape: unknown, length: number): number[] {
  if (!Array.isArray(shape) || shape.length > 32) {
    throw new NntkError('E_ARGUMENT', `shape is ${describe(shape)}; give an array of at most 32 dimensions, e.g. [rows, columns]`);
  }
  let size = 1;
  shape.forEach((n, k) => {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new NntkError('E_ARGUMENT', `shape[${k}] is ${describe(n)}; each dimension is an integer >= 0`);
    size *= n;
  });
  if (size !== length) {
    throw new NntkError('E_SHAPE', `shape [${shape.join(', ')}] has ${size} entries but the array has ${length}; give the shape of the array (e.g. [M, M] for a kernel)`);
  }
  return shape as number[];
}

/** The header dict of a float64 C-order array of this shape, as numpy writes it. */
function headerText(shape: readonly number[]): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '<f8', 'fortran_order': False, 'shape': ${dims}, }`;
}

/**
 * The .npy bytes (format 1.0, '<f8', C order) of `data` with `shape` (the product of the dimensions must be
 * data.length; [] for a single value). numpy.load reads them back bit for bit.
 */
export function toNpy(data: Float64Array, shape: readonly number[]): Uint8Array {
  if (!isFloat64Array(data)) throw new NntkError('E_ARGUMENT', `toNpy needs a Float64Array; received ${describe(data)}`);
  const dims = requireShape(shape, data.length);
  let header = headerText(dims);
  // magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const offset = 10 + header.length;
  const out = new Uint8Array(offset + 8 * data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let k = 0; k < header.length; k++) out[10 + k] = header.charCodeAt(k);
  if (data.length === 0) {
    // Nothing to copy; a detached array (length 0) has a buffer no view may be built on.
  } else if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
  } else {
    const view = new DataView(out.buffer, offset);
    for (let k = 0; k < data.length; k++) view.setFloat64(8 * k, data[k]!, true);
  }
  return out;
}

function bad(message: string): NntkError {
  return new NntkError('E_ARGUMENT', `not a .npy file nntk can read: ${message}`);
}

/** The three fields of a .npy header dict (a Python literal), or E_ARGUMENT. */
function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw bad(`the header ${JSON.stringify(body.slice(0, 80))} is not a dict`);
  const fields = new Map<string, string>();
  // key: 'name' or "name"; value: a quoted string, True/False, or a tuple of integers.
  const item = /\s*(['"])(\w+)\1\s*:\s*('[^']*'|"[^"]*"|True|False|\([^)]*\))\s*(,|$)/y;
  let rest = body.slice(1, -1);
  while (rest.trim() !== '') {
    item.lastIndex = 0;
    const m = item.exec(rest);
    if (!m) throw bad(`cannot read the header entry ${JSON.stringify(rest.trim().slice(0, 60))}`);
    fields.set(m[2]!, m[3]!);
    rest = rest.slice(m[0].length);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) if (!fields.has(key)) throw bad(`the header has no '${key}'`);
  const descr = fields.get('descr')!.slice(1, -1);
  const fortran = fields.get('fortran_order')!;
  if (fortran !== 'True' && fortran !== 'False') throw bad(`fortran_order is ${fortran}`);
  const tuple = fields.get('shape')!;
  if (!tuple.startsWith('(')) throw bad(`shape is ${tuple}, not a tuple`);
  const parts = tuple.slice(1, -1).split(',').map((s) => s.trim());
  if (parts.at(-1) === '') parts.pop();
  const shape = parts.map((p) => {
    const n = /^\d+L?$/.test(p) ? Number.parseInt(p, 10) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw bad(`shape ${tuple} has the dimension '${p}'`);
    return n;
  });
  return { descr, fortran: fortran === 'True', shape };
}

/**
 * The array in .npy bytes (a Uint8Array, a Buffer or an ArrayBuffer): float64 ('<f8'), C order, format
 * version 1.0, 2.0 or 3.0. Other dtypes ('<f4', '<i8', ...), big-endian '>f8', Fortran order, a header that
 * is not numpy's, and data shorter or longer than the shape are refused (E_ARGUMENT, E_UNSUPPORTED or
 * E_SHAPE) with what to do instead.
 */
export function fromNpy(bytes: Uint8Array | ArrayBuffer): NpyArray {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array)) throw new NntkError('E_ARGUMENT', `fromNpy needs the bytes of a .npy file (a Uint8Array or ArrayBuffer); received ${describe(bytes)}`);
  if (b.length < 10 || MAGIC.some((v, k) => b[k] !== v)) throw bad('it does not start with "\\x93NUMPY"');
  const major = b[6]!;
  if (major < 1 || major > 3) throw new NntkError('E_UNSUPPORTED', `.npy format version ${major}.${b[7]} is not one nntk reads (1.0, 2.0, 3.0)`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (b.length < 8 + lengthBytes) throw bad('the file is truncated inside its header length');
  let headerLength = 0;
  for (let k = lengthBytes - 1; k >= 0; k--) headerLength = headerLength * 256 + b[8 + k]!;
  const start = 8 + lengthBytes;
  const offset = start + headerLength;
  if (b.length < offset) throw bad(`the file is truncated: its header needs ${headerLength} bytes, ${b.length - start} are there`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(b.subarray(start, offset));
  const { descr, fortran, shape } = parseHeader(header);
  if (descr === '>f8') throw new NntkError('E_UNSUPPORTED', "the array is big-endian ('>f8'); save it little-endian: numpy.save(path, a.astype('<f8'))");
  if (descr !== '<f8') throw new NntkError('E_UNSUPPORTED', `the array's dtype is '${descr}', not float64 ('<f8'); save it as float64: numpy.save(path, a.astype('<f8'))`);
  if (fortran) throw new NntkError('E_UNSUPPORTED', 'the array is in Fortran order; save it in C order: numpy.save(path, numpy.ascontiguousarray(a))');
  const size = shape.reduce((p, n) => p * n, 1);
  if (!Number.isSafeInteger(size) || size > 2 ** 31) throw new NntkError('E_TOO_LARGE', `the array's shape (${shape.join(', ')}) is too large to read`);
  const dataBytes = b.length - offset;
  if (dataBytes !== 8 * size) {
    throw new NntkError('E_SHAPE', `the shape (${shape.join(', ')}) needs ${8 * size} bytes of data but the file has ${dataBytes}; ${dataBytes < 8 * size ? 'the file is truncated' : 'it has extra bytes after the array'}`);
  }
  const data = new Float64Array(size);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(data.buffer).set(b.subarray(offset));
  } else {
    const view = new DataView(b.buffer, b.byteOffset + offset);
    for (let k = 0; k < size; k++) data[k] = view.getFloat64(8 * k, true);
  }
  return { data, shape };
}
