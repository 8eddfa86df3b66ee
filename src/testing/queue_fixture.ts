/**
 * Test and benchmark helpers of the queue: a folder of small distinct images with a tiny untrained
 * model, `wgan-inpaint worker` child processes, and reading an output tree back for comparison.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../io/image.js';
import { PACKAGE_ROOT } from '../io/paths.js';
import { makeTinyModel, testImage } from './server_fixture.js';
import { updateManifest } from '../train/manifest.js';
import { fileDigests } from '../train/verify.js';

export const CLI = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface QueueFixture {
  tmp: string;
  modelDir: string;
  input: string;
  files: string[];
  cleanup(): void;
}

/** `n` distinct 28×28 grey PNGs (the test disc, brightness and gradient varied) and the tiny model. */
export async function makeQueueFixture(
  n: number,
  extraModel = false,
): Promise<QueueFixture & { otherModelDir?: string }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-queue-'));
  const modelDir = await makeTinyModel(path.join(tmp, 'model'));
  const input = path.join(tmp, 'in');
  fs.mkdirSync(input);
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const im = testImage(28, 1);
    for (let j = 0; j < im.data.length; j++)
      im.data[j] = Math.min(1, im.data[j]! * (0.4 + (0.6 * i) / n) + ((j * (i + 1)) % 7) / 100);
    const f = path.join(input, `img${String(i).padStart(4, '0')}.png`);
    fs.writeFileSync(f, await encodePng(im));
    files.push(f);
  }
  const out: QueueFixture & { otherModelDir?: string } = {
    tmp,
    modelDir,
    input,
    files,
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
  if (extraModel) {
    // Same architecture, other weights (buildModels seeds from the spec; a different step changes nothing):
    // rewrite one weight file so the digest differs.
    const other = await makeTinyModel(path.join(tmp, 'other'));
    const wf = path.join(other, 'generator', 'weights.bin');
    const b = fs.readFileSync(wf);
    b[0] = b[0]! ^ 0xff;
    fs.writeFileSync(wf, b);
    // Record the changed file's digest, or loading it would (rightly) refuse it as corrupted.
    updateManifest(other, (m) => ({ ...m, files: fileDigests(other) }));
    out.otherModelDir = other;
  }
  return out;
}

export interface WorkerProc {
  proc: ChildProcess;
  /** BullMQ worker name (`host:pid`), as stored in a job's processedBy. */
  name: string;
  /** Resolves once the worker logged 'ready'; rejects if it exits first. */
  ready: Promise<void>;
  /** Everything it wrote to stderr so far. */
  log(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Start `wgan-inpaint worker` as a child process (stdout/stderr captured, never printed). */
export function spawnWorker(args: string[]): WorkerProc {
  const proc = spawn(process.execPath, [CLI, 'worker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/ ready: /.test(text)) resolve();
    };
    proc.stderr!.on('data', check);
    void exited.then((c) => reject(new Error(`worker exited (${c}) before it was ready:\n${text}`)));
  });
  ready.catch(() => {});
  return { proc, name: `${os.hostname()}:${proc.pid}`, ready, log: () => text, exited };
}

/** All files under `dir` (relative path → bytes), except the names in `skip`. */
export function readTree(dir: string, skip = new Set(['summary.json'])): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (!skip.has(e.name)) out.set(r, fs.readFileSync(path.join(dir, r)));
    }
  };
  walk('');
  return out;
}

/** Poll `f` every 25 ms until it holds; throws naming `what` after `ms` milliseconds. */
export async function until(what: string, ms: number, f: () => Promise<boolean> | boolean): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Run the CLI in a child process: its exit status and everything it wrote to stderr. */
export function runCli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stdout.resume();
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (status) => resolve({ status, stderr }));
  });
}
