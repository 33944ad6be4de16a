/**
 * `nntk export SAVED`: a saved network (net.toJSON(), or a run saved by trainingRunToJSON, whose trained
 * network is used) as NumPy arrays (docs/formats.md):
 *   --npy DIR                          W.npy, b.npy, c.npy and manifest.json in DIR
 *   --kernel ntk|nntk --data FILE --out FILE.npy    the M x M NTK Gram J J^T / M, or the NNTK Gram (with --gamma or --lambda)
 *   --jacobian --data FILE --out FILE.npy           the M x P' Jacobian of the trainable parameters
 * The data file is a CSV or JSON file as loadDataset reads it (--x, --y pick CSV columns).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';

interface ExportFlags {
  npy?: string;
  kernel?: 'ntk' | 'nntk';
  jacobian?: boolean;
  data?: string;
  out?: string;
  gamma?: number;
  lambda?: number;
  curvature?: 'newton' | 'gauss-newton';
  x?: string;
  y?: string;
  json?: boolean;
  quiet?: boolean;
}

function usage(message: string): CommanderError {
  return new CommanderError(2, 'nntk.invalidArgument', `error: ${message}`);
}

function nonNegativeNumber(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError('expected a finite number >= 0, e.g. 1e-3');
  return v;
}

/** The flags checked against each other (exit 2 naming the flag). */
function checkFlags(o: ExportFlags): void {
  const modes = [o.npy !== undefined && '--npy', o.kernel !== undefined && '--kernel', o.jacobian === true && '--jacobian'].filter(Boolean);
  if (modes.length !== 1) {
    throw usage(modes.length === 0
      ? 'give what to export: --npy DIR (the network\'s arrays), --kernel ntk|nntk or --jacobian (with --data FILE --out FILE.npy)'
      : `give one of --npy, --kernel, --jacobian, not ${modes.join(' and ')}`);
  }
  const onData = o.npy === undefined;
  if (onData) {
    const mode = o.kernel !== undefined ? `--kernel ${o.kernel}` : '--jacobian';
    if (o.data === undefined) throw usage(`${mode} needs --data FILE (a .csv or .json data set)`);
    if (o.out === undefined) throw usage(`${mode} needs --out FILE.npy`);
  } else {
    for (const [flag, value] of [['--data', o.data], ['--out', o.out], ['--x', o.x], ['--y', o.y]] as const) {
      if (value !== undefined) throw usage(`${flag} applies to --kernel and --jacobian, not --npy (which writes into its DIR)`);
    }
  }
  const regularized = o.gamma !== undefined || o.lambda !== undefined;
  if (o.gamma !== undefined && o.lambda !== undefined) throw usage('give --gamma or --lambda, not both');
  if (o.kernel === 'nntk' && !regularized) throw usage('--kernel nntk needs the regularization: --gamma G (lambda = G N^(1 - 2 beta)) or --lambda L');
  if (o.kernel !== 'nntk' && (regularized || o.curvature !== undefined)) {
    throw usage(`${o.gamma !== undefined ? '--gamma' : o.lambda !== undefined ? '--lambda' : '--curvature'} applies to --kernel nntk only`);
  }
}

async function exportCommand(saved: string, o: ExportFlags): Promise<void> {
  checkFlags(o);
  const [{ TwoLayerNet }, { trainingRunFromJSON }, { netToNpy }, { toNpy }, { loadDataset }, kernels] = await Promise.all([
    import('../model.js'), import('../serialize/run-json.js'), import('../serialize/net-npy.js'), import('../serialize/npy.js'),
    import('../experiments/data-ref.js'), import('../kernels.js'),
  ]);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(saved, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the saved network ${saved}: ${(e as Error).message}; give a file written from net.toJSON() or trainingRunToJSON(run)`);
  }
  const format = (value as { format?: unknown } | null)?.format;
  const net = format === 'nntk.TrainingRun' ? trainingRunFromJSON(value).net : TwoLayerNet.fromJSON(value);
  const files: string[] = [];
  let shape: number[] | undefined;
  if (o.npy !== undefined) {
    const dir = resolve(o.npy);
    mkdirSync(dir, { recursive: true });
    const arrays = netToNpy(net);
    for (const name of ['W', 'b', 'c'] as const) {
      writeFileSync(join(dir, `${name}.npy`), arrays[name]);
      files.push(join(dir, `${name}.npy`));
    }
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(arrays.manifest, null, 2)}\n`);
    files.push(join(dir, 'manifest.json'));
  } else {
    const data = loadDataset(o.data!, { ...(o.x !== undefined ? { x: o.x.split(',').map((s) => s.trim()) } : {}), ...(o.y !== undefined ? { y: o.y } : {}) });
    let values: Float64Array;
    if (o.jacobian) {
      values = net.jacobian(data);
      shape = [data.size, net.trainableCount];
    } else {
      const regularization = o.gamma !== undefined ? { gamma: o.gamma } : { lambda: o.lambda! };
      values = o.kernel === 'ntk'
        ? await kernels.ntkGram(net, data)
        : await kernels.nntkGram(net, data, { regularization, ...(o.curvature ? { curvature: o.curvature } : {}) });
      shape = [data.size, data.size];
    }
    const out = resolve(o.out!);
    writeFileSync(out, toNpy(values, shape));
    files.push(out);
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ files, ...(shape ? { shape } : {}) }, null, 2)}\n`);
  if (!o.quiet) process.stderr.write(`wrote ${files.join(', ')}${shape ? ` (${shape.join(' x ')})` : ''}\n`);
}

export function registerExportCommand(cli: Command): void {
  cli
    .command('export')
    .description('write a saved network (net.toJSON() or a saved run) as NumPy .npy: its arrays, or its NTK / NNTK Gram or Jacobian on a data file')
    .argument('<saved>', 'a JSON file from net.toJSON() or trainingRunToJSON(run) (the run\'s trained network)')
    .option('--npy <dir>', 'write W.npy (width x inputDim), b.npy, c.npy and manifest.json into DIR')
    .addOption(new Option('--kernel <kernel>', 'write the M x M Gram of the data: ntk (J J^T / M) or nntk (needs --gamma or --lambda)').choices(['ntk', 'nntk']))
    .option('--jacobian', 'write the M x P\' Jacobian of the trainable parameters at the data')
    .option('--data <file>', 'the data set for --kernel and --jacobian: a .csv (header row) or .json file')
    .option('--x <columns>', 'CSV input columns, comma-separated (default: all but the target)')
    .option('--y <column>', 'CSV target column (default: the last)')
    .option('--out <file>', 'the .npy file for --kernel and --jacobian')
    .option('--gamma <gamma>', 'NNTK regularization gamma (lambda = gamma N^(1 - 2 beta))', nonNegativeNumber)
    .option('--lambda <lambda>', 'NNTK regularization lambda itself', nonNegativeNumber)
    .addOption(new Option('--curvature <curvature>', 'NNTK curvature (default gauss-newton)').choices(['newton', 'gauss-newton']))
    .option('--json', 'print the written files (and the shape) as JSON on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(exportCommand);
}
