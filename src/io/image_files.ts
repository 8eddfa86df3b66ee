/**
 * Image files in a folder: which suffixes count as images, and the one recursive walk that lists them
 * (a dataset folder, `inpaint` and `batch` input folders, a model's bundled samples). Node only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

/** File suffixes read as images (lower case; matched case-insensitively). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif'];

/**
 * Relative paths ('/' separators, sorted) of the image files under `root`, recursively. Links are
 * followed, but every folder is read once per real path: a link back to a folder already on the walk
 * (`self -> .`, two folders linking to each other) is skipped, so a cycle can neither repeat images
 * nor hang the walk. Files reached twice (through a link to a file) are listed once.
 */
export function listImageFiles(root: string): string[] {
  const out: string[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const real = (p: string): string | null => {
    try {
      return fs.realpathSync(p);
    } catch {
      return null; // dangling link
    }
  };
  const walk = (rel: string) => {
    const dir = path.join(root, rel);
    const r = real(dir);
    if (r === null || seenDirs.has(r)) return;
    seenDirs.add(r);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new UserError(
        `cannot read dataset folder '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory(),
        isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = fs.statSync(path.join(dir, e.name));
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) walk(r);
      else if (isFile && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        const rf = real(path.join(dir, e.name));
        if (rf === null || seenFiles.has(rf)) continue;
        seenFiles.add(rf);
        out.push(r);
      }
    }
  };
  walk('');
  return out.sort();
}
