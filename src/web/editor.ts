/**
 * The editor's conveniences next to IOPaint's (issue #31 item 7), kept out of main.ts: the shortcut
 * help (`?`, a button; Esc closes), the brush outline at the cursor, "continue from this result",
 * copy the result to the clipboard, hold B (or a button) to see the before image, the wheel-zoom
 * toggle, and the live ETA. main.ts owns the image, the mask and their undo history; it hands this
 * module what it needs through `EditorHost`.
 */
import type { InpaintOutcome } from '../protocol/api.js';
import { EtaClock, fmtDuration } from '../util/eta.js';

export interface EditorHost {
  /** The result on the page, if any. */
  result(): InpaintOutcome | null;
  hasImage(): boolean;
  /** Space held for panning: the pointer pans, so no brush outline. */
  panning(): boolean;
  /** The brush's diameter on screen, CSS px: what a click paints, at any zoom. */
  brushScreenPx(): number;
  /** Make an image (a data URL at the image's size) the input: mask cleared, one undo step. */
  continueFrom(url: string, what: string): Promise<void>;
  /** Show the comparison as the controls say (after the before view is let go). */
  updateCompare(): void;
  status(msg: string, error?: boolean): void;
}

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
};

/** A key pressed while typing in a field is the field's (a range or a checkbox has no text to type). */
export function typingIn(t: EventTarget | null): boolean {
  const e = t as HTMLElement | null;
  if (!e?.tagName) return false;
  if (e.tagName === 'INPUT') return !['range', 'checkbox', 'radio', 'button'].includes((e as HTMLInputElement).type);
  return e.tagName === 'SELECT' || e.tagName === 'TEXTAREA' || e.isContentEditable;
}

const wheelZoom = () => document.getElementById('wheel-zoom') as HTMLInputElement | null;

/**
 * Whether a wheel event over the stage zooms: with Ctrl/⌘ held (also what a trackpad pinch sends) or
 * with the "wheel zooms" toggle on. Otherwise the wheel scrolls the page, as everywhere else: a page
 * that traps the wheel over a 336 px box strands a user scrolling past it.
 */
export function wheelZooms(e: WheelEvent): boolean {
  return e.ctrlKey || e.metaKey || !!wheelZoom()?.checked;
}

/**
 * The ETA line of the live stats: nothing until a few progress updates have been timed (the first
 * covers a queue, model loading and compilation, which say nothing about the pace; src/util/eta.ts).
 */
export class LiveEta {
  private readonly clock = new EtaClock({ minReports: 3 });
  constructor(private readonly line: HTMLElement) {}
  /** A new run. */
  start(): void {
    this.clock.reset();
    this.line.textContent = 'time left: measuring…';
  }
  /** A progress update from the search (iteration `iter` of `iters`; iteration 0 is before it starts). */
  update(iter: number, iters: number): void {
    if (iter <= 0) return;
    const left = this.clock.update(iter, iters);
    this.line.textContent = Number.isFinite(left) ? `≈ ${fmtDuration(left)} left` : 'time left: measuring…';
  }
  /** The run is over. */
  stop(): void {
    this.line.textContent = '';
  }
}

