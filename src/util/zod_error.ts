/**
 * One wording for zod validation failures everywhere (config files, CLI flags, manifests, API
 * bodies): `<name>: <message>` per issue, joined by `; `, where `name` is how the caller's user knows
 * the field (a config key, a `--flag`, a JSON path).
 */
import type { z } from 'zod';

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Name fields as CLI flags: `gWidth` → `--g-width`. */
export const asFlag = (p: (string | number)[]): string => (p.length ? `--${kebab(String(p[0]))}` : '(options)');
/** Name fields by their path: `a.b`. */
export const asPath = (p: (string | number)[]): string => p.join('.') || '(root)';

export function formatZodError(e: z.ZodError, name: (path: (string | number)[]) => string = asPath): string {
  return e.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown option(s) ${i.keys.map((k) => `'${name([k])}'`).join(', ')}`;
      if (i.code === 'invalid_type' && i.received === 'undefined') return `${name(i.path)} is required`;
      return `${name(i.path)}: ${i.message}`;
    })
    .join('; ');
}
