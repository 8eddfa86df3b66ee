/**
 * The page: pick a sample or upload an image, paint a hole (brush, eraser, undo, or a mask kind),
 * inpaint on the server (SSE stream, default) or in this tab (TF.js on WebGPU, WebGL or wasm), watch G(z) converge,
 * compare and download. Plus a training view of a run folder (`serve --run DIR`).
 *
 * The image is kept at its own size (within the server's pixel limit, maxPixels(); said when it is scaled) in `imageCanvas`; the mask is painted in
 * `maskCanvas` of the same size (opaque = hole). Both go to the server as PNG data URLs; the server (or
 * this tab) fits them to the model (src/inpaint/fit.ts: whole image, aspect kept, or a crop around each
 * hole) and brings the fill back, so every result has the upload's size.
 *
 * `document.body.dataset.state` is loading → ready → running → done | error (tests wait on it).
 */
import { makeMask } from '../masks/masks.js';
import { maskToGrey, type MaskConvention } from '../masks/convention.js';
import { fitMask, planFit } from '../inpaint/fit.js';
import { zipStore } from '../util/zip.js';
import {
  DEFAULT_INPAINT,
  INIT_KINDS,
  INPAINT_BOUNDS,
  resolveInpaintOptions,
  type InitKind,
} from '../inpaint/options.js';
import { IMAGE_FORMATS_TEXT, IMAGE_MIME_TYPES } from '../inpaint/surface.js';
import type { RefineKind } from '../inpaint/refine.js';
import { sseParser } from './sse.js';
import {
  decodeEvent,
  type InpaintOutcome,
  type ModelInfo,
  type ProgressData,
  type ServerConfig,
} from '../protocol/api.js';
import { formDefaults } from '../protocol/convert.js';
import { availableBackends, BACKEND_LABELS, type BackendChoice, type BrowserBackend } from './backends.js';
import { installEditor, LiveEta, wheelZooms } from './editor.js';
import { context2d } from './canvas.js';

/**
 * The largest image the page works at, pixels: the server's limit (`serve --max-pixels`, the CLI's
 * rule; its body limit holds such an image as PNG). Within it an upload keeps its full size; a larger
 * one is scaled down to it on load, and the page says so (the CLI and the API refuse it instead: here
 * the image is already decoded, and scaling is what a user of the page wants).
 */
const maxPixels = () => config?.limits.maxPixels ?? 16_000_000;
/** Display size of the drawing stage and the comparison, CSS px (longest side). */
const STAGE_PX = 336;
const HOLE_COLOUR = 'rgb(255, 40, 90)';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
};

const el = {
  model: $<HTMLSelectElement>('model'),
  modelInfo: $('model-info'),
  sample: $<HTMLSelectElement>('sample'),
  upload: $<HTMLInputElement>('upload'),
  stage: $('stage'),
  image: $<HTMLCanvasElement>('image-canvas'),
  mask: $<HTMLCanvasElement>('mask-canvas'),
  hint: $('stage-hint'),
  brush: $<HTMLInputElement>('brush'),
  brushVal: $('brush-val'),
  eraser: $<HTMLInputElement>('eraser'),
  undo: $<HTMLButtonElement>('undo'),
  redo: $<HTMLButtonElement>('redo'),
  uploadButton: $<HTMLButtonElement>('upload-button'),
  clear: $<HTMLButtonElement>('clear'),
  maskKind: $<HTMLSelectElement>('mask-kind'),
  maskSeed: $<HTMLInputElement>('mask-seed'),
  applyKind: $<HTMLButtonElement>('apply-kind'),
  maskConvention: $<HTMLSelectElement>('mask-convention'),
  resMaskCaption: $('res-mask-caption'),
  init: $<HTMLSelectElement>('init'),
  browserBackend: $<HTMLSelectElement>('browser-backend'),
  liveCaption: $('live-caption'),
  iters: $<HTMLInputElement>('iters'),
  restarts: $<HTMLInputElement>('restarts'),
  lambda: $<HTMLInputElement>('lambda'),
  blend: $<HTMLSelectElement>('blend'),
  refine: $<HTMLSelectElement>('refine'),
  refineIters: $<HTMLInputElement>('refine-iters'),
  go: $<HTMLButtonElement>('go'),
  cancel: $<HTMLButtonElement>('cancel'),
  status: $('status'),
  live: $<HTMLImageElement>('live'),
  progress: $<HTMLProgressElement>('progress'),
  iter: $('iter'),
  losses: $('losses'),
  eta: $('eta'),
  resizeNote: $('resize-note'),
  resultPanel: $('result-panel'),
  compareWith: $<HTMLSelectElement>('compare-with'),
  download: $<HTMLAnchorElement>('download'),
  downloadMask: $<HTMLAnchorElement>('download-mask'),
  downloadZip: $<HTMLAnchorElement>('download-zip'),
  resultLosses: $('result-losses'),
  domainBanner: $('domain-banner'),
  domainVerdict: $('domain-verdict'),
  staleNote: $('stale-note'),
  maskPreview: $<HTMLCanvasElement>('mask-preview'),
  zoomNote: $('zoom-note'),
  cmpUnder: $<HTMLImageElement>('cmp-under'),
  cmpOver: $<HTMLImageElement>('cmp-over'),
  cmpSlider: $<HTMLInputElement>('cmp-slider'),
  compare: $('compare'),
};

