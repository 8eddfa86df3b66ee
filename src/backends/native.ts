/**
 * The `native` TF.js backend: TF.js's own cpu backend (MathBackendCPU — same storage, same ~170
 * kernels) with the heavy kernels replaced by the project's Node-API addon (native/, C++, AVX-512/AVX2
 * GEMM, a 2-thread pool). Every kernel reads the inputs' Float32Arrays, allocates the output
 * Float32Array in JS and lets the addon fill it synchronously.
 *
 * Kernels the addon does not cover, and covered kernels called with inputs it does not handle
 * (int32/bool/complex dtypes, NCHW, PReLU, …), run the cpu backend's implementation unchanged.
 *
 * Environment: WGAN_NATIVE_THREADS=n (default: all cores), WGAN_NATIVE_PROFILE=1 to time every
 * kernel (see `kernelProfile()`), WGAN_NATIVE_MALLOC=0 to leave glibc's malloc settings alone,
 * WGAN_NATIVE_PACK_MB=n to cap the packed-weights cache (default 256), WGAN_NATIVE_ADDON=path to
 * load another build of the addon.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  FUSED_ADAM_KERNEL,
  LAYER_NORM_GRAD_GAMMA_KERNEL,
  LAYER_NORM_GRAD_X_GRAD_KERNEL,
  LAYER_NORM_GRAD_X_KERNEL,
  LAYER_NORM_KERNEL,
} from './kernel_names.js';

/** The functions of native/src/addon.cc. All write into their output array; sizes are checked there. */
export interface NativeAddon {
  /**
   * params = [batch, M, N, K, transA, transB, batchStrideA, batchStrideB, accumulate] (strides in
   * elements, 0 = broadcast). bToken: B's packed-B cache token (0/absent = pack per call; see packToken).
   */
  gemm(a: Float32Array, b: Float32Array, c: Float32Array, params: Int32Array, bToken?: number): void;
  /** params = [n,h,w,ci, kh,kw,co, ho,wo, sh,sw, padTop,padLeft, dh,dw]; NHWC, filter [kh,kw,ci,co]. */
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, params: Int32Array, filterToken?: number): void;
  conv2dBackpropInput(
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
    params: Int32Array,
    filterToken?: number,
  ): void;
  /** Frees the packed copies made under a token; packedBytes() = what the packed-B cache holds. */
  releasePacked(token: number): void;
  packedBytes(): number;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, params: Int32Array): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    shapeA: Int32Array,
    shapeB: Int32Array,
    shapeOut: Int32Array,
  ): void;
  reduce(op: number, x: Float32Array, y: Float32Array, shape: Int32Array, reduceMask: Int32Array): void;
  transpose(x: Float32Array, y: Float32Array, shape: Int32Array, perm: Int32Array): void;
  /** y = act(x·scale[c] + shift[c]) over the last dim of length C (scale/shift: length C, 1, or 0 = absent). */
  channelAffine(
    x: Float32Array,
    y: Float32Array,
    scale: Float32Array,
    shift: Float32Array,
    C: number,
    act: number,
    alpha: number,
  ): void;
  addN(out: Float32Array, inputs: Float32Array[]): void;
  /** A row-major box copy (the `box` helper below); p = [r, srcShape, srcBegin, dstShape, dstBegin, size], 1 ≤ r ≤ 8. */
  copyBox(src: Float32Array, dst: Float32Array, p: Int32Array): void;
  /** One Adam step into the three outputs; c = [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, −lr]. */
  adam(
    value: Float32Array,
    m: Float32Array,
    v: Float32Array,
    g: Float32Array,
    newValue: Float32Array,
    newM: Float32Array,
    newV: Float32Array,
    c: Float32Array,
  ): void;
  /** Keep tensor-sized blocks on glibc's heap (fewer page faults per kernel output); process-wide. */
  tuneMalloc(): boolean;
  info(): { kernel: string; threads: number };
  setThreads(n: number): void;
  forceGeneric(on: boolean): void;
  /** "avx512" | "avx2" | "generic" | "" (best available); false when this CPU cannot run it. */
  setKernel(name: string): boolean;
  /** Layer norm over each row of x [N, F] (shape = Int32Array [N, F]); native/src/ops.h. */
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    shape: Int32Array,
    eps: number,
  ): void;
  layerNormGradX(
    x: Float32Array,
    gamma: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    shape: Int32Array,
    eps: number,
  ): void;
  layerNormGradGamma(x: Float32Array, dy: Float32Array, dgamma: Float32Array, shape: Int32Array, eps: number): void;
  /** The input gradient's own gradients from u = ∂L/∂dx; an output of length 0 is not computed. */
  layerNormGradXGrad(
    x: Float32Array,
    gamma: Float32Array,
    dy: Float32Array,
    u: Float32Array,
    ddx: Float32Array,
    ddy: Float32Array,
    dgamma: Float32Array,
    shape: Int32Array,
    eps: number,
  ): void;
  /** The direct small-channel convolutions (native/src/conv_small_avx512.cc) on or off; returns whether they were on. */
  smallConv(on?: boolean): boolean;
}

/** Unary op codes, in the order of `enum Unary` in native/src/ops.h. */
export const UNARY = {
  linear: 0,
  relu: 1,
  relu6: 2,
  leakyrelu: 3,
  sigmoid: 4,
  tanh: 5,
  abs: 6,
  neg: 7,
  exp: 8,
  log: 9,
  sqrt: 10,
  rsqrt: 11,
  square: 12,
  sign: 13,
  step: 14,
  reciprocal: 15,
  elu: 16,
  softplus: 17,
  log1p: 18,
} as const;
/** Binary op codes (`enum Binary`). */
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, sqdiff: 4, max: 5, min: 6, pow: 7, first: 8 } as const;
/** Reduction op codes (`enum Reduce`). */
export const REDUCE = { sum: 0, mean: 1, max: 2, min: 3 } as const;

