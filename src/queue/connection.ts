/**
 * Where the Redis job queue lives: `redis://HOST:PORT[/DB]` (user and password may precede the host,
 * `rediss://` connects over TLS), and a queue name. Bad input is refused with NntkError E_ARGUMENT
 * saying what was expected; an unreachable server is reported before any work starts.
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { NntkError } from '../errors.js';

/** The queue name when --name is not given: submit, worker and collect must agree on it. */
export const DEFAULT_QUEUE_NAME = 'nntk';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

const FORM = 'expected redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0';

function badUrl(url: string, why: string): NntkError {
  return new NntkError('E_ARGUMENT', `queue URL '${url}': ${why}; ${FORM}`);
}

export function parseRedisUrl(url: string): RedisAddress {
  if (typeof url !== 'string' || url.trim() === '') throw new NntkError('E_ARGUMENT', `a queue URL is required (--queue); ${FORM}`);
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw badUrl(url, 'not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw badUrl(url, `the scheme is '${parsed.protocol.replace(/:$/, '')}', not redis`);
  if (parsed.hostname === '') throw badUrl(url, 'no host');
  if (parsed.search !== '' || parsed.hash !== '') throw badUrl(url, 'query strings and fragments are not understood');
  // URL drops a default port it knows of; redis: has none, so an empty port means none was written.
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw badUrl(url, `port ${parsed.port} is out of range`);
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw badUrl(url, `the database '${path}' is not a number`);
  const db = path === '' ? 0 : Number(path);
  // IPv6 hosts come back bracketed ([::1]); ioredis wants them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
    tls: parsed.protocol === 'rediss:',
  };
}

/** The URL again, without the password (for messages). */
export function describeAddress(a: RedisAddress): string {
  return `${a.tls ? 'rediss' : 'redis'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/${a.db}`;
}

/** BullMQ queue names end up inside Redis keys ("bull:NAME:..."), where ':' separates the parts. */
export function checkQueueName(name: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new NntkError('E_ARGUMENT', `queue name ${JSON.stringify(name)}: expected 1 to 100 letters, digits, '.', '_' or '-' (starting with a letter or digit), e.g. --name widths`);
  }
  return name;
}

/**
 * ioredis options for BullMQ. maxRetriesPerRequest null: BullMQ's workers block on Redis and require
 * it (a command waits for a lost connection to come back instead of failing).
 */
export function redisOptions(a: RedisAddress): RedisOptions {
  return {
    host: a.host,
    port: a.port,
    db: a.db,
    ...(a.username !== undefined ? { username: a.username } : {}),
    ...(a.password !== undefined ? { password: a.password } : {}),
    ...(a.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/**
 * A plain ioredis client, connected once without retrying and checked with PING, so that a wrong
 * address or a server that is not running gives one clear error instead of ioredis reconnecting
 * forever. The caller disconnects it.
 */
export async function connectOnce(a: RedisAddress, timeoutMs = 5000): Promise<Redis> {
  const client = new Redis({ ...redisOptions(a), lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  // The cause (ECONNREFUSED, ENOTFOUND, ...) arrives as an event; connect() rejects with "Connection is closed".
  let cause: Error | undefined;
  client.on('error', (e: Error) => {
    cause ??= e;
  });
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (e) {
    client.disconnect();
    throw new NntkError(
      'E_ARGUMENT',
      `could not reach Redis at ${describeAddress(a)}: ${(cause ?? (e as Error)).message || String(e)} (is redis-server running there? e.g. redis-server --port ${a.port})`,
    );
  }
}

/** connectOnce, for a check only. */
export async function checkReachable(a: RedisAddress, timeoutMs = 5000): Promise<void> {
  (await connectOnce(a, timeoutMs)).disconnect();
}
