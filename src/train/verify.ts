/**
 * Checking a checkpoint folder without loading it (Node): its structure (manifest, model.json, weight
 * and optimizer byte counts), its content (the SHA-256 of every file, recorded in the manifest's
 * `files` when the checkpoint was written) and that its weights are finite. Shared by the GAN's
 * checkpoints (train/checkpoint.ts) and the encoder's (encoder/checkpoint.ts), which differ only in
 * their layout (CheckpointLayout).
 *
 * A checkpoint written before digests existed has no `files`: it is still read, structure and
 * finiteness checked, and reported as unverified (older format).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, readJsonFile } from './manifest.js';

/** Where a kind of checkpoint keeps its parts. */
export interface CheckpointLayout {
  /** Validate manifest.json (throws an Error naming what is wrong); returns its recorded digests. */
  manifest: (dir: string) => { files?: Record<string, string> | undefined };
  /** Folders (relative; '' = the checkpoint folder itself) each holding a TF.js model.json + weights. */
  nets: readonly string[];
  /** Optimizer states, relative FILE for FILE.json (specs) + FILE.bin (data). */
  optimizers: readonly string[];
}

export interface CheckResult {
  /** What is wrong, or null. */
  problem: string | null;
  /** Every weight (and, for a resume, optimizer) file matched a digest recorded in the manifest. */
  verified: boolean;
}

/** `sha256:<hex>` of a file's bytes. */
export function sha256File(file: string): string {
  return `sha256:${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}

/**
 * The digests to record in a checkpoint's manifest: every file under `dir` except manifest.json
 * (which holds them, and which `calibrate` / packaging may edit), keyed by its '/'-separated relative
 * path, sorted.
 */
export function fileDigests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && r !== MANIFEST_FILE) out[r] = sha256File(path.join(dir, r));
    }
  };
  walk('');
  return out;
}

/** Bytes per element of the dtypes tf.io writes. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, complex64: 8 };

interface Spec {
  shape: number[];
  dtype: string;
}

/** The weight specs of a model.json or optimizer json, checked for what tf.io writes. */
function checkedSpecs(specs: unknown): Spec[] {
  if (!Array.isArray(specs)) throw new Error('no weight specs');
  for (const s of specs as { shape?: unknown; dtype?: unknown; quantization?: unknown }[]) {
    if (!Array.isArray(s.shape) || DTYPE_BYTES[String(s.dtype)] === undefined || s.quantization)
      throw new Error(`unexpected weight spec ${JSON.stringify(s).slice(0, 80)}`);
  }
  return specs as Spec[];
}

const specBytes = (specs: Spec[]): number =>
  specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype]!, 0);

function readFile(file: string, rel: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new Error(`${rel} is missing`);
  }
}

/** Non-finite float32 values (NaN, ±Inf) in `bytes` laid out as `specs`. */
function countNonFinite(bytes: Uint8Array, specs: Spec[]): number {
  // A fresh copy when misaligned: small Buffers come from a shared pool at any byte offset.
  const u8 = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  let off = 0,
    bad = 0;
  for (const s of specs) {
    const len = s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype]!;
    if (s.dtype === 'float32') {
      const f = new Float32Array(u8.buffer, u8.byteOffset + off, len / 4);
      for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i]!)) bad++;
    }
    off += len;
  }
  return bad;
}

/**
 * Check a checkpoint folder fully without loading it: the manifest, each network's model.json and
 * that its weight files hold exactly the bytes its specs describe, that they match their digests and
 * are finite, and — for a resume (`optimizer`) — the optimizer states the same way.
 */
export function inspectCheckpoint(dir: string, layout: CheckpointLayout, o: { optimizer: boolean }): CheckResult {
  try {
    const files = layout.manifest(dir).files;
    let unlisted = 0;
    /** Bytes of the files `rels`, each checked against its recorded digest. */
    const read = (rels: string[]): Buffer => {
      const parts = rels.map((rel) => {
        const b = readFile(path.join(dir, rel), rel);
        const want = files?.[rel];
        if (want === undefined) unlisted++;
        else if (`sha256:${crypto.createHash('sha256').update(b).digest('hex')}` !== want)
          throw new Error(
            `${rel} does not match its SHA-256 in ${MANIFEST_FILE} (changed or corrupted since it was written)`,
          );
        return b;
      });
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    };
    const finite = (bytes: Uint8Array, specs: Spec[], what: string) => {
      const bad = countNonFinite(bytes, specs);
      if (bad) throw new Error(`${what} holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or ±Inf)`);
    };
    for (const net of layout.nets) {
      const rel = (f: string) => (net ? `${net}/${f}` : f);
      const j = readJsonFile(path.join(dir, rel('model.json')), rel('model.json')) as {
        modelTopology?: unknown;
        weightsManifest?: { paths: string[]; weights: unknown }[];
      };
      if (!j || typeof j !== 'object' || !j.modelTopology || !Array.isArray(j.weightsManifest))
        throw new Error(`${rel('model.json')} is not a TF.js layers model`);
      const specs = j.weightsManifest.flatMap((g) => checkedSpecs(g.weights));
      const want = specBytes(specs);
      // Sizes first, so a truncated file is named as such rather than as a digest mismatch.
      const paths = j.weightsManifest.flatMap((g) => g.paths.map(rel));
      const have = paths.reduce((n, p) => {
        try {
          return n + fs.statSync(path.join(dir, p)).size;
        } catch {
          throw new Error(`${p} is missing`);
        }
      }, 0);
      const who = net || 'the model';
      if (have !== want) throw new Error(`${who}'s weight files hold ${have} bytes, its model.json describes ${want}`);
      finite(read(paths), specs, `${who}'s weights`);
    }
    if (o.optimizer) {
      for (const rel of layout.optimizers) {
        const j = readJsonFile(path.join(dir, `${rel}.json`), `${rel}.json`) as { specs?: unknown };
        const specs = checkedSpecs(j?.specs);
        const want = specBytes(specs);
        let have: number;
        try {
          have = fs.statSync(path.join(dir, `${rel}.bin`)).size;
        } catch {
          throw new Error(`${rel}.bin is missing`);
        }
        if (have !== want) throw new Error(`${rel}.bin has ${have} bytes, ${rel}.json describes ${want}`);
        read([`${rel}.json`]);
        finite(read([`${rel}.bin`]), specs, `${rel}.bin`);
      }
    }
    for (const net of layout.nets) read([net ? `${net}/model.json` : 'model.json']);
    return { problem: null, verified: files !== undefined && unlisted === 0 };
  } catch (e) {
    return { problem: (e as Error).message, verified: false };
  }
}
