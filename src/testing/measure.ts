/**
 * Run the `wgan-inpaint` binary in a child process and report its exit status, stderr and peak
 * resident memory: memory-bound tests need the peak of a whole run, which a test cannot see from
 * inside its own (shared, already-warm) process.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './queue_fixture.js';

/** Preloaded into the child: writes the process's peak RSS (KB) to $WGAN_RSS_FILE as it exits. */
const PRELOAD = `data:text/javascript,${encodeURIComponent('import fs from "node:fs"; process.on("exit", () => fs.writeFileSync(process.env.WGAN_RSS_FILE, String(process.resourceUsage().maxRSS)));')}`;

export interface CliRun {
  /** Exit status; null when the guard below killed it. */
  status: number | null;
  stderr: string;
  stdout: string;
  /** Peak resident set size of the child, MB (NaN when it did not exit normally). */
  maxRssMB: number;
}

/**
 * `wgan-inpaint ...args` in a child; `guardMs` only stops a hung child (so a regression fails the test
 * instead of hanging the suite): no assertion is made on time.
 */
export function runCli(args: string[], guardMs = 300_000): CliRun {
  const rssFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wgan-rss-')), 'rss');
  try {
    const r = spawnSync(process.execPath, ['--import', PRELOAD, CLI, ...args], {
      encoding: 'utf8',
      timeout: guardMs,
      env: { ...process.env, WGAN_RSS_FILE: rssFile },
    });
    const kb = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) : NaN;
    return { status: r.status, stderr: r.stderr ?? '', stdout: r.stdout ?? '', maxRssMB: kb / 1024 };
  } finally {
    fs.rmSync(path.dirname(rssFile), { recursive: true, force: true });
  }
}