let models: ModelInfo[] = [];
let config: ServerConfig | null = null;
let hasImage = false;
let running: AbortController | null = null;
let result: InpaintOutcome | null = null;
/** The loaded image's name without extension (downloads are named after it). */
let imageName = 'image';
/** An undo step: the mask, and the image too when the step replaced it ("continue from this result"). */
interface Snapshot {
  mask: ImageData;
  image?: ImageData;
}
const undoStack: Snapshot[] = [];
/** States undone, newest last; any new edit clears it. */
const redoStack: Snapshot[] = [];

const setState = (s: string) => (document.body.dataset.state = s);
const status = (msg: string, error = false) => {
  el.status.textContent = msg;
  el.status.classList.toggle('error', error);
};
const currentModel = () => models.find((m) => m.name === el.model.value);
const maskCtx = () => context2d(el.mask, { willReadFrequently: true });
/** How every mask the page shows, downloads and sends marks the hole (src/masks/convention.ts); the painted canvas is always opaque = hole. */
const convention = () => el.maskConvention.value as MaskConvention;

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok)
    throw new Error(`${url}: ${r.status} ${((await r.json().catch(() => ({}))) as { error?: string }).error ?? ''}`);
  return (await r.json()) as T;
}

// ---------------------------------------------------------------- image and mask

/**
 * Size the stage to the image's aspect ratio, longest side STAGE_PX; the height follows the width
 * (aspect-ratio), so on a narrow screen the box shrinks to fit (max-width: 100%) without distortion.
 */
function fitStage(box: HTMLElement, w: number, h: number): void {
  const k = STAGE_PX / Math.max(w, h);
  box.style.width = `${Math.round(w * k)}px`;
  box.style.height = '';
  box.style.aspectRatio = `${Math.round(w * k)} / ${Math.round(h * k)}`;
}

/** Put an image on the stage; returns a note when it had to be scaled to the page's limit. */
function setImage(img: CanvasImageSource, w: number, h: number): string {
  const k = Math.min(1, Math.sqrt(maxPixels() / (w * h)));
  const W = Math.max(1, Math.round(w * k)),
    H = Math.max(1, Math.round(h * k));
  el.image.width = W;
  el.image.height = H;
  const ctx = context2d(el.image);
  ctx.fillStyle = '#fff'; // transparency is completed on white, as the server does
  ctx.fillRect(0, 0, W, H);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(img, 0, 0, W, H);
  el.mask.width = W;
  el.mask.height = H;
  undoStack.length = 0;
  redoStack.length = 0;
  fitStage(el.stage, W, H);
  resetView();
  hasImage = true;
  el.hint.hidden = true;
  maskChanged('a new image');
  return k < 1
    ? ` (scaled from ${w}×${h} to ${W}×${H}: above this server's limit of ${(maxPixels() / 1e6).toFixed(1)} MP)`
    : '';
}

/**
 * After any edit of the image or the mask: the result shown no longer matches the input (marked
 * stale), and the preview shows the mask as the search will see it, at the model's resolution.
 */
function maskChanged(what = 'the mask'): void {
  markStale(`${what} changed since this result`);
  drawMaskPreview();
  updateButtons();
}

/** Grey out the result panel with a reason (cleared by the next result). */
function markStale(reason: string): void {
  if (!result) return;
  el.resultPanel.classList.add('stale');
  el.domainVerdict.hidden = true; // the verdict was on the input of that result
  el.staleNote.hidden = false;
  el.staleNote.textContent = `out of date: ${reason}; press Inpaint again`;
}

/** The mask at the model's resolution, as the search sees it (whole fit: holes kept when shrinking; padding unknown). */
function drawMaskPreview(): void {
  const m = currentModel();
  const fig = el.maskPreview.parentElement!;
  if (!m || !hasImage) {
    fig.hidden = true;
    return;
  }
  const d = maskCtx().getImageData(0, 0, el.mask.width, el.mask.height).data;
  const full = { data: new Float32Array(el.mask.width * el.mask.height), height: el.mask.height, width: el.mask.width };
  for (let i = 0; i < full.data.length; i++) full.data[i] = d[i * 4 + 3]! >= 128 ? 0 : 1;
  const to = { width: m.size, height: m.size };
  const small = fitMask(planFit({ width: full.width, height: full.height }, to, 'whole'), full);
  const c = el.maskPreview;
  c.width = m.size;
  c.height = m.size;
  const img = context2d(c).createImageData(m.size, m.size);
  const grey = maskToGrey(small, convention());
  for (let i = 0; i < small.data.length; i++) {
    const v = grey[i]! * 255;
    img.data.set([v, v, v, 255], i * 4);
  }
  context2d(c).putImageData(img, 0, 0);
  fig.hidden = false;
}

async function loadImageUrl(url: string): Promise<string> {
  const img = new Image();
  img.src = url;
  await img.decode();
  return setImage(img, img.naturalWidth, img.naturalHeight);
}

