/**
 * Minimal SVG line plots (no dependencies, platform-neutral string output) for training curves:
 * stacked panels sharing the x axis, each with its own y range and legend.
 */
export interface Series {
  name: string;
  xs: number[];
  ys: number[];
  color: string;
}
export interface Panel {
  title: string;
  series: Series[];
}

function niceRange(lo: number, hi: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toPrecision(3);

/** Render panels stacked vertically; x is shared (e.g. generator iteration). */
export function svgPlot(panels: Panel[], opts: { width?: number; panelHeight?: number; xlabel?: string } = {}): string {
  const W = opts.width ?? 720,
    PH = opts.panelHeight ?? 220;
  const ml = 64,
    mr = 16,
    mt = 28,
    mb = 34;
  const H = panels.length * PH;
  const all = panels.flatMap((p) => p.series.flatMap((s) => s.xs));
  const [x0, x1] = all.length ? [Math.min(...all), Math.max(...all, Math.min(...all) + 1)] : [0, 1];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  panels.forEach((p, k) => {
    const top = k * PH + mt,
      bot = (k + 1) * PH - mb,
      left = ml,
      right = W - mr;
    const ys = p.series.flatMap((s) => s.ys.filter(Number.isFinite));
    const [y0, y1] = niceRange(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1);
    const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
    const sy = (y: number) => bot - ((y - y0) / (y1 - y0)) * (bot - top);
    out.push(`<text x="${left}" y="${top - 10}" font-size="13" font-weight="bold">${p.title}</text>`);
    out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bot - top}" fill="none" stroke="#999"/>`);
    for (let t = 0; t <= 4; t++) {
      const yv = y0 + ((y1 - y0) * t) / 4,
        yy = sy(yv);
      out.push(
        `<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" stroke="#eee"/><text x="${left - 4}" y="${yy + 4}" text-anchor="end">${fmt(yv)}</text>`,
      );
      const xv = x0 + ((x1 - x0) * t) / 4;
      out.push(`<text x="${sx(xv)}" y="${bot + 14}" text-anchor="middle">${Math.round(xv)}</text>`);
    }
    if (y0 < 0 && y1 > 0)
      out.push(`<line x1="${left}" x2="${right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    p.series.forEach((s, i) => {
      const pts: string[] = [];
      s.xs.forEach((x, j) => {
        const y = s.ys[j]!;
        if (Number.isFinite(y)) pts.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      });
      if (pts.length)
        out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.3" points="${pts.join(' ')}"/>`);
      out.push(
        `<rect x="${right - 150}" y="${top + 6 + i * 15}" width="10" height="3" fill="${s.color}"/><text x="${right - 136}" y="${top + 11 + i * 15}">${s.name}</text>`,
      );
    });
    if (opts.xlabel && k === panels.length - 1)
      out.push(`<text x="${(left + right) / 2}" y="${H - 4}" text-anchor="middle">${opts.xlabel}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Exponential moving average, for readable curves of noisy per-iteration losses. */
export function smooth(ys: number[], beta = 0.9): number[] {
  let m = NaN;
  return ys.map((y) => (m = Number.isFinite(m) ? beta * m + (1 - beta) * y : y));
}
