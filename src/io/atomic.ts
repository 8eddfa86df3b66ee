/**
 * Crash-safe file writes: write to a temporary name in the same folder, then rename. rename(2) is
 * atomic within a file system, so a kill -9 at any moment leaves either the old file or the new one,
 * never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'a folder is in the way',
  ENOTDIR: 'a parent is a file, not a folder',
  EEXIST: 'something is in the way',
  ENOENT: 'the folder does not exist',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
};

/** `no space left on the device (ENOSPC)` for an errno error, else its message's first line. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code) return `${ERRNO_TEXT[code] ?? (e as Error).message.split('\n')[0]} (${code})`;
  return (e as Error).message.split('\n')[0] ?? String(e);
}

/** A failed write: one line naming the file and why (a full disk, a read-only file system, …). */
export class WriteError extends UserError {
  override name = 'WriteError';
  constructor(
    readonly file: string,
    readonly reason: unknown,
  ) {
    super(`cannot write '${file}': ${describeFsError(reason)}`);
  }
}

function tmpName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

/** Atomically write a file (string or bytes); creates the parent folder. Failures → WriteError naming `target`. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch (e) {
    throw new WriteError(target, e);
  }
  const tmp = tmpName(target);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      if (typeof data === 'string') fs.writeSync(fd, data);
      else fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw (e as NodeJS.ErrnoException).code ? new WriteError(target, e) : e;
  }
}

/**
 * Atomically create or replace a whole folder: `fill(tmpDir)` writes into a temporary sibling folder,
 * which is then renamed into place (an existing folder is moved aside first and removed after).
 * A failed write → WriteError naming the file as it would have been inside `target`.
 */
export async function writeDirAtomic(target: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const tmp = tmpName(target);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.mkdirSync(tmp, { recursive: true });
  } catch (e) {
    throw new WriteError(target, e);
  }
  try {
    try {
      await fill(tmp);
    } catch (e) {
      if (e instanceof WriteError && e.file.startsWith(tmp + path.sep))
        throw new WriteError(path.join(target, path.relative(tmp, e.file)), e.reason);
      throw e;
    }
    if (fs.existsSync(target)) {
      const old = `${tmpName(target)}-old`;
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // File-system failures (errno codes) name the folder; anything else is a bug and stays as it is.
    throw e instanceof UserError || !(e as NodeJS.ErrnoException).code ? e : new WriteError(target, e);
  }
}

/** Remove leftover temporary files/folders of interrupted atomic writes in `dir`. */
export function cleanTemporaries(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.') && name.includes('.tmp-'))
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