function snapshot(withImage: boolean): Snapshot {
  const mask = maskCtx().getImageData(0, 0, el.mask.width, el.mask.height);
  return withImage
    ? {
        mask,
        image: context2d(el.image, { willReadFrequently: true }).getImageData(0, 0, el.image.width, el.image.height),
      }
    : { mask };
}

/** Before an edit: the state it changes (`withImage`: the edit replaces the image too). */
function pushUndo(withImage = false): void {
  undoStack.push(snapshot(withImage));
  if (undoStack.length > 50) undoStack.shift();
  redoStack.length = 0;
}

/** Undo (or redo) one edit: the current state goes onto the other stack. */
function undoRedo(from: Snapshot[], to: Snapshot[]): void {
  const prev = from.pop();
  if (!prev) return;
  to.push(snapshot(!!prev.image));
  if (prev.image) {
    if (prev.image.width !== el.image.width || prev.image.height !== el.image.height)
      resizeCanvases(prev.image.width, prev.image.height);
    context2d(el.image).putImageData(prev.image, 0, 0);
  }
  maskCtx().putImageData(prev.mask, 0, 0);
  maskChanged(prev.image ? 'the image' : 'the mask');
}

/** Both canvases at a new size (which clears them), the stage fitted to it at 1×. */
function resizeCanvases(W: number, H: number): void {
  el.image.width = el.mask.width = W;
  el.image.height = el.mask.height = H;
  fitStage(el.stage, W, H);
  resetView();
}

/**
 * "Continue from this result": the result becomes the input image and the mask is cleared, as one
 * undo step (Ctrl+Z brings the previous image and its mask back). Results have the input's size.
 */
async function continueFrom(url: string): Promise<void> {
  const img = new Image();
  img.src = url;
  await img.decode();
  pushUndo(true);
  if (img.naturalWidth !== el.image.width || img.naturalHeight !== el.image.height)
    resizeCanvases(img.naturalWidth, img.naturalHeight);
  const ctx = context2d(el.image);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, el.image.width, el.image.height);
  ctx.drawImage(img, 0, 0, el.image.width, el.image.height);
  maskCtx().clearRect(0, 0, el.mask.width, el.mask.height);
  el.sample.value = '';
  maskChanged('the image');
}

/** Load a dropped, pasted or chosen file. */
function loadFile(f: File): void {
  if (!IMAGE_MIME_TYPES.includes(f.type)) {
    status(`cannot use ${f.name || 'that file'}: not a ${IMAGE_FORMATS_TEXT} image`, true);
    return;
  }
  const url = URL.createObjectURL(f);
  imageName = (f.name || 'pasted').replace(/\.[^.]*$/, '') || 'image';
  loadImageUrl(url)
    .then((note) => status(`loaded ${f.name || 'the pasted image'}${note}`))
    .catch(() => status(`cannot decode ${f.name || 'the pasted image'}: not a ${IMAGE_FORMATS_TEXT} image`, true))
    .finally(() => URL.revokeObjectURL(url));
  el.sample.value = '';
}

/** Paint a mask of a registry kind (src/masks) at the image's size. */
function applyKind(kind: string, seed: number): void {
  pushUndo();
  const m = makeMask(kind, el.mask.height, el.mask.width, { seed });
  const ctx = maskCtx();
  const img = ctx.createImageData(el.mask.width, el.mask.height);
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i]! < 0.5) {
      img.data.set([255, 40, 90, 255], i * 4);
    }
  }
  ctx.putImageData(img, 0, 0);
  maskChanged();
}

/** Number of hole pixels painted (alpha ≥ 128). */
function holeCount(): number {
  const d = maskCtx().getImageData(0, 0, el.mask.width, el.mask.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i]! >= 128) n++;
  return n;
}

/** The painted mask as a PNG in the chosen convention (sent with it as `maskConvention`), same size as the image. */
function maskPng(): string {
  const c = document.createElement('canvas');
  c.width = el.mask.width;
  c.height = el.mask.height;
  const ctx = context2d(c);
  const src = maskCtx().getImageData(0, 0, c.width, c.height);
  const out = ctx.createImageData(c.width, c.height);
  for (let i = 0; i < c.width * c.height; i++) {
    const white = src.data[i * 4 + 3]! >= 128 === (convention() === 'hole-white');
    const v = white ? 255 : 0;
    out.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(out, 0, 0);
  return c.toDataURL('image/png');
}

// Brush: pointer coordinates → mask pixels; the slider is the brush diameter in screen px, so it
// feels the same on a 28 px and a 512 px image.
let drawing = false;
let last: { x: number; y: number } | null = null;

function toMaskXY(e: PointerEvent): { x: number; y: number } {
  const r = el.mask.getBoundingClientRect();
  return { x: ((e.clientX - r.left) * el.mask.width) / r.width, y: ((e.clientY - r.top) * el.mask.height) / r.height };
}

/** The brush's width in mask pixels: the slider's screen px at the current zoom. */
function brushMaskPx(): number {
  return (Number(el.brush.value) * el.mask.width) / el.mask.getBoundingClientRect().width;
}

/** …and back on screen (what the brush outline shows): the same width a stroke paints. */
function brushScreenPx(): number {
  return (brushMaskPx() * el.mask.getBoundingClientRect().width) / el.mask.width;
}

function stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
  const ctx = maskCtx();
  ctx.lineWidth = brushMaskPx();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = HOLE_COLOUR;
  ctx.globalCompositeOperation = el.eraser.checked ? 'destination-out' : 'source-over';
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.lineTo(b.x + 0.01, b.y); // a zero-length line draws nothing; a click should still paint a dot
  ctx.stroke();
  ctx.globalCompositeOperation = 'source-over';
}

