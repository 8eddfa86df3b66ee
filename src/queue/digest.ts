/**
 * Content digests that make at-least-once delivery give exactly-once results: a job's id is a digest
 * of everything its result depends on, so enqueuing the same work twice is a no-op (BullMQ ignores an
 * add with an existing id) and a job that runs twice writes the same bytes to the same place.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { InpaintOptions } from '../inpaint/options.js';
import type { MaskSpec } from './protocol.js';
import { unb64 } from './protocol.js';

const sha256 = () => crypto.createHash('sha256');

/**
 * sha256 of a checkpoint's networks: every file under generator/ and critic/ (topology and weights),
 * names and bytes, in sorted order. The manifest is left out on purpose: it carries dates and notes
 * that do not change a result, so a copied or re-packaged model keeps its digest.
 */
export function modelDigest(dir: string): string {
  const h = sha256();
  const walk = (rel: string) => {
    const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const bytes = fs.readFileSync(path.join(dir, r));
        h.update(`${r}\0${bytes.length}\0`);
        h.update(bytes);
      }
    }
  };
  for (const net of ['generator', 'critic']) walk(net);
  return h.digest('hex');
}

/** JSON with sorted keys, so equal options always hash alike. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(x);
}

/** sha256 of a mask spec: kind and seed, or the mask file's bytes. */
function maskDigest(m: MaskSpec): string {
  return 'kind' in m ? canonical(m) : sha256().update(unb64(m.png)).digest('hex');
}

/** The digest of one image's result: (model digest, image bytes, mask, options — the seed among them). */
export function itemKey(model: string, image: Uint8Array, mask: MaskSpec, options: InpaintOptions): string {
  const h = sha256();
  h.update(`wgan-inpaint item v1\0${model}\0`);
  h.update(sha256().update(image).digest('hex'));
  h.update(`\0${maskDigest(mask)}\0${canonical(options)}`);
  return h.digest('hex');
}

/**
 * The BullMQ job id of a chunk: a digest of its items' keys in order (each already covers model,
 * image, mask and options). 'c' + 40 hex digits: never an integer and no ':' (BullMQ rejects both).
 */
export function chunkId(keys: string[]): string {
  return 'c' + sha256().update(`wgan-inpaint chunk v1\0${keys.join('\0')}`).digest('hex').slice(0, 40);
}
