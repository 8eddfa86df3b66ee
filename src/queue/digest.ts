/**
 * Content digests that make at-least-once delivery give exactly-once results: a job's id is a digest
 * of everything its result depends on, so enqueuing the same work twice is a no-op (BullMQ ignores an
 * add with an existing id) and a job that runs twice writes the same bytes to the same place.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InpaintOptions } from '../inpaint/options.js';
import { ENCODER_KIND } from '../encoder/manifest.js';
import type { MaskSpec } from './protocol.js';
import { unb64 } from './protocol.js';
import type { MaskConvention } from '../masks/convention.js';

const sha256 = () => crypto.createHash('sha256');

/**
 * sha256 of a checkpoint's networks: every file under generator/ and critic/ (topology and weights),
 * names and bytes, in sorted order. The manifest is left out on purpose: it carries dates and notes
 * that do not change a result, so a copied or re-packaged model keeps its digest.
 *
 * The model's encoder changes results too (the search starts at its z, and iterations × restarts
 * default per start), so the encoder the model is used with is covered as well: `encoderDir` when
 * given (`--encoder DIR`), else MODEL/encoder/ when it holds one (src/encoder/checkpoint.ts). Its
 * network files are hashed under the name encoder/ wherever they lie — an encoder passed with
 * `--encoder` and the same one installed into MODEL/encoder/ give one digest — and of its manifest
 * the one part that decides whether it is used for this generator (`generator`: its digest and shape);
 * its dates and training notes are not. A model without an encoder hashes exactly as before.
 */
export function modelDigest(dir: string, encoderDir?: string | null): string {
  const h = sha256();
  /** Hash the files under `base`/`rel` as `name`/`rel`… (sorted, recursive), skipping some names. */
  const walk = (base: string, name: string, rel = '', skip: (file: string) => boolean = () => false) => {
    const entries = fs
      .readdirSync(path.join(base, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(base, name, r, skip);
      else if (e.isFile() && !skip(e.name)) {
        const bytes = fs.readFileSync(path.join(base, r));
        h.update(`${name}/${r}\0${bytes.length}\0`);
        h.update(bytes);
      }
    }
  };
  for (const net of ['generator', 'critic']) walk(path.join(dir, net), net);
  const encDir = encoderDir ?? path.join(dir, ENCODER_DIR);
  const enc = encoderManifest(encDir);
  if (encoderDir && !enc) throw new Error(`modelDigest: '${encoderDir}' holds no encoder manifest`);
  if (enc) {
    const g = (enc.generator ?? {}) as Record<string, unknown>;
    h.update(
      `${ENCODER_DIR}/manifest.json#generator\0${canonical({ digest: g.digest ?? null, size: g.size ?? null, channels: g.channels ?? null, nz: g.nz ?? null })}\0`,
    );
    // The manifest (above: its generator part) and a run checkpoint's Adam state change no result.
    walk(encDir, ENCODER_DIR, '', (file) => file === 'manifest.json' || file.startsWith('optimizer'));
  }
  return h.digest('hex');
}

const ENCODER_DIR = 'encoder';

/** DIR/manifest.json when it is an encoder's (kind "inpainting-encoder"), else null — as modelEncoderDir decides. */
function encoderManifest(encDir: string): Record<string, unknown> | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(encDir, 'manifest.json'), 'utf8')) as Record<string, unknown> | null;
    return m && typeof m === 'object' && m.kind === ENCODER_KIND ? m : null;
  } catch {
    return null;
  }
}

/** JSON with sorted keys, so equal options always hash alike. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object')
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x);
}

/** sha256 of a mask spec: kind and seed, or the mask file's bytes. */
function maskDigest(m: MaskSpec): string {
  return 'kind' in m ? canonical(m) : sha256().update(unb64(m.png)).digest('hex');
}

/**
 * The digest of one image's result: (model digest, image bytes, mask, options — the seed among them —
 * and the mask convention, which decides how a mask file is read and how mask.png is written). v2:
 * the convention joined (#31), so outputs of v1 runs, whose mask.png was white = known, are redone.
 */
export function itemKey(
  model: string,
  image: Uint8Array,
  mask: MaskSpec,
  options: InpaintOptions,
  maskConvention: MaskConvention,
): string {
  const h = sha256();
  h.update(`wgan-inpaint item v2\0${model}\0`);
  h.update(sha256().update(image).digest('hex'));
  h.update(`\0${maskDigest(mask)}\0${canonical(options)}\0${maskConvention}`);
  return h.digest('hex');
}

/**
 * The BullMQ job id of a chunk: a digest of its items' keys in order (each already covers model,
 * image, mask and options). 'c' + 40 hex digits: never an integer and no ':' (BullMQ rejects both).
 */
export function chunkId(keys: string[]): string {
  return (
    'c' +
    sha256()
      .update(`wgan-inpaint chunk v1\0${keys.join('\0')}`)
      .digest('hex')
      .slice(0, 40)
  );
}
