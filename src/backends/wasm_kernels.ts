/**
 * The project's own kernels for TF.js's `wasm` backend, so that it can train conv nets, fast.
 *
 * Stock @tensorflow/tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` (any conv-net gradient fails),
 * a naive `Conv2DBackpropInput` (≈2 GFLOP/s; it is also the forward pass of tf.conv2dTranspose), and a
 * `BatchMatMul` / `_FusedMatMul` that is fast (XNNPACK, ≈25 GFLOP/s) only when neither operand is
 * transposed (≈2 GFLOP/s otherwise, and every matMul gradient transposes). Each kernel here is
 * rewritten in terms of the backend's fast kernels:
 *
 * - Conv2DBackpropInput = ONE stride-1 XNNPACK conv of dy with a "phase" filter that computes all
 *   stride² output phases at once (sub-pixel decomposition: no multiplications by inserted zeros),
 *   then a depth-to-space transpose and a crop.
 * - Conv2DBackpropFilter = im2col of x, written transposed in JS into the wasm heap, + a
 *   non-transposed matMul.
 * - BatchMatMul / _FusedMatMul with transposeA/B = explicit Transpose + the non-transposed kernel
 *   (and _FusedMatMul with a bias and batch > 1, which the stock kernel gets wrong, = matMul + Add).
 *
 * Only NHWC and dilation 1 are supported (what the models use); other attrs throw a clear Error.
 * Kernels call the other kernels' functions directly with TensorInfos (as the backend's own kernels
 * do) and free every intermediate with backend.disposeData, so nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type Pad = tf.Conv2DBackpropInputAttrs['pad'];

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  disposeData(dataId: object, force?: boolean): boolean;
  wasm: { HEAPU8: Uint8Array };
}

/** A kernel's arguments as ours read them: `A`, its attributes' own type (TF.js passes a NamedAttrMap). */
interface KernelArgs<A extends object = tf.NamedAttrMap> {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackend;
  attrs?: A;
}

/**
 * One of our kernels as TF.js registers it: TF.js calls it with a KernelBackend and a NamedAttrMap, ours
 * see the WasmBackend members they use and their attributes' own type (the one cast, here).
 */
function asKernelFunc<A extends object>(f: (args: KernelArgs<A>) => Info): tf.KernelFunc {
  return f as unknown as tf.KernelFunc;
}

const BACKEND = 'wasm';

/** The shipped kernels we replace or call, captured once (before ours replace them). */
const stock = new Map<string, tf.KernelConfig>();
/** Our kernel functions, to recognise them on a second registerWasmKernels() call. */
const ours = new Set<tf.KernelFunc>();