// ---- zoom and pan: the two canvases move together under one CSS transform inside the stage; the
// brush maps through getBoundingClientRect, so painting stays exact at any zoom.
let zoom = 1,
  panX = 0,
  panY = 0,
  spaceHeld = false;
let panning: { x: number; y: number; px: number; py: number } | null = null;

function applyView(): void {
  const W = el.stage.clientWidth,
    H = el.stage.clientHeight;
  panX = Math.min(0, Math.max(W - W * zoom, panX));
  panY = Math.min(0, Math.max(H - H * zoom, panY));
  for (const c of [el.image, el.mask])
    c.style.transform = zoom === 1 ? '' : `translate(${panX}px, ${panY}px) scale(${zoom})`;
  el.zoomNote.textContent = zoom === 1 ? '' : `zoom ${Math.round(zoom * 100)} % (0 resets)`;
}

/** Zoom by `f` keeping the stage point (cx, cy) (px from its top-left) where it is; 1× to 16×. */
function zoomAt(f: number, cx: number, cy: number): void {
  const nz = Math.min(16, Math.max(1, zoom * f));
  panX = cx - ((cx - panX) * nz) / zoom;
  panY = cy - ((cy - panY) * nz) / zoom;
  zoom = nz;
  applyView();
}

function resetView(): void {
  zoom = 1;
  panX = panY = 0;
  applyView();
}

el.stage.addEventListener(
  'wheel',
  (e) => {
    // A plain wheel scrolls the page; Ctrl/⌘ + wheel (or the "wheel zooms" toggle) zooms (editor.ts).
    if (!hasImage || !wheelZooms(e)) return;
    e.preventDefault();
    const r = el.stage.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
  },
  { passive: false },
);
document.addEventListener('keyup', (e) => {
  if (e.key === ' ') spaceHeld = false;
});

el.mask.addEventListener('pointerdown', (e) => {
  if (!hasImage || running) return;
  // Space + drag or the middle button pans (when zoomed in); the left button paints.
  if (e.button === 1 || spaceHeld) {
    e.preventDefault();
    el.mask.setPointerCapture(e.pointerId);
    panning = { x: e.clientX, y: e.clientY, px: panX, py: panY };
    return;
  }
  if (e.button !== 0) return;
  el.mask.setPointerCapture(e.pointerId);
  pushUndo();
  drawing = true;
  last = toMaskXY(e);
  stroke(last, last);
});
el.mask.addEventListener('pointermove', (e) => {
  if (panning) {
    panX = panning.px + e.clientX - panning.x;
    panY = panning.py + e.clientY - panning.y;
    applyView();
    return;
  }
  if (!drawing || !last) return;
  const p = toMaskXY(e);
  stroke(last, p);
  last = p;
});
/** Snap the painted mask to what the server will use (alpha ≥ 128 = hole), so what you see is the mask. */
function binarize(): void {
  const ctx = maskCtx();
  const img = ctx.getImageData(0, 0, el.mask.width, el.mask.height);
  for (let i = 0; i < img.data.length; i += 4) {
    const hole = img.data[i + 3]! >= 128;
    img.data.set(hole ? [255, 40, 90, 255] : [0, 0, 0, 0], i);
  }
  ctx.putImageData(img, 0, 0);
}

const endStroke = () => {
  panning = null;
  if (!drawing) return;
  drawing = false;
  last = null;
  binarize();
  maskChanged();
};
el.mask.addEventListener('pointerup', endStroke);
el.mask.addEventListener('pointercancel', endStroke);

el.brush.addEventListener('input', () => (el.brushVal.textContent = el.brush.value));
el.undo.addEventListener('click', () => undoRedo(undoStack, redoStack));
el.redo.addEventListener('click', () => undoRedo(redoStack, undoStack));

/** Brush size by [ and ] (×/÷ 1.25, like image editors), within the slider's range. */
function nudgeBrush(up: boolean): void {
  const v = Number(el.brush.value);
  el.brush.value = String(Math.round(up ? Math.max(v + 1, v * 1.25) : Math.min(v - 1, v / 1.25)));
  // As the slider does (the value label, the brush outline).
  el.brush.dispatchEvent(new Event('input'));
}

