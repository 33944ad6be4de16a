/**
 * NumPy .npy export and import (src/serialize/npy.ts, net-npy.ts; docs/formats.md): golden files written by
 * numpy (test/fixtures/numpy-*.npy) read bit for bit and written byte for byte, a pure-TypeScript round trip of
 * every shape, refusals of what nntk cannot read, and, when python3 with numpy is installed, numpy.load of
 * the network's arrays, a Jacobian and a kernel compared bit for bit (skipped, with the reason printed, when not).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasets, fromNpy, netFromNpy, netToNpy, NntkError, ntkGramSync, toNpy, TwoLayerNet } from '../src/index.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const GOLDEN_3X4 = [-0, 5e-324, -1.7976931348623157e308, 0.1, 1 / 3, Math.PI, 2 ** -1022, -7.5, 1e300, 123456789.125, -2.5e-10, 42];

/** A .npy file with this header dict and these data bytes (for the refusals). */
function npyWith(header: string, dataBytes: number, version = 1): Uint8Array {
  const text = `${header}\n`;
  const lengthBytes = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lengthBytes + text.length + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  out[8] = text.length & 0xff;
  out[9] = text.length >> 8;
  for (let k = 0; k < text.length; k++) out[8 + lengthBytes + k] = text.charCodeAt(k);
  return out;
}

function refusal(bytes: unknown): NntkError {
  try {
    fromNpy(bytes as Uint8Array);
  } catch (e) {
    expect(e).toBeInstanceOf(NntkError);
    return e as NntkError;
  }
  throw new Error('fromNpy accepted it');
}

describe('.npy: files numpy wrote (test/fixtures)', () => {
  it('reads a 3 x 4 array bit for bit, and writes the same bytes', () => {
    const file = readFileSync(join(fixtures, 'numpy-3x4.npy'));
    const { data, shape } = fromNpy(file);
    expect(shape).toEqual([3, 4]);
    expect(bits(data)).toBe(bits(Float64Array.from(GOLDEN_3X4)));
    expect(Object.is(data[0], -0)).toBe(true);
    expect(Buffer.from(toNpy(Float64Array.from(GOLDEN_3X4), [3, 4])).equals(file)).toBe(true);
  });

  it('reads a vector and a scalar, and writes them as numpy does', () => {
    const vector = readFileSync(join(fixtures, 'numpy-vector.npy'));
    const v = fromNpy(vector);
    expect(v.shape).toEqual([5]);
    expect(bits(v.data)).toBe(bits(Float64Array.from([0, 1, 2, 3, 4], (k) => k / 7)));
    expect(Buffer.from(toNpy(v.data, [5])).equals(vector)).toBe(true);
    const scalar = readFileSync(join(fixtures, 'numpy-scalar.npy'));
    const s = fromNpy(scalar);
    expect(s.shape).toEqual([]);
    expect(Object.is(s.data[0], -0)).toBe(true);
    expect(Buffer.from(toNpy(Float64Array.of(-0), [])).equals(scalar)).toBe(true);
  });
});

