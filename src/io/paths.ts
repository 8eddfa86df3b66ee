/** Where the package's own files (shipped models, samples, the built web page) are on disk. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is dist/src/io/paths.js once compiled. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Shipped default models, one folder each (a checkpoint folder with manifest.json). */
export const MODELS_DIR = path.join(PACKAGE_ROOT, 'models');

/** A folder as printed in messages: `out/`, never `out//` whatever the user typed. */
export const shownDir = (dir: string): string => `${dir.replace(/\/+$/, '') || '/'}/`.replace(/^\/\/$/, '/');