function kernel(name: string): tf.KernelConfig {
  const k = stock.get(name) ?? tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm kernel '${name}' is not registered: import @tensorflow/tfjs-backend-wasm first`);
  return k;
}

/** Run another wasm kernel synchronously on TensorInfos (the stock one when we replaced it). */
function call(name: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): Info {
  const out = kernel(name).kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out as Info;
}

function free(backend: WasmBackend, ...infos: Info[]): void {
  for (const i of infos) backend.disposeData(i.dataId);
}

/** A Float32Array over the whole wasm heap; taken after all allocations (growing the heap detaches it). */
function heapF32(backend: WasmBackend): Float32Array {
  const u8 = backend.wasm.HEAPU8;
  return new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength >>> 2);
}

/**
 * Padding of dy along one axis: padBefore/padAfter rows of zeros; negative padding means cropping dy
 * instead (rows that only touch the conv's padding) — dyStart/dyLen select the rows kept.
 */
function dyPadding(
  padBefore: number,
  padAfter: number,
  outSize: number,
): { padBefore: number; padAfter: number; dyStart: number; dyLen: number } {
  let dyStart = 0;
  let dyLen = outSize;
  if (padBefore < 0) {
    dyStart = -padBefore;
    dyLen += padBefore;
    padBefore = 0;
  }
  if (padAfter < 0) {
    dyLen += padAfter;
    padAfter = 0;
  }
  return { padBefore, padAfter, dyStart, dyLen };
}

/** Float index of a tensor's first element in heapF32 (malloc aligns to ≥ 8 bytes). */
function offsetF32(backend: WasmBackend, info: Info): number {
  const d = backend.dataIdMap.get(info.dataId);
  if (!d) throw new Error('wasm tensor data not found');
  return d.memoryOffset >>> 2;
}

function checkAttrs(kernelName: string, info: Info[], dataFormat: unknown, dilations: unknown = 1): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`wasm ${kernelName}: dataFormat '${String(dataFormat)}' is not supported (only NHWC)`);
  }
  const d = Array.isArray(dilations) ? dilations : [dilations, dilations];
  if (d.some((v) => v !== 1))
    throw new Error(`wasm ${kernelName}: dilations ${JSON.stringify(dilations)} are not supported (only 1)`);
  for (const t of info) {
    if (t.dtype !== 'float32')
      throw new Error(`wasm ${kernelName}: dtype '${t.dtype}' is not supported (only float32)`);
  }
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: unknown,
  pad: Pad,
  dimRoundingMode: unknown,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as [number, number] | number,
    1,
    pad,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

/**
 * How one spatial axis of a transposed conv maps onto a stride-1 conv (sub-pixel decomposition).
 * With t = i + padBefore for input index i (dx row), t = s·q + r: dx[t] = Σ_j dyPadded[q + j]·W̃_r[j]
 * for a window of m = ceil(k/s) taps, where W̃_r[j] = W[r + s·(m−1−j)] (0 when ≥ k).
 */
export interface PhaseAxis {
  /** taps of the phase filter, ceil(k / s) */
  m: number;
  /** number of phase rows q computed, so the conv output has q·s ≥ inSize + crop rows */
  q: number;
  /** explicit padding of the stride-1 conv (after cropping dy), ≥ 0 */
  padBefore: number;
  padAfter: number;
  /** rows of dy to use: [dyStart, dyStart + dyLen) */
  dyStart: number;
  dyLen: number;
  /** first output row of the depth-to-space result that is dx row 0 */
  crop: number;
}

/** Plan one axis: inSize = dx size, outSize = dy size, k = filter size, s = stride, padBefore = conv pad. */
export function phaseAxis(inSize: number, outSize: number, k: number, s: number, padBefore: number): PhaseAxis {
  const m = Math.ceil(k / s);
  const qStart = Math.floor(padBefore / s);
  const qEnd = Math.floor((inSize - 1 + padBefore) / s);
  const q = qEnd - qStart + 1;
  const pb = m - 1 - qStart;
  return { m, q, ...dyPadding(pb, q - outSize - pb + m - 1, outSize), crop: padBefore - s * qStart };
}

/**
 * The phase filter [mh, mw, Cout, sh·sw·Cin] of a conv filter W [kh, kw, Cin, Cout]: output channel
 * (ry·sw + rx)·Cin + ci of the stride-1 conv is dx's phase (ry, rx), channel ci.
 */
function phaseFilter(backend: WasmBackend, filter: Info, sh: number, sw: number, mh: number, mw: number): Info {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const ph = sh * sw * ci;
  const out = backend.makeOutput([mh, mw, co, ph], 'float32');
  const heap = heapF32(backend);
  const src = offsetF32(backend, filter);
  const dst = offsetF32(backend, out);
  heap.fill(0, dst, dst + mh * mw * co * ph);
  for (let ky = 0; ky < kh; ky++) {
    const ry = ky % sh;
    const jy = mh - 1 - (ky - ry) / sh;
    for (let kx = 0; kx < kw; kx++) {
      const rx = kx % sw;
      const jx = mw - 1 - (kx - rx) / sw;
      const dBase = dst + (jy * mw + jx) * co * ph + (ry * sw + rx) * ci;
      const sBase = src + (ky * kw + kx) * ci * co;
      for (let c = 0; c < ci; c++) {
        const s0 = sBase + c * co;
        const d0 = dBase + c;
        for (let o = 0; o < co; o++) heap[d0 + o * ph] = heap[s0 + o]!;
      }
    }
  }
  return out;
}

/**
 * One output phase r of a transposed conv on one axis, as its own stride-1 conv: dx rows i = s·u + r
 * (u < U = ceil(inSize/s)) get dx[u] = Σ_j dyPadded[u + j]·W[taps[j]], with no zero taps at all.
 */
export interface OnePhaseAxis {
  /** filter rows of this phase, in conv-window order (empty: the phase gets no contribution) */
  taps: number[];
  padBefore: number;
  padAfter: number;
  dyStart: number;
  dyLen: number;
}

/** Plan phase r of one axis: inSize = dx size, outSize = dy size, k = filter size, s = stride. */
export function onePhaseAxis(
  inSize: number,
  outSize: number,
  k: number,
  s: number,
  padBefore: number,
  r: number,
): OnePhaseAxis {
  const u = Math.ceil(inSize / s);
  const rp = (r + padBefore) % s; // which filter rows serve this phase: rp, rp + s, ...
  const delta = Math.floor((r + padBefore) / s); // dy row of the first tap, relative to u
  const m = Math.max(0, Math.ceil((k - rp) / s));
  const taps = Array.from({ length: m }, (_, j) => rp + s * (m - 1 - j));
  const w = Math.max(1, m); // a phase without taps still runs a 1-tap conv with a zero filter
  return { taps, ...dyPadding(w - 1 - delta, u + delta - outSize, outSize) };
}

/** The conv filter [len(ty), len(tx), Cout, Cin] of one phase: rows ty, columns tx of W, in/out swapped. */
function onePhaseFilter(backend: WasmBackend, filter: Info, ty: number[], tx: number[]): Info {
  const [, kw, ci, co] = filter.shape as [number, number, number, number];
  const my = Math.max(1, ty.length);
  const mx = Math.max(1, tx.length);
  const out = backend.makeOutput([my, mx, co, ci], 'float32');
  const heap = heapF32(backend);
  const src = offsetF32(backend, filter);
  const dst = offsetF32(backend, out);
  heap.fill(0, dst, dst + my * mx * co * ci);
  ty.forEach((ky, jy) => {
    tx.forEach((kx, jx) => {
      const dBase = dst + (jy * mx + jx) * co * ci;
      const sBase = src + (ky * kw + kx) * ci * co;
      for (let c = 0; c < ci; c++) {
        for (let o = 0; o < co; o++) heap[dBase + o * ci + c] = heap[sBase + c * co + o]!;
      }
    });
  });
  return out;
}

/** dy cropped to rows [y0, y0+ny) and columns [x0, x0+nx) (no copy when nothing is cropped). */
function cropDy(backend: WasmBackend, dy: Info, y0: number, ny: number, x0: number, nx: number, temps: Info[]): Info {
  const [, ho, wo] = dy.shape as [number, number, number, number];
  if (ny <= 0 || nx <= 0)
    throw new Error('wasm Conv2DBackpropInput: unsupported geometry (a phase reads no rows of dy)');
  if (y0 === 0 && x0 === 0 && ny === ho && nx === wo) return dy;
  const t = crop4d(backend, dy, y0, x0, ny, nx);
  temps.push(t);
  return t;
}

/**
 * x [N,H,W,C] → x[:, y0:y0+ny, x0:x0+nx, :] with one memmove per row (the wasm Slice kernel takes
 * ≈4 ms for a [64,34,34,3] → [64,32,32,3] crop; this ≈0.3 ms).
 */
function crop4d(backend: WasmBackend, x: Info, y0: number, x0: number, ny: number, nx: number): Info {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([n, ny, nx, c], x.dtype);
  const heap = heapF32(backend);
  const src = offsetF32(backend, x);
  let d = offsetF32(backend, out);
  const run = nx * c;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ny; i++) {
      const s0 = src + ((b * h + y0 + i) * w + x0) * c;
      heap.copyWithin(d, s0, s0 + run);
      d += run;
    }
  }
  return out;
}

/** [N·Qy, Qx, sh, sw·Cin] → [N, Qy·sh, Qx·sw, Cin] (channels ordered (ry, rx, ci)), cropped to [N,H,W,Cin]. */
function depthToSpace(
  backend: WasmBackend,
  y: Info,
  n: number,
  qy: number,
  qx: number,
  sh: number,
  sw: number,
  cin: number,
  cropY: number,
  cropX: number,
  h: number,
  w: number,
  temps: Info[],
): Info {
  if (sh * sw > 1) {
    temps.push(y);
    const r = call('Reshape', backend, { x: y }, { shape: [n * qy, qx, sh, sw * cin] });
    temps.push(r);
    const t = call('Transpose', backend, { x: r }, { perm: [0, 2, 1, 3] });
    temps.push(t);
    y = call('Reshape', backend, { x: t }, { shape: [n, qy * sh, qx * sw, cin] });
  }
  if (cropY !== 0 || cropX !== 0 || qy * sh !== h || qx * sw !== w) {
    temps.push(y);
    y = crop4d(backend, y, cropY, cropX, h, w);
  }
  return y;
}

/**
 * Below this many input channels, one conv computing all phases (sh·sw·Cin output channels) beats
 * sh·sw convs with Cin output channels each (XNNPACK's GEMM tiles are 8–16 channels wide), even though
 * the shared window wastes some rows/taps.
 */
const SEPARATE_PHASES_MIN_CIN = 16;

/** dx [N,H,W,Cin] = Conv2DBackpropInput(dy [N,Ho,Wo,Cout], filter [kh,kw,Cin,Cout]). */
function conv2dBackpropInput(args: KernelArgs<tf.Conv2DBackpropInputAttrs>): Info {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const a = args.attrs ?? ({} as tf.Conv2DBackpropInputAttrs);
  checkAttrs('Conv2DBackpropInput', [dy, filter], a.dataFormat);
  const ci = convInfo(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: ho, outWidth: wo } = ci;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = ci;
  if (dy.shape.join() !== [n, ho, wo, ci.outChannels].join()) {
    throw new Error(
      `wasm Conv2DBackpropInput: dy shape [${dy.shape.join(',')}] does not match [${[n, ho, wo, ci.outChannels].join(',')}]`,
    );
  }
  const temps: Info[] = [];
  try {
    if (sh * sw > 1 && cin >= SEPARATE_PHASES_MIN_CIN) {
      // sh·sw exact convs (one per output phase), concatenated on channels in (ry, rx) order.
      const uy = Math.ceil(h / sh);
      const ux = Math.ceil(w / sw);
      const parts: Info[] = [];
      for (let ry = 0; ry < sh; ry++) {
        const py = onePhaseAxis(h, ho, kh, sh, ci.padInfo.top, ry);
        for (let rx = 0; rx < sw; rx++) {
          const px = onePhaseAxis(w, wo, kw, sw, ci.padInfo.left, rx);
          const src = cropDy(backend, dy, py.dyStart, py.dyLen, px.dyStart, px.dyLen, temps);
          const f = onePhaseFilter(backend, filter, py.taps, px.taps);
          temps.push(f);
          const pad = [
            [0, 0],
            [py.padBefore, py.padAfter],
            [px.padBefore, px.padAfter],
            [0, 0],
          ];
          const y = call(
            'Conv2D',
            backend,
            { x: src, filter: f },
            { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 },
          );
          temps.push(y);
          parts.push(y);
        }
      }
      // Concat takes its inputs as an array (TF.js passes it that way too).
      const cat = call('Concat', backend, parts as unknown as tf.NamedTensorInfoMap, { axis: 3 });
      return depthToSpace(backend, cat, n, uy, ux, sh, sw, cin, 0, 0, h, w, temps);
    }
    const py = phaseAxis(h, ho, kh, sh, ci.padInfo.top);
    const px = phaseAxis(w, wo, kw, sw, ci.padInfo.left);
    const src = cropDy(backend, dy, py.dyStart, py.dyLen, px.dyStart, px.dyLen, temps);
    const pf = phaseFilter(backend, filter, sh, sw, py.m, px.m);
    temps.push(pf);
    const pad = [
      [0, 0],
      [py.padBefore, py.padAfter],
      [px.padBefore, px.padAfter],
      [0, 0],
    ];
    // [N, Qy, Qx, sh·sw·Cin]
    const y = call('Conv2D', backend, { x: src, filter: pf }, { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 });
    return depthToSpace(backend, y, n, py.q, px.q, sh, sw, cin, py.crop, px.crop, h, w, temps);
  } finally {
    free(backend, ...temps);
  }
}

/** dW [kh,kw,Cin,Cout] = Conv2DBackpropFilter(x [N,H,W,Cin], dy [N,Ho,Wo,Cout]). */
function conv2dBackpropFilter(args: KernelArgs<tf.Conv2DBackpropFilterAttrs>): Info {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const a = args.attrs ?? ({} as tf.Conv2DBackpropFilterAttrs);
  checkAttrs('Conv2DBackpropFilter', [x, dy], a.dataFormat);
  const ci = convInfo(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
  const {
    batchSize: n,
    inChannels: cin,
    outHeight: ho,
    outWidth: wo,
    outChannels: cout,
    filterHeight: kh,
    filterWidth: kw,
  } = ci;
  if (dy.shape.join() !== [n, ho, wo, cout].join()) {
    throw new Error(
      `wasm Conv2DBackpropFilter: dy shape [${dy.shape.join(',')}] does not match [${[n, ho, wo, cout].join(',')}]`,
    );
  }
  const p = n * ho * wo; // rows of the im2col matrix (output pixels)
  const kc = kh * kw * cin; // its columns (one receptive field)
  const temps: Info[] = [];
  try {
    const colsT = backend.makeOutput([kc, p], 'float32');
    temps.push(colsT);
    im2colT(backend, x, colsT, ci);
    const dy2 = call('Reshape', backend, { x: dy }, { shape: [p, cout] });
    temps.push(dy2);
    // [kh·kw·Cin, P] × [P, Cout], non-transposed (the only fast XNNPACK form). The right operand is
    // packed as "weights" on every call (new tensor ids), so it must be the small one: dy, not cols.
    const dw = call('BatchMatMul', backend, { a: colsT, b: dy2 }, { transposeA: false, transposeB: false });
    temps.push(dw);
    return call('Reshape', backend, { x: dw }, { shape: [kh, kw, cin, cout] });
  } finally {
    free(backend, ...temps);
  }
}

/**
 * Fill colsT [kh·kw·Cin, N·Ho·Wo] with the receptive fields of x (zeros in the padding), already
 * transposed for the matMul (the wasm Transpose kernel needs ≈30 ms for a 4096×1024 matrix).
 */
function im2colT(backend: WasmBackend, x: Info, colsT: Info, ci: tf.backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outHeight: ho, outWidth: wo } = ci;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = ci;
  const pt = ci.padInfo.top;
  const pl = ci.padInfo.left;
  const p = n * ho * wo;
  const heap = heapF32(backend);
  const xs = offsetF32(backend, x);
  const dst = offsetF32(backend, colsT);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      // rows (ky, kx, 0..Cin) of colsT; each pixel writes one column of Cin values
      const rowBase = dst + (ky * kw + kx) * cin * p;
      let col = 0;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh - pt + ky;
          const rowOk = iy >= 0 && iy < h;
          for (let ox = 0; ox < wo; ox++, col++) {
            const ix = ox * sw - pl + kx;
            const d = rowBase + col;
            if (rowOk && ix >= 0 && ix < w) {
              const sIdx = xs + ((b * h + iy) * w + ix) * cin;
              for (let c = 0; c < cin; c++) heap[d + c * p] = heap[sIdx + c]!;
            } else {
              for (let c = 0; c < cin; c++) heap[d + c * p] = 0;
            }
          }
        }
      }
    }
  }
}

/** [.., R, C] → [.., C, R] in JS, in 32×32 blocks (the wasm Transpose kernel is slow on big matrices). */
function transposeLast2(backend: WasmBackend, t: Info): Info {
  const r = t.shape.length;
  const rows = t.shape[r - 2]!;
  const cols = t.shape[r - 1]!;
  const shape = [...t.shape.slice(0, -2), cols, rows];
  if (t.dtype !== 'float32') throw new Error(`wasm matMul: dtype '${t.dtype}' is not supported (only float32)`);
  const out = backend.makeOutput(shape, t.dtype);
  const heap = heapF32(backend);
  const src0 = offsetF32(backend, t);
  const dst0 = offsetF32(backend, out);
  const B = 32;
  for (let m = 0, nb = batchSize(t); m < nb; m++) {
    const src = src0 + m * rows * cols;
    const dst = dst0 + m * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(rows, i0 + B);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(cols, j0 + B);
        for (let i = i0; i < i1; i++) {
          for (let j = j0; j < j1; j++) heap[dst + j * rows + i] = heap[src + i * cols + j]!;
        }
      }
    }
  }
  return out;
}

/** BatchMatMul with transposes → physical transposes + the fast non-transposed kernel. */
function batchMatMul(args: KernelArgs): Info {
  const { backend } = args;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const { a, b } = args.inputs as { a: Info; b: Info };
  if (!attrs.transposeA && !attrs.transposeB) return call('BatchMatMul', backend, args.inputs, args.attrs);
  const temps: Info[] = [];
  try {
    const a2 = attrs.transposeA ? transposeLast2(backend, a) : a;
    if (a2 !== a) temps.push(a2);
    const b2 = attrs.transposeB ? transposeLast2(backend, b) : b;
    if (b2 !== b) temps.push(b2);
    return call('BatchMatMul', backend, { a: a2, b: b2 }, { ...args.attrs, transposeA: false, transposeB: false });
  } finally {
    free(backend, ...temps);
  }
}

const batchSize = (t: Info): number => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/** Activations of _FusedMatMul, as the wasm kernels that apply them after a separate bias add. */
function activate(backend: WasmBackend, x: Info, attrs: tf.NamedAttrMap, prelu: Info | undefined): Info {
  const act = String(attrs.activation ?? 'linear');
  const unary: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid' };
  const k = unary[act];
  if (k) return call(k, backend, { x });
  if (act === 'leakyrelu')
    return call('LeakyRelu', backend, { x }, { alpha: (attrs.leakyreluAlpha as number | undefined) ?? 0.2 });
  if (act === 'prelu' && prelu) return call('Prelu', backend, { x, alpha: prelu });
  if (act === 'linear') return call('Identity', backend, { x });
  throw new Error(`wasm _FusedMatMul: activation '${act}' is not supported`);
}

/**
 * _FusedMatMul: transposes made physical (as for BatchMatMul). Also works around the stock kernel
 * adding the bias to the first matrix of a batch only (batch > 1): there, matMul + Add + activation.
 */
function fusedMatMul(args: KernelArgs): Info {
  const { backend } = args;
  const attrs = args.attrs ?? {};
  const {
    a,
    b,
    bias,
    preluActivationWeights: prelu,
  } = args.inputs as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
  const temps: Info[] = [];
  try {
    const a2 = attrs.transposeA ? transposeLast2(backend, a) : a;
    if (a2 !== a) temps.push(a2);
    const b2 = attrs.transposeB ? transposeLast2(backend, b) : b;
    if (b2 !== b) temps.push(b2);
    const plain = { ...attrs, transposeA: false, transposeB: false };
    if (!bias || (batchSize(a2) === 1 && batchSize(b2) === 1)) {
      return call('_FusedMatMul', backend, { ...args.inputs, a: a2, b: b2 }, plain);
    }
    const mm = call('BatchMatMul', backend, { a: a2, b: b2 }, plain);
    temps.push(mm);
    const biased = call('Add', backend, { a: mm, b: bias });
    temps.push(biased);
    return activate(backend, biased, attrs, prelu);
  } finally {
    free(backend, ...temps);
  }
}

/**
 * tfjs-core 4.22 registers no gradient for Conv2DBackpropFilter (needed when differentiating a
 * weight gradient again). dW = BF(x, dy) is bilinear: ∂⟨ddW, dW⟩/∂x = BI(dy, ddW), ∂/∂dy = conv2d(x, ddW).
 */
const conv2dBackpropFilterGrad: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const g = ddw as tf.Tensor4D;
    const dataFormat = a.dataFormat === 'NCHW' ? 'NCHW' : 'NHWC';
    return {
      x: () => tf.conv2dTranspose(dy, g, x.shape, a.strides, a.pad as 'valid' | 'same' | number, a.dimRoundingMode),
      dy: () => tf.conv2d(x, g, a.strides, a.pad as 'valid' | 'same' | number, dataFormat, 1, a.dimRoundingMode),
    };
  },
};

function ourConfigs(): tf.KernelConfig[] {
  const withStockSetup = (name: string, kernelFunc: tf.KernelFunc): tf.KernelConfig => {
    const s = stock.get(name);
    // The stock kernel's setupFunc binds its C++ function; keep running it, since we call the stock one.
    return s?.setupFunc
      ? { kernelName: name, backendName: BACKEND, kernelFunc, setupFunc: s.setupFunc }
      : { kernelName: name, backendName: BACKEND, kernelFunc };
  };
  return [
    withStockSetup('Conv2DBackpropInput', asKernelFunc(conv2dBackpropInput)),
    withStockSetup('Conv2DBackpropFilter', asKernelFunc(conv2dBackpropFilter)),
    withStockSetup('BatchMatMul', asKernelFunc(batchMatMul)),
    withStockSetup('_FusedMatMul', asKernelFunc(fusedMatMul)),
  ];
}

const REPLACED = ['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', '_FusedMatMul'] as const;
let configs: tf.KernelConfig[] | undefined;

/**
 * Register the project's kernels for the `wasm` backend. Call after importing
 * @tensorflow/tfjs-backend-wasm and before tf.setBackend('wasm') (setBackend runs the kernels' setup).
 * Idempotent.
 */
export function registerWasmKernels(): void {
  if (!tf.getKernel('Conv2D', BACKEND))
    throw new Error('registerWasmKernels: import @tensorflow/tfjs-backend-wasm first');
  for (const name of REPLACED) {
    const k = tf.getKernel(name, BACKEND);
    if (k && !ours.has(k.kernelFunc) && !stock.has(name)) stock.set(name, k);
  }
  configs ??= ourConfigs();
  for (const c of configs) {
    ours.add(c.kernelFunc);
    const k = tf.getKernel(c.kernelName, BACKEND);
    if (k?.kernelFunc === c.kernelFunc) continue;
    if (k) tf.unregisterKernel(c.kernelName, BACKEND);
    tf.registerKernel(c);
  }
  if (!tf.getGradient('Conv2DBackpropFilter')) tf.registerGradient(conv2dBackpropFilterGrad);
}

/** Put the shipped kernels back (for benchmarks comparing before/after). */
export function unregisterWasmKernels(): void {
  for (const c of configs ?? []) {
    if (tf.getKernel(c.kernelName, BACKEND)?.kernelFunc !== c.kernelFunc) continue;
    tf.unregisterKernel(c.kernelName, BACKEND);
    const s = stock.get(c.kernelName);
    if (s) tf.registerKernel(s);
  }
}
