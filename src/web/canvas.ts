/** The 2D context of a canvas; a browser without one (never, for the browsers the page supports) is an error, not a null to carry. */
export function context2d(c: HTMLCanvasElement, opts?: CanvasRenderingContext2DSettings): CanvasRenderingContext2D {
  const ctx = c.getContext('2d', opts);
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  return ctx;
}