// Keyboard: Ctrl/⌘+Z undo, Ctrl/⌘+Shift+Z (or Ctrl+Y) redo, [ and ] brush size — not while typing in a field.
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (
    t &&
    ((t.tagName === 'INPUT' &&
      (t as HTMLInputElement).type !== 'range' &&
      (t as HTMLInputElement).type !== 'checkbox') ||
      t.tagName === 'SELECT' ||
      t.tagName === 'TEXTAREA')
  )
    return;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'z') {
    e.preventDefault();
    if (e.shiftKey) undoRedo(redoStack, undoStack);
    else undoRedo(undoStack, redoStack);
  } else if (mod && e.key.toLowerCase() === 'y') {
    e.preventDefault();
    undoRedo(redoStack, undoStack);
  } else if (!mod && (e.key === '[' || e.key === ']')) {
    e.preventDefault();
    nudgeBrush(e.key === ']');
  } else if (!mod && (e.key === '+' || e.key === '=' || e.key === '-')) {
    e.preventDefault();
    zoomAt(e.key === '-' ? 0.8 : 1.25, el.stage.clientWidth / 2, el.stage.clientHeight / 2);
  } else if (!mod && e.key === '0') {
    resetView();
  } else if (e.key === ' ' && hasImage && (t === document.body || t === el.mask || t === el.stage)) {
    // Space pans only over the stage or the page itself: on a focused button it still presses it.
    e.preventDefault();
    spaceHeld = true;
  }
});

// Drag-and-drop onto the stage (or anywhere on the page) and paste.
for (const ev of ['dragenter', 'dragover'] as const) {
  document.addEventListener(ev, (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    el.stage.classList.add('drop');
  });
}
document.addEventListener('dragleave', () => el.stage.classList.remove('drop'));
document.addEventListener('drop', (e) => {
  el.stage.classList.remove('drop');
  const f = e.dataTransfer?.files[0];
  if (!f) return;
  e.preventDefault();
  loadFile(f);
});
document.addEventListener('paste', (e) => {
  const f = [...(e.clipboardData?.files ?? [])][0];
  if (f) loadFile(f);
});
el.clear.addEventListener('click', () => {
  pushUndo();
  maskCtx().clearRect(0, 0, el.mask.width, el.mask.height);
  maskChanged();
});
el.applyKind.addEventListener('click', () => {
  if (!hasImage) return status('load an image first', true);
  if (!el.maskKind.value) return status('choose a mask kind to apply (or draw the hole with the brush)', true);
  try {
    applyKind(el.maskKind.value, Math.trunc(Number(el.maskSeed.value) || 0));
  } catch (e) {
    status((e as Error).message, true);
  }
});

el.maskKind.addEventListener('change', () => updateButtons());

function updateButtons(): void {
  el.go.disabled = !hasImage || !!running || !currentModel();
  // Apply does something only with an image and a kind ("— draw —" means: paint it yourself).
  el.applyKind.disabled = !hasImage || !el.maskKind.value;
  el.cancel.disabled = !running;
  el.undo.disabled = undoStack.length === 0;
  el.redo.disabled = redoStack.length === 0;
}

// ---------------------------------------------------------------- models and samples

function showModel(): void {
  const m = currentModel();
  el.sample.replaceChildren(new Option('—', ''));
  if (!m) return;
  el.modelInfo.textContent = `${m.size}×${m.size}, ${m.channels === 1 ? 'grey' : 'RGB'}, ${m.manifest.model} ${m.manifest.loss} on ${m.manifest.dataset ?? m.manifest.data}, ${m.manifest.step} iterations${m.expects ? `; expects ${m.expects}` : ''}`;
  // A result computed with another model is no longer what this model would give.
  drawMaskPreview();
  if (result) {
    el.domainBanner.hidden = false;
    el.domainBanner.textContent = `the result below was computed with another model; press Inpaint for ${m.name}`;
  }
  for (const url of m.samples) el.sample.add(new Option(decodeURIComponent(url.split('/').pop() ?? url), url));
  if (m.encoder) el.modelInfo.textContent += '; with an encoder (the search starts near the answer)';
  showStartDefaults();
}

/** The start choice of the form (the select's values are the schema's INIT_KINDS). */
function chosenInit(): InitKind {
  const v = el.init.value;
  return (INIT_KINDS as readonly string[]).includes(v) ? (v as InitKind) : 'auto';
}

/** The start the chosen model and `start` select give, as the server resolves it (src/protocol/convert.ts). */
function chosenStart(): 'encoder' | 'random' {
  const m = currentModel();
  return m ? formDefaults(m, chosenInit()).start : 'random';
}

/**
 * The form's iterations and restarts: what the server resolves a request giving only the start to,
 * for this model (the options schema's defaults per start, src/protocol/convert.ts formDefaults) —
 * the page keeps no defaults of its own.
 */
function showStartDefaults(): void {
  const m = currentModel();
  const enc = el.init.querySelector<HTMLOptionElement>('option[value="encoder"]');
  if (enc) enc.disabled = !m?.encoder;
  if (!m?.encoder && el.init.value === 'encoder') el.init.value = 'auto';
  if (!m) return;
  const { options: d } = formDefaults(m, chosenInit());
  el.iters.value = String(d.iters);
  el.restarts.value = String(d.restarts);
}

el.model.addEventListener('change', showModel);
el.refine.addEventListener('change', () => {
  el.refineIters.disabled = el.refine.value === 'z';
});
el.init.addEventListener('change', showStartDefaults);
el.sample.addEventListener('change', () => {
  if (el.sample.value)
    imageName = decodeURIComponent(el.sample.value.split('/').pop() ?? 'sample').replace(/\.[^.]*$/, '');
  if (el.sample.value)
    loadImageUrl(el.sample.value).catch((e) => status(`cannot load sample: ${(e as Error).message}`, true));
});
el.upload.addEventListener('change', () => {
  const f = el.upload.files?.[0];
  if (f) loadFile(f);
});
// The visible upload button is a real button (Tab-reachable, Enter/Space), opening the file dialog.
el.uploadButton.addEventListener('click', () => el.upload.click());