describe('.npy: round trip and refusals', () => {
  it.each([[[]], [[0]], [[7]], [[3, 4]], [[2, 3, 4]], [[0, 5]], [[1, 1, 1, 1, 9]]])('shape %j round-trips bit for bit, data 64-byte aligned', (shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const raw = new Uint32Array(2 * n).map((_, k) => Math.imul(k + 1, 2654435761) >>> 0);
    const data = new Float64Array(raw.buffer).map((v, k) => (k % 5 === 0 ? [-0, Number.NaN, Infinity, -Infinity, 5e-324][k % 5]! : v));
    const bytes = toNpy(data, shape);
    expect((bytes.length - 8 * n) % 64).toBe(0);
    const back = fromNpy(bytes);
    expect(back.shape).toEqual(shape);
    expect(bits(back.data)).toBe(bits(data));
    // an unaligned view of the same bytes (a Buffer slice) and an ArrayBuffer read the same
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(bits(fromNpy(shifted.subarray(3)).data)).toBe(bits(data));
    expect(bits(fromNpy(bytes.slice().buffer).data)).toBe(bits(data));
  });

  it.each([
    ['another dtype', npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8), 'E_UNSUPPORTED', "'<f4'"],
    ['an integer dtype', npyWith("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16), 'E_UNSUPPORTED', 'float64'],
    ['big-endian', npyWith("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 16), 'E_UNSUPPORTED', 'big-endian'],
    ['Fortran order', npyWith("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", 32), 'E_UNSUPPORTED', 'Fortran'],
    ['truncated data', npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", 95), 'E_SHAPE', 'truncated'],
    ['extra data', npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 24), 'E_SHAPE', 'extra bytes'],
    ['a truncated header', npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 0).subarray(0, 30), 'E_ARGUMENT', 'truncated'],
    ['no shape', npyWith("{'descr': '<f8', 'fortran_order': False, }", 8), 'E_ARGUMENT', "no 'shape'"],
    ['a bad dimension', npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", 8), 'E_ARGUMENT', 'dimension'],
    ['not a dict', npyWith('[1, 2]', 8), 'E_ARGUMENT', 'not a dict'],
    ['version 4', npyWith("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8, 4), 'E_UNSUPPORTED', 'version 4'],
    ['no magic', new TextEncoder().encode('x,y\n1,2\n'), 'E_ARGUMENT', 'NUMPY'],
    ['empty', new Uint8Array(0), 'E_ARGUMENT', 'NUMPY'],
    ['not bytes', 'file.npy', 'E_ARGUMENT', 'Uint8Array'],
    ['a Float64Array', new Float64Array(4), 'E_ARGUMENT', 'Uint8Array'],
  ])('%s -> %s', (_what, bytes, code, text) => {
    const e = refusal(bytes);
    expect(e.code).toBe(code);
    expect(e.message).toContain(text);
  });

  it('reads format 2.0 (4-byte header length), and Python 2 style long dimensions', () => {
    const bytes = npyWith("{'shape': (2L,), 'fortran_order': False, 'descr': '<f8'}", 16, 2);
    new DataView(bytes.buffer).setFloat64(bytes.length - 8, -3.5, true);
    expect(fromNpy(bytes)).toEqual({ data: Float64Array.of(0, -3.5), shape: [2] });
  });

  it('toNpy refuses a shape that does not fit, and what is not a Float64Array', () => {
    expect(() => toNpy(new Float64Array(6), [4, 2])).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(() => toNpy(new Float64Array(6), [6.5] as never)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
    expect(() => toNpy([1, 2] as never, [2])).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
    expect(() => toNpy(new Float64Array(1), 'x' as never)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
  });

  it('a detached array (transferred away) is an empty one: written as such, or refused by its shape', () => {
    const gone = new Float64Array(4);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    expect(fromNpy(toNpy(gone, [0, 4]))).toEqual({ data: new Float64Array(0), shape: [0, 4] });
    expect(() => toNpy(gone, [4])).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });

  it('a network as .npy arrays and a manifest comes back bit for bit', () => {
    const net = TwoLayerNet.create({ width: 6, inputDim: 3, seed: 9, init: 'symmetric', trainable: ['W', 'b'], outputScale: 4 });
    const files = netToNpy(net);
    expect(fromNpy(files.W).shape).toEqual([6, 3]);
    expect(bits(fromNpy(files.W).data)).toBe(bits(net.parameters().W));
    const back = netFromNpy({ ...files, manifest: JSON.parse(JSON.stringify(files.manifest)) });
    expect(bits(back.flatParameters())).toBe(bits(net.flatParameters()));
    expect(back).toMatchObject({ init: 'symmetric', trainable: ['W', 'b'], outputScale: 4, beta: net.beta });
    const wrong = netToNpy(TwoLayerNet.create({ width: 6, inputDim: 2, seed: 9 }));
    expect(() => netFromNpy({ ...files, W: wrong.W })).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(() => netFromNpy({ ...files, manifest: { ...files.manifest, format: 'x' } })).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
    expect(() => netFromNpy(null as never)).toThrow(NntkError);
  });
});

/** python3 with numpy, or the reason it is not there. */
function numpyAvailable(): string | null {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  if (r.error) return `python3 is not installed (${(r.error as NodeJS.ErrnoException).code})`;
  return r.status === 0 ? null : 'python3 has no numpy (apt-get install python3-numpy, or pip install numpy)';
}
const missing = numpyAvailable();
if (missing) console.warn(`test/npy.test.ts: skipping the checks against numpy.load: ${missing}`);

describe.skipIf(missing !== null)('.npy against the machine\'s numpy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nntk-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const python = (code: string) => {
    const r = spawnSync('python3', ['-c', code, dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };

  it('numpy.load reads the network, its Jacobian and its NTK Gram bit for bit', () => {
    const data = datasets.paperFigure3();
    const net = TwoLayerNet.create({ width: 20, inputDim: 1, seed: 3, trainable: ['W', 'c'] });
    const J = net.jacobian(data);
    const K = ntkGramSync(net, data);
    const files = netToNpy(net);
    const arrays: Record<string, { data: Float64Array; shape: number[] }> = {
      W: { data: net.parameters().W, shape: [20, 1] },
      b: { data: net.parameters().b, shape: [20] },
      c: { data: net.parameters().c, shape: [20] },
      J: { data: J, shape: [data.size, net.trainableCount] },
      K: { data: K, shape: [data.size, data.size] },
    };
    writeFileSync(join(dir, 'W.npy'), files.W);
    writeFileSync(join(dir, 'b.npy'), files.b);
    writeFileSync(join(dir, 'c.npy'), files.c);
    writeFileSync(join(dir, 'J.npy'), toNpy(J, arrays.J!.shape));
    writeFileSync(join(dir, 'K.npy'), toNpy(K, arrays.K!.shape));
    const out = python(`
import json, sys, numpy as np
d = sys.argv[1]
res = {}
for name in ['W', 'b', 'c', 'J', 'K']:
    a = np.load(f'{d}/{name}.npy', allow_pickle=False)
    assert a.dtype == np.dtype('<f8') and a.flags['C_CONTIGUOUS']
    res[name] = {'shape': list(a.shape), 'hex': a.astype('<f8').tobytes().hex()}
print(json.dumps(res))`);
    const seen = JSON.parse(out) as Record<string, { shape: number[]; hex: string }>;
    for (const [name, a] of Object.entries(arrays)) {
      expect(seen[name]!.shape, name).toEqual(a.shape);
      expect(seen[name]!.hex, name).toBe(bits(a.data));
    }
  });

  it('fromNpy reads what numpy.save writes (random bits, -0, NaN, subnormals), and refuses its float32, big-endian and Fortran files', () => {
    const out = python(`
import json, sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.integers(0, 2**63, size=(4, 5), dtype=np.uint64).view('<f8').copy()
a[0, 0] = -0.0; a[1, 1] = np.nan; a[2, 2] = 5e-324; a[3, 3] = -np.inf
np.save(f'{d}/random.npy', a)
np.save(f'{d}/f4.npy', np.ones(3, dtype='<f4'))
np.save(f'{d}/be.npy', np.ones(3, dtype='>f8'))
np.save(f'{d}/fortran.npy', np.asfortranarray(np.ones((2, 3))))
np.save(f'{d}/cube.npy', np.arange(24.0).reshape(2, 3, 4))
print(json.dumps({'hex': a.tobytes().hex()}))`);
    const random = fromNpy(readFileSync(join(dir, 'random.npy')));
    expect(random.shape).toEqual([4, 5]);
    const want = (JSON.parse(out) as { hex: string }).hex;
    // NaN payloads: JavaScript may canonicalize a NaN read through a Float64Array; compare the other entries bit for bit.
    const got = bits(random.data);
    for (let k = 0; k < 20; k++) {
      if (Number.isNaN(random.data[k])) continue;
      expect(got.slice(16 * k, 16 * k + 16), `entry ${k}`).toBe(want.slice(16 * k, 16 * k + 16));
    }
    expect(Number.isNaN(random.data[6])).toBe(true);
    expect(fromNpy(readFileSync(join(dir, 'cube.npy')))).toEqual({ data: Float64Array.from({ length: 24 }, (_, k) => k), shape: [2, 3, 4] });
    expect(refusal(readFileSync(join(dir, 'f4.npy'))).code).toBe('E_UNSUPPORTED');
    expect(refusal(readFileSync(join(dir, 'be.npy'))).message).toContain('big-endian');
    expect(refusal(readFileSync(join(dir, 'fortran.npy'))).message).toContain('Fortran');
  });
});
