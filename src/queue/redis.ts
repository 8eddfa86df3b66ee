/**
 * Reaching Redis: the URL, a bounded pre-flight check (so an unreachable or silent server is one
 * clear error within --connect-timeout instead of BullMQ's endless reconnecting), and the connection
 * options BullMQ's clients get afterwards (they do reconnect for ever, so a Redis restart mid-batch
 * is waited out, not fatal).
 */
import { Redis } from 'ioredis';
import { UserError } from '../util/errors.js';

/** `--connect-timeout` default, s: a Redis on the LAN answers in ms; 5 s also covers a slow TLS handshake. */
export const DEFAULT_CONNECT_TIMEOUT_S = 5;

/** The URL with any password replaced by '***' (for logs and errors). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The part of ioredis's options a URL gives (ioredis's own type trips exactOptionalPropertyTypes). */
export interface RedisOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
  maxRetriesPerRequest?: number | null;
  retryStrategy?: (times: number) => number | null;
  connectTimeout?: number;
}

/** ioredis options of a redis:// or rediss:// URL (host, port, user, password, db, TLS). */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--redis must be a URL like redis://127.0.0.1:6379, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`--redis must be a redis:// or rediss:// URL, got '${redactUrl(url)}'`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new UserError(`--redis: the database number in '${redactUrl(url)}' must be an integer ≥ 0`);
  const o: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
  };
  if (u.username) o.username = decodeURIComponent(u.username);
  if (u.password) o.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') o.tls = {};
  return o;
}

/**
 * Options for BullMQ's connections once the pre-flight passed: commands wait (no retry limit) while
 * Redis is away, reconnecting every ≤ 2 s, so a restart costs seconds, not the batch.
 */
export function queueConnection(url: string): RedisOptions {
  return {
    ...redisOptions(url),
    maxRetriesPerRequest: null,
    retryStrategy: (n: number) => Math.min(200 * n, 2000),
    connectTimeout: 10_000,
  };
}

export interface RedisInfo {
  version: string;
  /** `maxmemory-policy`, or null when the server does not let us read it (CONFIG disabled). */
  policy: string | null;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * Connect once with a bounded timeout, read the version and the eviction policy, disconnect.
 * Unreachable, silent, refusing or too old → UserError (one line).
 */
export async function checkRedis(url: string, timeoutS = DEFAULT_CONNECT_TIMEOUT_S): Promise<RedisInfo> {
  const ms = Math.round(timeoutS * 1000);
  const r = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: ms,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis rejects connect() with a bare "Connection is closed."; the cause (ECONNREFUSED…) comes as an event.
  let cause: Error | null = null;
  r.on('error', (e: Error) => {
    cause ??= e;
  });
  const where = redactUrl(url);
  try {
    await withTimeout(r.connect(), ms, `no answer within ${timeoutS} s`);
    const info = await withTimeout(r.info('server'), ms, `no answer within ${timeoutS} s`);
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0';
    // BullMQ needs Redis ≥ 5 (streams); its own check is skipped (it would warn once per connection).
    if (Number(version.split('.')[0]) < 5)
      throw new UserError(`Redis at ${where} is version ${version}; the queue needs Redis ≥ 5.0`);
    let policy: string | null = null;
    try {
      const c = (await withTimeout(r.config('GET', 'maxmemory-policy'), ms, 'timeout')) as string[];
      policy = c[1] ?? null;
    } catch {
      policy = null;
    }
    return { version, policy };
  } catch (e) {
    if (e instanceof UserError) throw e;
    const msg = (cause as Error | null)?.message ?? (e as Error).message;
    throw new UserError(
      `cannot reach Redis at ${where}: ${msg} (is redis-server running? see README, "Many images: a queue on Redis")`,
    );
  } finally {
    r.disconnect();
  }
}

/** The warning to print when the eviction policy may drop queued jobs (null when fine). */
export function policyWarning(url: string, info: RedisInfo): string | null {
  if (info.policy === 'noeviction') return null;
  if (info.policy === null)
    return `warning: could not read maxmemory-policy of Redis at ${redactUrl(url)}; it must be noeviction, or Redis may drop queued jobs when it runs out of memory`;
  return `warning: Redis at ${redactUrl(url)} has maxmemory-policy '${info.policy}'; set it to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction), or Redis may drop queued jobs when it runs out of memory`;
}
