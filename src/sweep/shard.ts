/**
 * Shards for array schedulers (Slurm job arrays and the like): shard i of n runs a deterministic share
 * of a sweep's jobs into its own database, and `nntk sweep merge` combines the databases. Shares are
 * balanced by estimated cost (jobCost): jobs are taken largest first (ties by key) and each goes to the
 * shard with the least work so far (ties to the lowest index), so every array task finishes at about the
 * same time. The share depends only on the set of jobs, never on the machine or the order they were
 * written in, so every task of the array computes the same partition independently.
 */
import { NntkError } from '../errors.js';
import { type Job, jobCost, jobKey } from '../experiments/jobs.js';

export interface Shard {
  /** 0-based: 0 <= index < count. */
  index: number;
  count: number;
}

/** '3/8' -> { index: 3, count: 8 }. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) {
    throw new NntkError('E_ARGUMENT', `--shard '${text}': expected i/n with 0 <= i < n, e.g. 0/4 (shards are numbered from 0, like SLURM_ARRAY_TASK_ID with --array=0-3)`);
  }
  return { index, count };
}

/**
 * The shard of this array task from Slurm's environment: SLURM_ARRAY_TASK_ID relative to
 * SLURM_ARRAY_TASK_MIN (so --array=1-4 works as well as 0-3) out of SLURM_ARRAY_TASK_COUNT. Null outside an array job.
 */
export function shardFromEnvironment(env: NodeJS.ProcessEnv = process.env): Shard | null {
  const id = env.SLURM_ARRAY_TASK_ID;
  const count = env.SLURM_ARRAY_TASK_COUNT;
  if (id === undefined || count === undefined) return null;
  const min = env.SLURM_ARRAY_TASK_MIN ?? '0';
  const step = env.SLURM_ARRAY_TASK_STEP ?? '1';
  const index = (Number(id) - Number(min)) / Number(step);
  if (!Number.isInteger(index) || !Number.isInteger(Number(count))) {
    throw new NntkError('E_ARGUMENT', `cannot read the shard from SLURM_ARRAY_TASK_ID=${id}, SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step}, SLURM_ARRAY_TASK_COUNT=${count}; pass --shard i/n`);
  }
  return parseShard(`${index}/${count}`);
}

/** The jobs of one shard, in their original order. */
export function shardJobs(jobs: readonly Job[], shard: Shard): Job[] {
  if (shard.count === 1) return [...jobs];
  const entries = jobs.map((job, position) => ({ job, position, key: jobKey(job), cost: jobCost(job) }));
  const order = [...entries].sort((a, b) => b.cost - a.cost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const heap = new LeastLoaded(shard.count);
  const mine = new Set<number>();
  for (const e of order) {
    if (heap.assign(e.cost) === shard.index) mine.add(e.position);
  }
  return entries.filter((e) => mine.has(e.position)).map((e) => e.job);
}

/** A binary min-heap of shards by (load, index): the shard with the least work so far, in O(log n). */
class LeastLoaded {
  private readonly load: number[];
  private readonly index: number[];

  constructor(count: number) {
    this.load = new Array<number>(count).fill(0);
    this.index = Array.from({ length: count }, (_, k) => k);
  }

  private less(a: number, b: number): boolean {
    return this.load[a]! < this.load[b]! || (this.load[a] === this.load[b] && this.index[a]! < this.index[b]!);
  }

  private swap(a: number, b: number): void {
    [this.load[a], this.load[b]] = [this.load[b]!, this.load[a]!];
    [this.index[a], this.index[b]] = [this.index[b]!, this.index[a]!];
  }

  /** Adds cost to the least loaded shard and returns that shard's index. */
  assign(cost: number): number {
    const chosen = this.index[0]!;
    this.load[0]! += cost;
    const n = this.load.length;
    for (let k = 0; ; ) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === k) break;
      this.swap(k, m);
      k = m;
    }
    return chosen;
  }
}
