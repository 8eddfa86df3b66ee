/**
 * A throw-away redis-server for tests and benchmarks: a free loopback port, a temporary folder, no
 * persistence (`--save '' --appendonly no`), started and stopped by the caller. Debian's
 * redis-server (.ci/run installs it); without it, tests are skipped with a note — except under CI,
 * where a missing server is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

const CANDIDATES = [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].filter(
  (x): x is string => !!x,
);

/** Path of redis-server, or null (under CI=true: throws instead). */
export function redisServerPath(): string | null {
  const p = CANDIDATES.find((c) => fs.existsSync(c)) ?? null;
  if (!p && process.env.CI === 'true')
    throw new Error('redis-server is not installed (apt-get install redis-server); the queue tests need it under CI');
  return p;
}

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** A plain client for inspecting keys in tests (closed by stop()). */
  client: Redis;
  /** Kill the server (SIGKILL: nothing is saved) and start a fresh one on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function waitForPing(port: number, ms: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const r = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      return;
    } catch {
      if (Date.now() - t0 > ms) throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
      await new Promise((res) => setTimeout(res, 50));
    } finally {
      r.disconnect();
    }
  }
}

export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-redis-'));
  const port = await freePort();
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        path.join(dir, 'redis.log'),
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(port, 10_000);
  };
  await launch();
  const client = new Redis({
    host: '127.0.0.1',
    port,
    maxRetriesPerRequest: null,
    retryStrategy: (n) => Math.min(100 * n, 500),
  });
  client.on('error', () => {});
  const kill = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    client,
    restart: async (downMs = 500) => {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop: async () => {
      client.disconnect();
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
