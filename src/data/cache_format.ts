/**
 * Byte layout of a decoded-dataset cache file. Pure (TextEncoder only), so it is testable without
 * touching the disk; load_node.ts does the reading and the atomic writing.
 *
 * Layout: "WGIDS01\n" (8 bytes) | header length (uint32 LE) | header JSON (UTF-8) | zero pad to 4 |
 * pixels (n·size²·channels bytes) | zero pad to 4 | labels (n int32 LE, when labelled) |
 * kept (n int32 LE: the source item index of each row, so `limit` selects the same images from the
 * cache as from the source even when corrupt files were skipped).
 */
import type { Dataset, Split } from './dataset.js';

const MAGIC = 'WGIDS01\n';

export interface CacheHeader {
  /** Hash of everything the contents depend on; a mismatch means the cache is stale. */
  key: string;
  name: string;
  split: Split;
  size: number;
  channels: 1 | 3;
  n: number;
  skipped: number;
  /** A few names of the skipped files, for the warning repeated on cached loads. */
  skippedNames: string[];
  classNames?: string[];
}

export interface CachedDataset {
  ds: Dataset;
  /** Source item index of each row. */
  kept: Int32Array;
  skippedNames: string[];
}

const pad4 = (x: number) => (x + 3) & ~3;

function int32le(a: Int32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) v.setInt32(4 * i, a[i]!, true);
  return out;
}

function readInt32le(bytes: Uint8Array, off: number, n: number): Int32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset + off, n * 4);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
  return out;
}

export function encodeCache(ds: Dataset, key: string, kept: Int32Array, skippedNames: string[]): Uint8Array {
  const header: CacheHeader = {
    key,
    name: ds.name,
    split: ds.split,
    size: ds.size,
    channels: ds.channels,
    n: ds.n,
    skipped: ds.skipped,
    skippedNames,
  };
  if (ds.classNames) header.classNames = ds.classNames;
  const hj = new TextEncoder().encode(JSON.stringify(header));
  const pxOff = pad4(12 + hj.length);
  const lbOff = pad4(pxOff + ds.pixels.length);
  const keptOff = lbOff + (ds.labels ? 4 * ds.n : 0);
  const out = new Uint8Array(keptOff + 4 * ds.n);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, hj.length, true);
  out.set(hj, 12);
  out.set(ds.pixels, pxOff);
  if (ds.labels) out.set(int32le(ds.labels), lbOff);
  out.set(int32le(kept), keptOff);
  return out;
}

/** Decode a cache file; undefined when it is malformed, truncated or its key differs from `key`. */
export function decodeCache(bytes: Uint8Array, key: string): CachedDataset | undefined {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return undefined;
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, 12).getUint32(8, true);
  if (12 + hlen > bytes.length) return undefined;
  let h: CacheHeader;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as CacheHeader;
  } catch {
    return undefined;
  }
  if (h.key !== key) return undefined;
  const s = h.size * h.size * h.channels;
  const pxOff = pad4(12 + hlen);
  const lbOff = pad4(pxOff + h.n * s);
  const labelled = h.classNames !== undefined;
  const keptOff = lbOff + (labelled ? 4 * h.n : 0);
  if (bytes.length !== keptOff + 4 * h.n) return undefined;
  // slice() copies: the result must not pin (or alias) the file's Buffer.
  const ds: Dataset = {
    name: h.name,
    split: h.split,
    size: h.size,
    channels: h.channels,
    n: h.n,
    pixels: bytes.slice(pxOff, pxOff + h.n * s),
    skipped: h.skipped,
  };
  if (labelled) {
    ds.labels = readInt32le(bytes, lbOff, h.n);
    ds.classNames = h.classNames!;
  }
  return { ds, kept: readInt32le(bytes, keptOff, h.n), skippedNames: h.skippedNames };
}
