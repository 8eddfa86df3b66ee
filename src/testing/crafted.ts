/**
 * Crafted image files for the hardening tests: a PNG whose header declares any size but whose pixel
 * data is a few bytes (a decompression bomb's header without its payload — nothing big is ever
 * written or decoded), and the signatures of formats the server must refuse.
 */
import zlib from 'node:zlib';
import { crc32 } from '../util/zip.js';

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A grey 8-bit PNG that declares width×height pixels; its IDAT holds one compressed row only, so the
 * file is ~70 bytes whatever it declares (decoding it would fail as truncated — after allocating).
 */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grey
  const row = zlib.deflateSync(Buffer.alloc(1 + Math.min(width, 64)));
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', row),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}

/** A small SVG (rendered by librsvg if it ever reached sharp). */
export const SVG_BYTES = new Uint8Array(
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><rect width="28" height="28" fill="red"/></svg>',
  ),
);

/** The first bytes of a little-endian TIFF (libtiff's input). */
export const TIFF_SIGNATURE = new Uint8Array([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]);