const require = createRequire(import.meta.url);

/** dist/src/backends/native.js and src/backends/native.ts both sit three levels below the package root. */
export function addonPath(): string {
  return (
    process.env.WGAN_NATIVE_ADDON ??
    fileURLToPath(new URL('../../../native/build/Release/wgan_native.node', import.meta.url))
  );
}

let addon: NativeAddon | undefined;
let loadError: string | undefined;

/** Load the addon once; undefined (with `nativeLoadError()` saying why) when it is not built or fails to load. */
export function loadNativeAddon(): NativeAddon | undefined {
  if (addon || loadError) return addon;
  const p = addonPath();
  if (!fs.existsSync(p)) {
    loadError = `addon not built (${p} missing; run \`npm run build:native\`)`;
    return undefined;
  }
  try {
    addon = require(p) as NativeAddon;
  } catch (e) {
    loadError = `addon failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
  return addon;
}

export function nativeLoadError(): string | undefined {
  loadNativeAddon();
  return loadError;
}

// ---------------------------------------------------------------------------------------------
// Kernel plumbing

type Info = tf.TensorInfo;
interface KArgs {
  inputs: Record<string, Info | undefined> | Info[];
  backend: MathBackendCPU;
  attrs?: Record<string, unknown>;
}
/** A native kernel returns undefined to hand the call to the cpu backend's kernel. */
type NativeKernel = (args: KArgs, A: NativeAddon) => Info | Info[] | undefined;

/**
 * Int32 parameter arrays (shapes, GEMM/conv parameters) for the addon, reused. A fresh Int32Array
 * of ≤ 64 bytes lives on V8's heap, and Node-API moves it to a new off-heap buffer on every call
 * (≈ 1 µs each, plus garbage): with 3 per elementwise op that was most of the op's cost on small
 * tensors (a 4096-element Add: 3.9 → 1.3 µs per addon call). These views sit on one off-heap buffer,
 * one slot per argument position of a call; the addon copies their values before it returns (every
 * call is synchronous), so the next call may overwrite them.
 */
const PARAM_SLOTS = 3;
const SLOT_INTS = 32;
const paramBuffer = new ArrayBuffer(PARAM_SLOTS * SLOT_INTS * 4);
const paramViews: Int32Array[][] = Array.from({ length: PARAM_SLOTS }, () => []);
function i32(xs: readonly number[], slot = 0): Int32Array {
  if (xs.length > SLOT_INTS) return Int32Array.from(xs);
  const views = paramViews[slot]!;
  let v = views[xs.length];
  if (!v) {
    v = new Int32Array(paramBuffer, slot * SLOT_INTS * 4, xs.length);
    views[xs.length] = v;
  }
  v.set(xs);
  return v;
}
/** An empty float argument (no scale, no bias) that never needs moving off V8's heap (see i32). */
const EMPTY = new Float32Array(new ArrayBuffer(0));
/** The fused Adam kernel's 8 constants, likewise reused (copied by the addon). */
const adamConstants = new Float32Array(new ArrayBuffer(8 * 4));
function adamConsts(c: readonly number[]): Float32Array {
  adamConstants.set(c);
  return adamConstants;
}
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The Float32Array behind a float32 tensor, or undefined (other dtypes, complex) so the caller falls back. */
function f32(b: MathBackendCPU, t: Info | undefined): Float32Array | undefined {
  if (t?.dtype !== 'float32') return undefined;
  const v = b.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

function input(args: KArgs, name: string): Info | undefined {
  return (args.inputs as Record<string, Info | undefined>)[name];
}

function out(b: MathBackendCPU, shape: number[], values: Float32Array): Info {
  return b.makeTensorInfo(shape, 'float32', values);
}

// ---------------------------------------------------------------------------------------------
// Output recycling. Every kernel output is a fresh Float32Array otherwise: for 1M-element
// activations that is ~1000 page faults plus zeroing per op, and the garbage drives V8 into a
// scavenge or mark-compact every few ops (≈15% of a training step). Arrays the native kernels
// allocated go back to a per-length pool when their tensor is disposed, unless they may be aliased:
// an array "escapes" (is never recycled) once it is read by a user (readSync/read) or passed to a
// cpu-backend kernel, some of which return views of their inputs (Slice) or keep them.

/** cpu kernels that never alias their inputs' arrays into outputs (they incRef the dataId or copy). */
const NON_ALIASING = new Set(['Reshape', 'Identity', 'Cast', 'ZerosLike', 'OnesLike']);
const POOL_BYTES = Number(process.env.WGAN_NATIVE_POOL_MB ?? 1024) * (1 << 20);

export class NativeBackend extends MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private poolBytes = 0;
  /**
   * Arrays allocated by native kernels that nothing else can reference. A Set, not a WeakSet: its
   * insertion is ≈ 3× cheaper (0.3 vs 0.9 µs measured alone) and it gives the garbage collector no
   * ephemerons to trace; one insertion per kernel output. Every array leaves the set when its tensor
   * is disposed, read, handed to a cpu kernel or dropped by a kernel that falls back (`drop`); the
   * backend's dispose clears it.
   */
  private readonly recyclable = new Set<Float32Array>();
  /** dataIds with a packed-B cache token (packToken), released when their data is disposed. */
  readonly packed = new Set<object>();

  constructor() {
    super();
    // Skip the cpu backend's one-time "install tfjs-node to speed things up" console banner.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** An uninitialised Float32Array of length n (every native kernel overwrites all of its output). */
  take(n: number): Float32Array {
    const list = this.pool.get(n);
    const v = list?.pop();
    if (v) this.poolBytes -= v.byteLength;
    const a = v ?? new Float32Array(n);
    if (n > 0) this.recyclable.add(a);
    return a;
  }

  /** Forget an array from `take` that no tensor will hold (a kernel that falls back to the cpu kernel). */
  drop(a: Float32Array): void {
    this.recyclable.delete(a);
  }

  /** Marks the arrays behind these tensors as possibly aliased: they are never recycled. */
  escape(infos: readonly (Info | undefined)[]): void {
    for (const t of infos) {
      if (!t || !this.data.has(t.dataId)) continue;
      const v = this.data.get(t.dataId).values;
      if (v instanceof Float32Array) this.recyclable.delete(v);
    }
  }

  override disposeData(dataId: object, force = false): boolean {
    const v = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const r = super.disposeData(dataId, force);
    if (this.packed.has(dataId) && !this.data.has(dataId)) {
      this.packed.delete(dataId);
      releasePackToken(dataId);
    }
    if (v instanceof Float32Array && this.recyclable.has(v) && !this.data.has(dataId)) {
      this.recyclable.delete(v);
      if (this.poolBytes + v.byteLength <= POOL_BYTES) {
        let list = this.pool.get(v.length);
        if (!list) {
          list = [];
          this.pool.set(v.length, list);
        }
        list.push(v);
        this.poolBytes += v.byteLength;
      }
    }
    return r;
  }

  override readSync(dataId: object): ReturnType<MathBackendCPU['readSync']> {
    if (this.data.has(dataId)) {
      const v = this.data.get(dataId).values;
      if (v instanceof Float32Array) this.recyclable.delete(v); // the caller may keep it
    }
    return super.readSync(dataId);
  }

  override dispose(): void {
    this.pool.clear();
    this.recyclable.clear();
    for (const id of this.packed) releasePackToken(id);
    this.packed.clear();
    this.poolBytes = 0;
    super.dispose();
  }

  /** How many arrays the backend tracks as recyclable (tests: the set must not grow without live tensors). */
  trackedArrays(): number {
    return this.recyclable.size;
  }

  /** Bytes held for reuse. */
  pooledBytes(): number {
    return this.poolBytes;
  }
}

function alloc(b: MathBackendCPU, n: number): Float32Array {
  return b instanceof NativeBackend ? b.take(n) : new Float32Array(n);
}

// --- packed weights ------------------------------------------------------------------------------
// A GEMM packs its B operand (a conv filter, a dense layer's weights) into cache-sized panels on
// every call. A tensor's contents never change while its dataId lives (TF.js tensors are immutable;
// a variable's assign moves it to a new dataId), so from a tensor's second use as B on, the addon
// keeps the packed panels under a token of that dataId and reuses them — the latent search runs G
// and the critic with fixed weights hundreds of times, where at batch 1 packing a filter costs as
// much as the product. The token is released when the tensor's data is disposed (disposeData), so a
// recycled array with new contents never meets an old packing. Bit-identical: the same packed bytes.

const packUses = new WeakMap<object, { uses: number; token: number }>();
let nextPackToken = 1;

/** The packed-B cache token for tensor `t` used as a GEMM's B (0 on its first use: pack as before). */
function packToken(b: MathBackendCPU, t: Info): number {
  if (!(b instanceof NativeBackend)) return 0;
  let e = packUses.get(t.dataId);
  if (!e) {
    e = { uses: 0, token: 0 };
    packUses.set(t.dataId, e);
  }
  if (++e.uses >= 2 && e.token === 0) {
    e.token = nextPackToken++;
    b.packed.add(t.dataId);
  }
  return e.token;
}

/** Frees the packed copies of a disposed tensor's data. */
function releasePackToken(dataId: object): void {
  const e = packUses.get(dataId);
  if (e && e.token !== 0) addon?.releasePacked(e.token);
  packUses.delete(dataId);
}

/** The kernel falls back after `alloc`: the array will never be a tensor's (see NativeBackend.drop). */
function unalloc(b: MathBackendCPU, a: Float32Array): undefined {
  if (b instanceof NativeBackend) b.drop(a);
  return undefined;
}

// --- GEMM ------------------------------------------------------------------------------------

/** C [batch, M, N] = op(a)·op(b) for rank ≥ 2 inputs with broadcastable (or equal) batch dims. */
function batchMatMul(
  b: MathBackendCPU,
  A: NativeAddon,
  a: Info,
  bb: Info,
  ta: boolean,
  tb: boolean,
): { values: Float32Array; shape: number[] } | undefined {
  const av = f32(b, a);
  const bv = f32(b, bb);
  if (!av || !bv || a.shape.length < 2 || bb.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = bb.shape.length;
  const M = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const K2 = tb ? bb.shape[rb - 1]! : bb.shape[rb - 2]!;
  const N = tb ? bb.shape[rb - 2]! : bb.shape[rb - 1]!;
  if (K !== K2) return undefined; // let the cpu kernel raise its own error
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(bb.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  // The cpu kernel pairs batch i with i % batchA; only the equal and broadcast-1 cases are defined.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), bb.shape.slice(0, -2));
  } catch {
    return undefined;
  }
  const c = alloc(b, batch * M * N);
  pendingFlops = 2 * batch * M * N * K;
  A.gemm(
    av,
    bv,
    c,
    i32([batch, M, N, K, ta ? 1 : 0, tb ? 1 : 0, batchA === 1 ? 0 : M * K, batchB === 1 ? 0 : K * N, 0]),
    batch === 1 || batchB === 1 ? packToken(b, bb) : 0,
  );
  return { values: c, shape: [...outer, M, N] };
}

// --- activations shared by the fused kernels ---------------------------------------------------

function actCode(activation: unknown): number | undefined {
  switch (activation ?? 'linear') {
    case 'linear':
      return UNARY.linear;
    case 'relu':
      return UNARY.relu;
    case 'relu6':
      return UNARY.relu6;
    case 'leakyrelu':
      return UNARY.leakyrelu;
    case 'sigmoid':
      return UNARY.sigmoid;
    case 'elu':
      return UNARY.elu;
    default:
      return undefined; // prelu (needs per-element weights) → cpu
  }
}

/** In place: y = act(y + bias[c]) over the last dim C; false when the bias does not broadcast that way. */
function biasActivation(
  b: MathBackendCPU,
  A: NativeAddon,
  y: Float32Array,
  C: number,
  bias: Info | undefined,
  act: number,
  alpha: number,
): boolean {
  let bv: Float32Array = EMPTY;
  if (bias) {
    const v = f32(b, bias);
    if (!v || (v.length !== C && v.length !== 1)) return false;
    // Only shapes whose non-trailing dims are all 1 broadcast over the last dim.
    if (bias.shape.slice(0, -1).some((d) => d !== 1)) return false;
    bv = v;
  }
  if (bv.length === 0 && act === UNARY.linear) return true;
  A.channelAffine(y, y, EMPTY, bv, C, act, alpha);
  return true;
}

// --- convolutions ----------------------------------------------------------------------------

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function convParams(ci: ConvInfo): Int32Array {
  pendingFlops =
    2 * ci.batchSize * ci.outHeight * ci.outWidth * ci.outChannels * ci.filterHeight * ci.filterWidth * ci.inChannels;
  return i32([
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.filterHeight,
    ci.filterWidth,
    ci.outChannels,
    ci.outHeight,
    ci.outWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.padInfo.top,
    ci.padInfo.left,
    ci.dilationHeight,
    ci.dilationWidth,
  ]);
}

function convInfo(
  xShape: number[],
  fShape: number[],
  attrs: Record<string, unknown>,
  dilations: unknown,
): ConvInfo | undefined {
  const df = attrs.dataFormat;
  if (df !== undefined && df !== 'NHWC') return undefined;
  if (xShape.length !== 4 || fShape.length !== 4) return undefined;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (dilations ?? 1) as [number, number] | number,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

function conv2dForward(
  b: MathBackendCPU,
  A: NativeAddon,
  x: Info | undefined,
  f: Info | undefined,
  attrs: Record<string, unknown>,
): { values: Float32Array; shape: number[]; info: ConvInfo } | undefined {
  const xv = f32(b, x);
  const fv = f32(b, f);
  if (!x || !f || !xv || !fv) return undefined;
  const ci = convInfo(x.shape, f.shape, attrs, attrs.dilations);
  if (!ci) return undefined;
  const y = alloc(b, size(ci.outShape));
  A.conv2d(xv, fv, y, convParams(ci), packToken(b, f));
  return { values: y, shape: ci.outShape, info: ci };
}

// --- the kernel table ----------------------------------------------------------------------------

function unaryKernel(op: number, alphaAttr?: string): NativeKernel {
  return (args, A) => {
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    if (!x || !xv) return undefined;
    const y = alloc(args.backend, xv.length);
    const alpha = alphaAttr ? Number(args.attrs?.[alphaAttr] ?? 0) : 0;
    A.unary(op, xv, y, alpha);
    return out(args.backend, x.shape, y);
  };
}

function binaryKernel(op: number): NativeKernel {
  return (args, A) => {
    const a = input(args, 'a');
    const bb = input(args, 'b');
    const av = f32(args.backend, a);
    const bv = f32(args.backend, bb);
    if (!a || !bb || !av || !bv) return undefined;
    let shape: number[];
    try {
      shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, bb.shape);
    } catch {
      return undefined;
    }
    const r = shape.length;
    if (r > 16) return undefined;
    const pad = (s: number[]): number[] => [...new Array<number>(r - s.length).fill(1), ...s];
    const o = alloc(args.backend, size(shape));
    A.binary(op, av, bv, o, i32(pad(a.shape), 0), i32(pad(bb.shape), 1), i32(shape, 2));
    return out(args.backend, shape, o);
  };
}

function reduceKernel(op: number): NativeKernel {
  return (args, A) => {
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    if (!x || !xv || x.shape.length > 8) return undefined;
    // Max names its axes `reductionIndices`; Sum, Mean and Min name them `axis`.
    const axis = (args.attrs?.axis ?? args.attrs?.reductionIndices) as number | number[] | undefined;
    const axes = tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape);
    const mask = x.shape.map((_, i) => (axes.includes(i) ? 1 : 0));
    const keep = Boolean(args.attrs?.keepDims);
    const shape = keep ? x.shape.map((d, i) => (mask[i] ? 1 : d)) : x.shape.filter((_, i) => !mask[i]);
    const y = alloc(args.backend, size(shape));
    A.reduce(op, xv, y, i32(x.shape, 0), i32(mask, 1));
    return out(args.backend, shape, y);
  };
}

const kernels: Record<string, NativeKernel> = {
  BatchMatMul(args, A) {
    const a = input(args, 'a');
    const bb = input(args, 'b');
    if (!a || !bb) return undefined;
    const r = batchMatMul(args.backend, A, a, bb, Boolean(args.attrs?.transposeA), Boolean(args.attrs?.transposeB));
    return r && out(args.backend, r.shape, r.values);
  },
  _FusedMatMul(args, A) {
    const a = input(args, 'a');
    const bb = input(args, 'b');
    const act = actCode(args.attrs?.activation);
    if (!a || !bb || act === undefined) return undefined;
    const r = batchMatMul(args.backend, A, a, bb, Boolean(args.attrs?.transposeA), Boolean(args.attrs?.transposeB));
    if (!r) return undefined;
    const N = r.shape[r.shape.length - 1]!;
    if (
      !biasActivation(args.backend, A, r.values, N, input(args, 'bias'), act, Number(args.attrs?.leakyreluAlpha ?? 0.2))
    )
      return unalloc(args.backend, r.values);
    return out(args.backend, r.shape, r.values);
  },
  Conv2D(args, A) {
    const r = conv2dForward(args.backend, A, input(args, 'x'), input(args, 'filter'), args.attrs ?? {});
    return r && out(args.backend, r.shape, r.values);
  },
  FusedConv2D(args, A) {
    const act = actCode(args.attrs?.activation);
    if (act === undefined) return undefined;
    const r = conv2dForward(args.backend, A, input(args, 'x'), input(args, 'filter'), args.attrs ?? {});
    if (!r) return undefined;
    if (
      !biasActivation(
        args.backend,
        A,
        r.values,
        r.info.outChannels,
        input(args, 'bias'),
        act,
        Number(args.attrs?.leakyreluAlpha ?? 0.2),
      )
    )
      return unalloc(args.backend, r.values);
    return out(args.backend, r.shape, r.values);
  },
  Conv2DBackpropInput(args, A) {
    const dy = input(args, 'dy');
    const f = input(args, 'filter');
    const dyv = f32(args.backend, dy);
    const fv = f32(args.backend, f);
    const inputShape = args.attrs?.inputShape as number[] | undefined;
    if (!dy || !f || !dyv || !fv || !inputShape) return undefined;
    const ci = convInfo(inputShape, f.shape, args.attrs ?? {}, 1);
    if (!ci) return undefined;
    const dx = alloc(args.backend, size(ci.inShape));
    A.conv2dBackpropInput(dyv, fv, dx, convParams(ci), packToken(args.backend, f));
    return out(args.backend, ci.inShape, dx);
  },
  Conv2DBackpropFilter(args, A) {
    const x = input(args, 'x');
    const dy = input(args, 'dy');
    const xv = f32(args.backend, x);
    const dyv = f32(args.backend, dy);
    const filterShape = args.attrs?.filterShape as number[] | undefined;
    if (!x || !dy || !xv || !dyv || !filterShape) return undefined;
    const ci = convInfo(x.shape, filterShape, args.attrs ?? {}, 1);
    if (!ci) return undefined;
    const df = alloc(args.backend, size(ci.filterShape));
    A.conv2dBackpropFilter(xv, dyv, df, convParams(ci));
    return out(args.backend, ci.filterShape, df);
  },
  Add: binaryKernel(BINARY.add),
  Sub: binaryKernel(BINARY.sub),
  Multiply: binaryKernel(BINARY.mul),
  RealDiv: binaryKernel(BINARY.div),
  SquaredDifference: binaryKernel(BINARY.sqdiff),
  Maximum: binaryKernel(BINARY.max),
  Minimum: binaryKernel(BINARY.min),
  Pow: binaryKernel(BINARY.pow),
  Abs: unaryKernel(UNARY.abs),
  Neg: unaryKernel(UNARY.neg),
  Relu: unaryKernel(UNARY.relu),
  Relu6: unaryKernel(UNARY.relu6),
  LeakyRelu: unaryKernel(UNARY.leakyrelu, 'alpha'),
  Sigmoid: unaryKernel(UNARY.sigmoid),
  Tanh: unaryKernel(UNARY.tanh),
  Exp: unaryKernel(UNARY.exp),
  Log: unaryKernel(UNARY.log),
  Sqrt: unaryKernel(UNARY.sqrt),
  Rsqrt: unaryKernel(UNARY.rsqrt),
  Square: unaryKernel(UNARY.square),
  Sign: unaryKernel(UNARY.sign),
  Step: unaryKernel(UNARY.step, 'alpha'),
  Reciprocal: unaryKernel(UNARY.reciprocal),
  Elu: unaryKernel(UNARY.elu),
  Softplus: unaryKernel(UNARY.softplus),
  Log1p: unaryKernel(UNARY.log1p),
  Sum: reduceKernel(REDUCE.sum),
  Mean: reduceKernel(REDUCE.mean),
  Max: reduceKernel(REDUCE.max),
  Min: reduceKernel(REDUCE.min),
  Tile(args, A) {
    // out[r0·s0, r1·s1, …] as a broadcast copy: x viewed as [1, s0, 1, s1, …] into [r0, s0, r1, s1, …].
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    const reps = args.attrs?.reps as number[] | undefined;
    if (!x || !xv || !reps || reps.length !== x.shape.length || x.shape.length > 8) return undefined;
    const big = x.shape.flatMap((d, i) => [reps[i]!, d]);
    const small = x.shape.flatMap((d) => [1, d]);
    const o = alloc(args.backend, size(big));
    A.binary(BINARY.first, xv, xv, o, i32(small, 0), i32(small, 1), i32(big, 2));
    return out(
      args.backend,
      x.shape.map((d, i) => d * reps[i]!),
      o,
    );
  },
  Transpose(args, A) {
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    const perm = args.attrs?.perm as number[] | undefined;
    if (!x || !xv || !perm || perm.length !== x.shape.length || perm.length > 8) return undefined;
    const shape = perm.map((p) => x.shape[p]!);
    const y = alloc(args.backend, xv.length);
    A.transpose(xv, y, i32(x.shape, 0), i32(perm, 1));
    return out(args.backend, shape, y);
  },
  AddN(args, A) {
    const ts = args.inputs as Info[];
    const vs = ts.map((t) => f32(args.backend, t));
    const first = ts[0];
    if (!first || vs.some((v) => !v) || ts.some((t) => t.shape.join() !== first.shape.join())) return undefined;
    const o = alloc(args.backend, size(first.shape));
    A.addN(o, vs as Float32Array[]);
    return out(args.backend, first.shape, o);
  },
  FusedBatchNorm(args, A) {
    // y = (x - mean)·scale/sqrt(var + eps) + offset, the small operands repeating with period L
    // (the cpu kernel's `i % length` indexing) — folded into one per-channel affine map.
    const b = args.backend;
    const x = input(args, 'x');
    const xv = f32(b, x);
    const mv = f32(b, input(args, 'mean'));
    const vv = f32(b, input(args, 'variance'));
    const sIn = input(args, 'scale');
    const oIn = input(args, 'offset');
    const sv = sIn ? f32(b, sIn) : new Float32Array([1]);
    const ov = oIn ? f32(b, oIn) : new Float32Array([0]);
    if (!x || !xv || !mv || !vv || !sv || !ov) return undefined;
    const L = Math.max(mv.length, vv.length, sv.length, ov.length);
    if (L === 0 || xv.length % L !== 0 || [mv, vv, sv, ov].some((v) => v.length !== 1 && v.length !== L))
      return undefined;
    const eps = Number(args.attrs?.varianceEpsilon ?? 0.001);
    const at = (v: Float32Array, i: number): number => v[v.length === 1 ? 0 : i]!;
    const scale = new Float32Array(L);
    const shift = new Float32Array(L);
    for (let c = 0; c < L; c++) {
      const s = at(sv, c) / Math.sqrt(at(vv, c) + eps);
      scale[c] = s;
      shift[c] = at(ov, c) - at(mv, c) * s;
    }
    const y = alloc(b, xv.length);
    A.channelAffine(xv, y, scale, shift, L, UNARY.linear, 0);
    return out(b, x.shape, y);
  },
};

// Data movement in contiguous runs (the addon's copyBox), replacing the cpu kernels' element-by-element
// index arithmetic. Float32 of rank 1–8 only (`movable`); other dtypes and ranks fall back.
const movable = (t: Info | undefined): boolean => !!t && t.shape.length >= 1 && t.shape.length <= 8;
const moves: Record<string, NativeKernel> = {
  Slice(args, A) {
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    if (!x || !xv || !movable(x)) return undefined;
    const [begin, sz] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor,
      args.attrs!.begin as number | number[],
      args.attrs!.size as number | number[] | undefined,
    ) as [number[], number[]];
    const y = alloc(args.backend, size(sz));
    box(A, xv, x.shape, begin, y, sz, zeros(sz.length), sz);
    return out(args.backend, sz, y);
  },
  SplitV(args, A) {
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    if (!x || !xv || !movable(x)) return undefined;
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(
      x as unknown as tf.Tensor,
      args.attrs!.numOrSizeSplits as number | number[],
      axis,
    );
    const begin = zeros(x.shape.length);
    return sizes.map((n) => {
      const sz = x.shape.map((d, i) => (i === axis ? n : d));
      const y = alloc(args.backend, size(sz));
      box(A, xv, x.shape, begin, y, sz, zeros(sz.length), sz);
      begin[axis]! += n;
      return out(args.backend, sz, y);
    });
  },
  Unpack(args, A) {
    const x = input(args, 'value');
    const xv = f32(args.backend, x);
    if (!x || !xv || !movable(x)) return undefined;
    const r = x.shape.length;
    const axis = (((args.attrs!.axis as number) % r) + r) % r;
    const sz = x.shape.map((d, i) => (i === axis ? 1 : d));
    const shape = x.shape.filter((_, i) => i !== axis);
    return Array.from({ length: x.shape[axis]! }, (_, j) => {
      const y = alloc(args.backend, size(shape));
      box(
        A,
        xv,
        x.shape,
        sz.map((_, i) => (i === axis ? j : 0)),
        y,
        sz,
        zeros(r),
        sz,
      );
      return out(args.backend, shape, y);
    });
  },
  Concat(args, A) {
    const xs = args.inputs as Info[];
    const vs = xs.map((t) => f32(args.backend, t));
    const first = xs[0];
    if (!first || !movable(first) || vs.some((v) => !v)) return undefined;
    const r = first.shape.length;
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, first.shape)[0]!;
    if (xs.some((t) => t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== first.shape[i])))
      return undefined;
    const shape = first.shape.map((d, i) => (i === axis ? xs.reduce((a, t) => a + t.shape[axis]!, 0) : d));
    return joinAlong(A, args.backend, xs, vs as Float32Array[], shape, axis);
  },
  Pack(args, A) {
    const xs = args.inputs as Info[];
    const vs = xs.map((t) => f32(args.backend, t));
    const first = xs[0];
    if (!first || first.shape.length > 7 || vs.some((v) => !v) || xs.some((t) => t.shape.join() !== first.shape.join()))
      return undefined;
    const r = first.shape.length + 1;
    const axis = (((args.attrs!.axis as number) % r) + r) % r;
    // Each input as a slab of thickness 1 along the new axis.
    const slab = [...first.shape.slice(0, axis), 1, ...first.shape.slice(axis)];
    const shape = [...first.shape.slice(0, axis), xs.length, ...first.shape.slice(axis)];
    return joinAlong(
      A,
      args.backend,
      xs.map((t) => ({ ...t, shape: slab })),
      vs as Float32Array[],
      shape,
      axis,
    );
  },
  PadV2(args, A) {
    const x = input(args, 'x');
    const xv = f32(args.backend, x);
    if (!x || !xv || !movable(x)) return undefined;
    const pads = args.attrs!.paddings as [number, number][];
    const shape = x.shape.map((d, i) => pads[i]![0] + d + pads[i]![1]);
    const y = alloc(args.backend, size(shape));
    y.fill(Number(args.attrs!.constantValue ?? 0));
    box(
      A,
      xv,
      x.shape,
      zeros(x.shape.length),
      y,
      shape,
      pads.map((p) => p[0]),
      x.shape,
    );
    return out(args.backend, shape, y);
  },
};
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
/**
 * Copy the box of extent `size` at `srcBegin` in src (shape `srcShape`) to `dstBegin` in dst (shape
 * `dstShape`), row-major, in the addon: trailing dims the box spans whole in both arrays merge into
 * one memcpy run (the cpu kernels convert every element's index to coordinates and back instead,
 * ≈ 100–400 ns per element on [32, 8, 8, 128] slices).
 */
function box(
  A: NativeAddon,
  src: Float32Array,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  size: readonly number[],
): void {
  A.copyBox(src, dst, i32([size.length, ...srcShape, ...srcBegin, ...dstShape, ...dstBegin, ...size]));
}
/** The inputs laid side by side along `axis` into one new tensor of `shape` (Concat, Pack). */
function joinAlong(
  A: NativeAddon,
  b: MathBackendCPU,
  xs: Info[],
  vs: Float32Array[],
  shape: number[],
  axis: number,
): Info {
  const y = alloc(b, size(shape));
  const at = zeros(shape.length);
  xs.forEach((t, k) => {
    box(A, vs[k]!, t.shape, zeros(t.shape.length), y, shape, at, t.shape);
    at[axis]! += t.shape[axis]!;
  });
  return out(b, shape, y);
}
// WGAN_NATIVE_MOVES=0 leaves them to the cpu kernels (A/B comparisons).
if (process.env.WGAN_NATIVE_MOVES !== '0') Object.assign(kernels, moves);

const counts = new Map<string, { native: number; fallback: number }>();

/**
 * How often each overridden kernel ran natively vs. handed over to the cpu kernel (unsupported
 * dtype/layout/activation). Lets tests prove the native path ran, and shows what still runs in JS.
 */
export function nativeKernelCounts(): Map<string, { native: number; fallback: number }> {
  return new Map([...counts].map(([k, v]) => [k, { ...v }]));
}
export function resetNativeKernelCounts(): void {
  counts.clear();
}

function count(name: string, native: boolean): void {
  let e = counts.get(name);
  if (!e) {
    e = { native: 0, fallback: 0 };
    counts.set(name, e);
  }
  if (native) e.native++;
  else e.fallback++;
}

/** Names of the kernels the addon implements (the rest are the cpu backend's). */
export const NATIVE_KERNELS: readonly string[] = Object.keys(kernels);

// ---------------------------------------------------------------------------------------------
// Profiling: WGAN_NATIVE_PROFILE=1 wraps every kernel with a timer.

const profile = new Map<string, { calls: number; ms: number; flops: number; elements: number }>();
let profiling = Boolean(process.env.WGAN_NATIVE_PROFILE);
let pendingFlops = 0; // multiply-adds×2 of the GEMM-based kernel that is running, for the profile

/** Per-kernel call counts, milliseconds and GEMM FLOPs since the last reset (empty unless WGAN_NATIVE_PROFILE is set). */
export function kernelProfile(): { kernel: string; calls: number; ms: number; flops: number; elements: number }[] {
  return [...profile.entries()].map(([kernel, v]) => ({ kernel, ...v })).sort((a, b) => b.ms - a.ms);
}
export function resetKernelProfile(): void {
  profile.clear();
}
/** Turn the per-kernel timer on or off at run time (the benchmarks profile one pass of a step they also time unprofiled). */
export function setKernelProfiling(on: boolean): void {
  profiling = on;
}

function timed(name: string, f: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    if (!profiling) return f(args);
    pendingFlops = 0;
    const t0 = performance.now();
    const r = f(args);
    const e = profile.get(name) ?? { calls: 0, ms: 0, flops: 0, elements: 0 };
    e.calls++;
    e.ms += performance.now() - t0;
    e.flops += pendingFlops;
    for (const t of Array.isArray(r) ? r : [r]) e.elements += size(t.shape);
    profile.set(name, e);
    return r;
  };
}

// ---------------------------------------------------------------------------------------------

export const NATIVE_BACKEND = 'native';
let registered = false;

/**
 * Register the `native` backend (idempotent). Returns false when the addon is not built or fails
 * to load (`nativeLoadError()` says why); initBackend then falls back to wasm.
 */
export function registerNativeBackend(): boolean {
  if (registered) return true;
  const A = loadNativeAddon();
  if (!A) return false;
  A.info(); // starts the thread pool; throws here rather than inside a kernel if the addon is broken
  if (process.env.WGAN_NATIVE_MALLOC !== '0') A.tuneMalloc();
  const threads = Number(process.env.WGAN_NATIVE_THREADS);
  if (threads >= 1) A.setThreads(Math.floor(threads));
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 1);
  for (const cfg of tf.getKernelsForBackend('cpu')) {
    const fallback = cfg.kernelFunc;
    const nk = kernels[cfg.kernelName];
    const name = cfg.kernelName;
    const aliasing = !NON_ALIASING.has(name);
    // A cpu kernel may alias its inputs' arrays: they must not be recycled afterwards.
    const cpu: tf.KernelFunc = aliasing
      ? (args) => {
          const be = args.backend as unknown;
          if (be instanceof NativeBackend) be.escape(Object.values(args.inputs as Record<string, Info | undefined>));
          return fallback(args);
        }
      : fallback;
    const func: tf.KernelFunc = nk
      ? (args) => {
          const r = nk(args as unknown as KArgs, A);
          count(name, r !== undefined);
          return r ?? cpu(args);
        }
      : cpu;
    const copy: tf.KernelConfig = {
      kernelName: cfg.kernelName,
      backendName: NATIVE_BACKEND,
      kernelFunc: timed(cfg.kernelName, func),
    };
    if (cfg.setupFunc) copy.setupFunc = cfg.setupFunc;
    if (cfg.disposeFunc) copy.disposeFunc = cfg.disposeFunc;
    tf.registerKernel(copy);
  }
  // A kernel of our own (no cpu counterpart): the fused Adam step of src/backends/fused_adam.ts.
  tf.registerKernel({
    kernelName: FUSED_ADAM_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: timed(FUSED_ADAM_KERNEL, (args) => {
      const b = args.backend as MathBackendCPU;
      const ins = args.inputs as Record<string, Info>;
      const vals = ['value', 'm', 'v', 'g'].map((k) => f32(b, ins[k]));
      const value = ins.value!;
      if (vals.some((x) => !x || x.length !== vals[0]!.length))
        throw new Error(`${FUSED_ADAM_KERNEL}: float32 inputs of one size expected`);
      const n = vals[0]!.length;
      const outs = [alloc(b, n), alloc(b, n), alloc(b, n)];
      A.adam(
        vals[0]!,
        vals[1]!,
        vals[2]!,
        vals[3]!,
        outs[0]!,
        outs[1]!,
        outs[2]!,
        adamConsts((args.attrs as { c: number[] }).c),
      );
      return outs.map((o) => out(b, value.shape, o));
    }),
  });
  // The fused layer norm and its gradients (src/models/layers.ts; the gradients are registered there).
  // WGAN_NATIVE_LAYERNORM=0 leaves them out (the TF.js ops run instead: A/B comparisons); =1 keeps all
  // but the second-order kernel.
  registerLayerNormKernels(A);
  registered = true;
  return true;
}

function registerLayerNormKernels(A: NativeAddon): void {
  if (process.env.WGAN_NATIVE_LAYERNORM === '0') return;
  const rows = (b: MathBackendCPU, x: Info, name: string) => {
    const N = x.shape[0] ?? 0,
      F = N > 0 ? x.shape.slice(1).reduce((a, d) => a * d, 1) : 0;
    const xv = f32(b, x);
    if (!xv || x.shape.length < 2) throw new Error(`${name}: a float32 input of rank ≥ 2 expected`);
    return { N, F, xv, shape: Int32Array.from([N, F]) };
  };
  const lnKernel = (name: string, f: (b: MathBackendCPU, ins: Record<string, Info>, eps: number) => Info) =>
    tf.registerKernel({
      kernelName: name,
      backendName: NATIVE_BACKEND,
      kernelFunc: timed(name, (args) => {
        count(name, true);
        return f(
          args.backend as MathBackendCPU,
          args.inputs as Record<string, Info>,
          (args.attrs as { epsilon: number }).epsilon,
        );
      }),
    });
  const need = (v: Float32Array | undefined, n: number, name: string, what: string): Float32Array => {
    if (!v || v.length !== n) throw new Error(`${name}: ${what} must be float32 with ${n} values`);
    return v;
  };
  lnKernel(LAYER_NORM_KERNEL, (b, ins, eps) => {
    const { N, F, xv, shape } = rows(b, ins.x!, LAYER_NORM_KERNEL);
    const y = alloc(b, N * F);
    A.layerNorm(
      xv,
      need(f32(b, ins.gamma), F, LAYER_NORM_KERNEL, 'gamma'),
      need(f32(b, ins.beta), F, LAYER_NORM_KERNEL, 'beta'),
      y,
      shape,
      eps,
    );
    return out(b, ins.x!.shape, y);
  });
  lnKernel(LAYER_NORM_GRAD_X_KERNEL, (b, ins, eps) => {
    const { N, F, xv, shape } = rows(b, ins.x!, LAYER_NORM_GRAD_X_KERNEL);
    const dx = alloc(b, N * F);
    A.layerNormGradX(
      xv,
      need(f32(b, ins.gamma), F, LAYER_NORM_GRAD_X_KERNEL, 'gamma'),
      need(f32(b, ins.dy), N * F, LAYER_NORM_GRAD_X_KERNEL, 'dy'),
      dx,
      shape,
      eps,
    );
    return out(b, ins.x!.shape, dx);
  });
  lnKernel(LAYER_NORM_GRAD_GAMMA_KERNEL, (b, ins, eps) => {
    const { N, F, xv, shape } = rows(b, ins.x!, LAYER_NORM_GRAD_GAMMA_KERNEL);
    const dg = alloc(b, F);
    A.layerNormGradGamma(xv, need(f32(b, ins.dy), N * F, LAYER_NORM_GRAD_GAMMA_KERNEL, 'dy'), dg, shape, eps);
    return out(b, ins.x!.shape.slice(1), dg);
  });
  // The second order (WGAN_NATIVE_LAYERNORM=1 leaves it out: the penalty's inner gradient as TF.js ops,
  // for A/B comparisons): its three outputs from one call, so each row's statistics are computed once.
  if (process.env.WGAN_NATIVE_LAYERNORM === '1') return;
  tf.registerKernel({
    kernelName: LAYER_NORM_GRAD_X_GRAD_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: timed(LAYER_NORM_GRAD_X_GRAD_KERNEL, (args) => {
      count(LAYER_NORM_GRAD_X_GRAD_KERNEL, true);
      const b = args.backend as MathBackendCPU,
        ins = args.inputs as Record<string, Info>,
        { epsilon: eps } = args.attrs as { epsilon: number };
      const name = LAYER_NORM_GRAD_X_GRAD_KERNEL;
      const { N, F, xv, shape } = rows(b, ins.x!, name);
      const ddx = alloc(b, N * F),
        dgamma = alloc(b, F),
        ddy = alloc(b, N * F);
      A.layerNormGradXGrad(
        xv,
        need(f32(b, ins.gamma), F, name, 'gamma'),
        need(f32(b, ins.dy), N * F, name, 'dy'),
        need(f32(b, ins.u), N * F, name, 'u'),
        ddx,
        ddy,
        dgamma,
        shape,
        eps,
      );
      return [out(b, ins.x!.shape, ddx), out(b, ins.x!.shape.slice(1), dgamma), out(b, ins.x!.shape, ddy)];
    }),
  });
}

/** Which micro-kernel (avx512 | avx2 | generic) and how many threads the addon uses; undefined when not loaded. */
export function nativeInfo(): { kernel: string; threads: number } | undefined {
  return loadNativeAddon()?.info();
}