// ---------------------------------------------------------------- inpainting

type Progress = ProgressData;

/** Where the running job's search started (shown with the first preview: the encoder's one-pass fill). */
let runStart: 'encoder' | 'random' = 'random';

function showProgress(p: Progress): void {
  if (p.preview)
    el.liveCaption.textContent =
      p.iter === 0 && runStart === 'encoder' ? "the encoder's one-pass fill G(E(y⊙M, M)); refining…" : 'G(z) now';
  el.progress.max = Math.max(1, p.iters);
  el.progress.value = p.iter;
  el.iter.textContent = `${p.iter} / ${p.iters}`;
  // Not yet measured (the encoder's one-pass fill, shown before the search starts): '…'.
  const f = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '…');
  // Each loss unbroken (a narrow column wraps between them, never inside one).
  const part = (t: string) => Object.assign(document.createElement('span'), { textContent: t, className: 'nowrap' });
  el.losses.replaceChildren(part(`contextual ${f(p.contextual, 2)}`), ' · ', part(`prior ${f(p.prior, 3)}`));
  liveEta.update(p.iter, p.iters);
  if (p.preview) el.live.src = p.preview;
}

function options() {
  const num = (i: HTMLInputElement) => Number(i.value);
  return {
    init: el.init.value as 'auto' | 'encoder' | 'random',
    iters: Math.trunc(num(el.iters)),
    restarts: Math.trunc(num(el.restarts)),
    lambda: num(el.lambda),
    blend: el.blend.value as 'poisson' | 'none',
    refine: el.refine.value as RefineKind,
    // Only sent with a refinement (the digest of a queued job covers what is sent).
    ...(el.refine.value === 'z' ? {} : { refineIters: Math.trunc(num(el.refineIters)) }),
  };
}

/** POST /api/inpaint and follow its SSE stream until `result` or `error`. */
async function inpaintOnServer(m: ModelInfo, signal: AbortSignal): Promise<InpaintOutcome> {
  const body = JSON.stringify({
    model: m.name,
    image: el.image.toDataURL('image/png'),
    mask: maskPng(),
    maskConvention: convention(),
    options: options(),
  });
  const maxBytes = config?.limits.maxBodyBytes;
  if (maxBytes && body.length > maxBytes)
    throw new Error(
      `the image is ${(body.length / 2 ** 20).toFixed(1)} MB as PNG; this server accepts at most ${(maxBytes / 2 ** 20).toFixed(1)} MB: use a smaller image`,
    );
  const r = await fetch('api/inpaint', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal,
  });
  if (!r.ok || !r.body) {
    const j = (await r.json().catch(() => ({}))) as { error?: string };
    const retry = r.headers.get('retry-after');
    throw new Error(`${j.error ?? `HTTP ${r.status}`}${retry ? ` (retry after ${retry} s)` : ''}`);
  }
  let outcome: InpaintOutcome | null = null;
  let failure: string | null = null;
  const feed = sseParser((name, data) => {
    const e = decodeEvent(name, data);
    if (!e) return; // an event this page does not know
    switch (e.event) {
      case 'queued':
        status(`waiting: ${e.data.position} in line`);
        break;
      case 'start': {
        runStart = e.data.start;
        status(`inpainting on the server${runStart === 'encoder' ? ", from the encoder's z" : ''}…`);
        const z = e.data.resize;
        el.resizeNote.textContent = z.resized
          ? `${z.from.width}×${z.from.height}, completed at the model's ${z.to.width}×${z.to.height} (${z.fit === 'crop' ? `${z.regions.length} crop(s) around the holes` : 'whole image, aspect kept'}); the result has the upload's size`
          : '';
        break;
      }
      case 'progress':
        showProgress(e.data);
        break;
      case 'result':
        outcome = { ...e.data, start: runStart };
        break;
      case 'error':
        failure = e.data.error;
        break;
    }
  });
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    feed(value);
  }
  if (failure) throw new Error(failure);
  if (!outcome) throw new Error('the server closed the stream without a result');
  return outcome;
}

async function inpaintHere(m: ModelInfo, signal: AbortSignal): Promise<InpaintOutcome> {
  const choice = el.browserBackend.value as BackendChoice;
  status(`loading TF.js (${choice === 'auto' ? 'the fastest backend here' : BACKEND_LABELS[choice]}) and the model…`);
  const { inpaintInBrowser, initBrowserBackend } = await import('./compute.js');
  const name = await initBrowserBackend(choice);
  status(
    `inpainting in this browser on ${BACKEND_LABELS[name as BrowserBackend] ?? name}${runStart === 'encoder' ? ", from the encoder's z" : ''}…`,
  );
  return inpaintInBrowser({
    info: m,
    image: el.image,
    mask: el.mask,
    maskConvention: convention(),
    options: options(),
    onProgress: showProgress,
    signal,
    backend: choice,
  });
}

