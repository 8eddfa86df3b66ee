/**
 * Crash-safe file writes: write to a temporary name in the same folder, then rename. rename(2) is
 * atomic within a file system, so a kill -9 at any moment leaves either the old file or the new one,
 * never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';

function tmpName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

/** Atomically write a file (string or bytes); creates the parent folder. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tmpName(target);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      if (typeof data === "string") fs.writeSync(fd, data);
      else fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Atomically create or replace a whole folder: `fill(tmpDir)` writes into a temporary sibling folder,
 * which is then renamed into place (an existing folder is moved aside first and removed after).
 */
export async function writeDirAtomic(target: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tmpName(target);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
    if (fs.existsSync(target)) {
      const old = tmpName(target) + '-old';
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Remove leftover temporary files/folders of interrupted atomic writes in `dir`. */
export function cleanTemporaries(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.') && name.includes('.tmp-')) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