export function installEditor(host: EditorHost): void {
  const stage = byId('stage');
  const brush = byId<HTMLInputElement>('brush');
  const compareWith = byId<HTMLSelectElement>('compare-with');

  // ---- the shortcut help
  const help = byId('help');
  const helpButton = byId<HTMLButtonElement>('help-button');
  const showHelp = (on: boolean) => {
    help.hidden = !on;
    helpButton.setAttribute('aria-expanded', String(on));
    // Focus goes into the panel (keyboard users can read it and close it) and back to the button after.
    if (on) byId('help-close').focus();
    else if (help.contains(document.activeElement)) helpButton.focus();
  };
  helpButton.addEventListener('click', () => showHelp(help.hidden));
  byId('help-close').addEventListener('click', () => showHelp(false));

  // ---- the brush outline: a circle of the brush's screen size at the pointer (the canvas's cursor
  // is a bare crosshair, which says nothing of what a click will paint).
  const outline = byId('brush-outline');
  let at: { x: number; y: number } | null = null;
  const drawOutline = () => {
    if (!at || !host.hasImage() || host.panning()) {
      outline.hidden = true;
      return;
    }
    const r = stage.getBoundingClientRect();
    const d = host.brushScreenPx();
    outline.style.width = outline.style.height = `${d}px`;
    // Relative to the stage's padding box (its border is outside it).
    outline.style.transform = `translate(${at.x - r.left - stage.clientLeft - d / 2}px, ${at.y - r.top - stage.clientTop - d / 2}px)`;
    outline.hidden = false;
  };
  stage.addEventListener('pointermove', (e) => {
    at = { x: e.clientX, y: e.clientY };
    drawOutline();
  });
  stage.addEventListener('pointerleave', () => {
    at = null;
    drawOutline();
  });
  // The slider, [ and ] (main.ts sends an input event), and zooming (the brush is in screen px, so it
  // does not change, but the check is cheap) resize it where it is.
  brush.addEventListener('input', drawOutline);
  stage.addEventListener('wheel', drawOutline);

  // ---- continue from this result: it becomes the input (the result chosen for the comparison)
  const chosen = () => {
    const r = host.result();
    const k = compareWith.value as 'blended' | 'composite' | 'raw' | 'input';
    return r ? { url: r[k], what: compareWith.selectedOptions[0]?.textContent ?? k } : null;
  };
  byId('continue').addEventListener('click', () => {
    const c = chosen();
    if (!c) return;
    host.continueFrom(c.url, c.what).then(
      () =>
        host.status(
          `continuing from the ${c.what} result: paint the next hole (Ctrl+Z goes back to the previous image)`,
        ),
      (e) => host.status(`cannot continue from the result: ${(e as Error).message}`, true),
    );
  });

  // ---- copy the result (as a PNG) to the clipboard
  byId('copy').addEventListener('click', async () => {
    const c = chosen();
    if (!c) return;
    try {
      if (!navigator.clipboard?.write || typeof ClipboardItem === 'undefined')
        throw new Error('it has no image clipboard (navigator.clipboard.write with ClipboardItem)');
      // The blob as a promise: Safari wants the write started inside the click, before any await.
      const blob = fetch(c.url).then((r) => r.blob());
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': blob })]);
      const size = host.result()?.resize.from;
      host.status(`copied the ${c.what} result${size ? ` (${size.width}×${size.height} PNG)` : ''} to the clipboard`);
    } catch (e) {
      host.status(
        `the browser refused to copy the image: ${(e as Error).message || (e as Error).name}; use Download PNG instead`,
        true,
      );
    }
  });

  // ---- hold B (or the button) for the before image: the whole comparison shows the original
  const over = byId<HTMLImageElement>('cmp-over');
  const compare = byId('compare');
  const before = (on: boolean) => {
    const r = host.result();
    if (!r || on === (compare.dataset.before === '1')) return;
    if (on) {
      compare.dataset.before = '1';
      over.src = r.input;
      over.style.clipPath = 'none';
    } else {
      delete compare.dataset.before;
      host.updateCompare();
    }
  };
  const hold = byId<HTMLButtonElement>('hold-before');
  hold.addEventListener('pointerdown', (e) => {
    hold.setPointerCapture(e.pointerId);
    before(true);
  });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture'] as const)
    hold.addEventListener(ev, () => before(false));
  // A key released in another window never sends keyup here.
  window.addEventListener('blur', () => before(false));

  // ---- keys: ? help, Esc closes it, B held = before (not while typing in a field)
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !help.hidden) {
      e.preventDefault();
      showHelp(false);
      return;
    }
    if (typingIn(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '?') {
      e.preventDefault();
      showHelp(help.hidden);
    } else if (e.key === 'b' || e.key === 'B') {
      e.preventDefault();
      before(true);
    }
  });
  document.addEventListener('keyup', (e) => {
    if (e.key === 'b' || e.key === 'B') before(false);
  });
}