// The backends this browser has, in the "on" list (auto = the first of them), found without TF.js.
void availableBackends().then((kinds) => {
  el.browserBackend.options[0]!.textContent = `auto (${BACKEND_LABELS[kinds[0]!]})`;
  for (const k of kinds) el.browserBackend.append(new Option(BACKEND_LABELS[k], k));
});

function showResult(r: InpaintOutcome): void {
  result = r;
  el.resultPanel.classList.remove('stale');
  el.staleNote.hidden = true;
  const ids = ['input', 'mask', 'masked', 'raw', 'composite', 'blended'] as const;
  for (const k of ids) $<HTMLImageElement>(`res-${k}`).src = r[k];
  el.resMaskCaption.textContent = `mask (white = ${r.maskConvention === 'known-white' ? 'known' : 'hole'})`;
  el.resultPanel.hidden = false;
  el.cmpUnder.src = r.masked;
  updateCompare();
  el.download.href = r.blended;
  el.downloadMask.href = r.mask;
  el.downloadMask.download = `${imageName}-mask.png`;
  // Every output at the upload's size in one archive: NAME-inpainted.png, -composite, -raw, -masked, -mask, -input.
  const bytes = (url: string) => Uint8Array.from(atob(url.slice(url.indexOf(',') + 1)), (ch) => ch.charCodeAt(0));
  const names: [string, string][] = [
    ['inpainted', r.blended],
    ['composite', r.composite],
    ['raw', r.raw],
    ['masked', r.masked],
    ['mask', r.mask],
    ['input', r.input],
  ];
  if (el.downloadZip.href.startsWith('blob:')) URL.revokeObjectURL(el.downloadZip.href);
  const zip = zipStore(names.map(([n, u]) => [`${imageName}-${n}.png`, bytes(u)]));
  el.downloadZip.href = URL.createObjectURL(new Blob([zip.buffer as ArrayBuffer], { type: 'application/zip' }));
  el.downloadZip.download = `${imageName}-inpainted.zip`;
  el.resultLosses.dataset.seconds = String(r.seconds); // full precision, for benchmarks
  el.resultLosses.textContent = `contextual ${r.losses.contextual.toFixed(2)} · prior ${r.losses.prior.toFixed(3)} · ${r.seconds.toFixed(1)} s${r.backend ? ` on ${r.backend}` : ''}${r.start ? ` · start: ${r.start === 'encoder' ? "the encoder's z" : 'random z'}` : ''}`;
  fitStage(el.compare, r.resize.from.width, r.resize.from.height);
  // Out-of-domain: say it plainly above the result (the fill of such an image is not to be trusted),
  // and the verdict either way beside the live preview, near the top of the page where it is seen.
  el.domainBanner.hidden = !r.domain?.unlike;
  el.domainBanner.textContent = r.domain?.unlike
    ? (r.domain.message ?? 'this image looks unlike what the model was trained on')
    : '';
  const expects = currentModel()?.expects;
  el.domainVerdict.hidden = !r.domain;
  el.domainVerdict.classList.toggle('unlike', !!r.domain?.unlike);
  el.domainVerdict.textContent = !r.domain
    ? ''
    : r.domain.unlike
      ? `⚠ ${r.domain.message ?? 'this image looks unlike what the model was trained on'}`
      : `✓ this image looks like what the model was trained on${expects ? ` (${expects})` : ''}`;
}

function updateCompare(): void {
  if (!result) return;
  const k = el.compareWith.value as 'blended' | 'composite' | 'raw' | 'input';
  el.cmpOver.src = result[k];
  el.download.href = result[k];
  // Named after the upload: photo.jpg → photo-inpainted.png (photo-composite.png, …).
  el.download.download = `${imageName}-${k === 'blended' ? 'inpainted' : k}.png`;
  el.cmpOver.style.clipPath = `inset(0 0 0 ${el.cmpSlider.value}%)`;
}
el.compareWith.addEventListener('change', updateCompare);

/** Black ↔ white of a mask PNG data URL (the result's mask in the other convention). */
async function invertedPng(url: string): Promise<string> {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = context2d(c);
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < d.data.length; i += 4) for (let k = 0; k < 3; k++) d.data[i + k] = 255 - d.data[i + k]!;
  ctx.putImageData(d, 0, 0);
  return c.toDataURL('image/png');
}

// The convention changes every mask shown and downloaded at once: the preview, and the result's
// mask (inverted in place; the fill itself does not depend on it, so the result stays as it was).
el.maskConvention.addEventListener('change', () => {
  drawMaskPreview();
  const r = result,
    want = convention();
  if (!r || (r.maskConvention ?? 'known-white') === want) return;
  void invertedPng(r.mask).then((mask) => {
    if (result !== r) return;
    const stale = el.resultPanel.classList.contains('stale'),
      note = el.staleNote.textContent;
    showResult({ ...r, mask, maskConvention: want });
    if (stale) {
      el.resultPanel.classList.add('stale');
      el.domainVerdict.hidden = true;
      el.staleNote.hidden = false;
      el.staleNote.textContent = note;
    }
  });
});
el.cmpSlider.addEventListener('input', updateCompare);

