/**
 * Parser for the IDX format of (Fashion-)MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * (0, 0, type code, number of dimensions), then one big-endian uint32 per dimension, then the values
 * in row-major order, big-endian. Pure: bytes in, typed array out (gunzip happens in the loader).
 */
import { UserError } from '../util/errors.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface Idx {
  /** Sizes of the dimensions, e.g. [60000, 28, 28] for an image file, [60000] for labels. */
  dims: number[];
  /** All values, row-major. For type 0x08 (ubyte) a view on the input bytes (no copy). */
  data: IdxData;
}

const TYPES: Record<number, { bytes: number; name: string }> = {
  8: { bytes: 1, name: 'ubyte' },
  9: { bytes: 1, name: 'sbyte' },
  11: { bytes: 2, name: 'short' },
  12: { bytes: 4, name: 'int' },
  13: { bytes: 4, name: 'float' },
  14: { bytes: 8, name: 'double' },
};

/** Parse an IDX buffer; `name` appears in error messages. Throws UserError on malformed data. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): Idx {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new UserError(`${name} is not an IDX file (bad magic number)`);
  const code = bytes[2]!;
  const nd = bytes[3]!;
  const type = TYPES[code];
  if (!type) throw new UserError(`${name}: unknown IDX data type 0x${code.toString(16)}`);
  const header = 4 + 4 * nd;
  if (bytes.length < header) throw new UserError(`${name}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = header + count * type.bytes;
  if (bytes.length < need) throw new UserError(`${name}: truncated IDX data (${bytes.length} bytes, need ${need})`);
  const at = (i: number) => header + i * type.bytes;
  let data: IdxData;
  switch (code) {
    case 0x08:
      data = bytes.subarray(header, need);
      break;
    case 0x09:
      data = new Int8Array(bytes.buffer, bytes.byteOffset + header, count);
      break;
    case 0x0b:
      data = new Int16Array(count).map((_, i) => view.getInt16(at(i), false));
      break;
    case 0x0c:
      data = new Int32Array(count).map((_, i) => view.getInt32(at(i), false));
      break;
    case 0x0d:
      data = new Float32Array(count).map((_, i) => view.getFloat32(at(i), false));
      break;
    default:
      data = new Float64Array(count).map((_, i) => view.getFloat64(at(i), false));
  }
  return { dims, data };
}