el.go.addEventListener('click', async () => {
  const m = currentModel();
  if (!m || !hasImage || running) return;
  if (holeCount() === 0) {
    status('paint a hole first (or apply a mask kind)', true);
    return;
  }
  // The library's own options schema: the same bounds and messages as the server and the CLI.
  try {
    resolveInpaintOptions(options());
  } catch (e) {
    status((e as Error).message, true);
    return;
  }
  // This server's own limits, said in plain words before anything is sent.
  const o = options(),
    lim = config?.limits;
  if (lim && o.iters > lim.maxIters) return status(`iterations must be at most ${lim.maxIters} on this server`, true);
  if (lim && (o.refineIters ?? 0) > lim.maxIters)
    return status(`refine iterations must be at most ${lim.maxIters} on this server`, true);
  if (lim && o.restarts > lim.maxRestarts)
    return status(`restarts must be at most ${lim.maxRestarts} on this server`, true);
  const mode = (document.querySelector('input[name="compute"]:checked') as HTMLInputElement | null)?.value ?? 'server';
  running = new AbortController();
  updateButtons();
  setState('running');
  runStart = chosenStart();
  liveEta.start();
  showProgress({ iter: 0, iters: o.iters + (o.refineIters ?? 0), contextual: 0, prior: 0 });
  el.live.removeAttribute('src');
  el.liveCaption.textContent = 'G(z) now';
  const t0 = performance.now();
  try {
    const r = mode === 'browser' ? await inpaintHere(m, running.signal) : await inpaintOnServer(m, running.signal);
    showResult(r);
    status(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${mode})`);
    setState('done');
  } catch (e) {
    const msg = running.signal.aborted ? 'cancelled' : (e as Error).message;
    status(msg, !running.signal.aborted);
    markStale(running.signal.aborted ? 'the last run was cancelled' : 'the last run failed');
    setState('error');
  } finally {
    running = null;
    liveEta.stop();
    updateButtons();
  }
});
el.cancel.addEventListener('click', () => running?.abort());

const liveEta = new LiveEta(el.eta);

installEditor({
  result: () => result,
  hasImage: () => hasImage,
  panning: () => spaceHeld || !!panning,
  brushScreenPx,
  continueFrom: (url) => continueFrom(url),
  updateCompare,
  status,
});

// ---------------------------------------------------------------- training view

let trainTimer: number | undefined;

async function refreshTraining(): Promise<void> {
  const info = await getJson<{
    name: string;
    iterations: number;
    last: Record<string, number> | null;
    samples: string | null;
    plot: string | null;
    updated: number | null;
  }>('api/run');
  $('run-name').textContent = info.name;
  const last = info.last;
  $('run-stats').textContent = last
    ? `iteration ${last.iter ?? info.iterations}` +
      Object.entries(last)
        .filter(([k, v]) => k !== 'iter' && typeof v === 'number')
        .slice(0, 6)
        .map(([k, v]) => ` · ${k} ${v.toPrecision(4)}`)
        .join('')
    : 'no statistics yet';
  const bust = `?t=${info.updated ?? Date.now()}`;
  // Relative URLs (no leading '/') so the page also works below a path prefix.
  for (const [id, url] of [
    ['run-samples', info.samples],
    ['run-plot', info.plot],
  ] as const) {
    const img = $<HTMLImageElement>(id);
    img.parentElement!.hidden = !url;
    if (url && img.dataset.src !== url + bust) {
      img.dataset.src = url + bust;
      img.src = url.slice(1) + bust;
    }
  }
}

function showTab(tab: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tab'))
    b.classList.toggle('active', b.dataset.tab === tab);
  $('view-inpaint').hidden = tab !== 'inpaint';
  $('view-training').hidden = tab !== 'training';
  window.clearInterval(trainTimer);
  if (tab === 'training') {
    const tick = () => refreshTraining().catch((e) => ($('run-stats').textContent = (e as Error).message));
    tick();
    trainTimer = window.setInterval(tick, 3000);
  }
}
for (const b of document.querySelectorAll<HTMLButtonElement>('.tab'))
  b.addEventListener('click', () => showTab(b.dataset.tab ?? 'inpaint'));

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  [config, models] = await Promise.all([getJson<ServerConfig>('api/config'), getJson<ModelInfo[]>('api/models')]);
  for (const k of config.maskKinds) {
    const o = new Option(k.kind, k.kind);
    o.title = k.describe;
    el.maskKind.add(o);
  }
  el.iters.max = String(config.limits.maxIters);
  el.refineIters.max = String(config.limits.maxIters);
  el.restarts.max = String(config.limits.maxRestarts);
  el.lambda.max = String(INPAINT_BOUNDS.lambda);
  for (const m of models) el.model.add(new Option(m.name, m.name));
  // The schema's defaults; iterations and restarts per model and start (showModel → showStartDefaults).
  el.init.value = DEFAULT_INPAINT.init;
  el.lambda.value = String(DEFAULT_INPAINT.lambda);
  el.blend.value = DEFAULT_INPAINT.blend;
  showModel();
  if (config.run) $('tab-training').hidden = false;
  const first = currentModel()?.samples[0];
  if (first) {
    el.sample.value = first;
    await loadImageUrl(first);
  }
  updateButtons();
  if (config.backend) $('server-label').textContent = `the server (${config.backend} backend)`;
  setState('ready');
}

start().catch((e) => {
  status(`cannot reach the server: ${(e as Error).message}`, true);
  setState('error');
});
