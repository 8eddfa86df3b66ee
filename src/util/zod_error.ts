/**
 * One wording for zod validation failures everywhere (config files, CLI flags, search options,
 * manifests, API bodies), one clause per issue joined by `; `:
 *
 *   --restarts must be ≤ 64, got 1000000000      (a bound: the schema's "must …" message, the value)
 *   blend must be poisson or none, got "soft"    (an enum)
 *   step: Number must be greater than or equal to 0   (zod's own message, after a colon)
 *   --kind is required · unknown option(s) 'bogus'
 *
 * `name` is how the caller's user knows a field (a config key, a `--flag`, a JSON path); with `input`
 * given, the offending value is quoted.
 */
import type { z } from 'zod';

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export type FieldName = (path: (string | number)[]) => string;

/** Name fields as CLI flags: `gWidth` → `--g-width`. */
export const asFlag: FieldName = (p) => (p.length ? `--${kebab(String(p[0]))}` : '(options)');
/** Name fields by their path: `a.b`. */
export const asPath: FieldName = (p) => p.join('.') || '(root)';

export interface ZodErrorWording {
  /** How the user knows a field [asPath]. */
  name?: FieldName;
  /** The input that was validated: out-of-range and wrong values are quoted (`, got 5`). */
  input?: unknown;
  /** What an unknown key is called ['option']. */
  unknown?: 'option' | 'key';
  /** The clause for a missing required field [`<name> is required`]. */
  missing?: (path: (string | number)[]) => string;
}

/** Codes whose value is worth quoting back. */
const QUOTED = new Set([
  'too_big',
  'too_small',
  'custom',
  'not_multiple_of',
  'invalid_enum_value',
  'invalid_literal',
  'invalid_type',
]);

function valueAt(input: unknown, p: (string | number)[]): unknown {
  return p.reduce<unknown>(
    (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
    input,
  );
}

export function formatZodError(e: z.ZodError, wording: ZodErrorWording | FieldName = {}): string {
  const w = typeof wording === 'function' ? { name: wording } : wording;
  const name = w.name ?? asPath;
  return e.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') {
        const where = i.path.length ? `${name(i.path)}: ` : '';
        return `${where}unknown ${w.unknown ?? 'option'}(s) ${i.keys.map((k) => `'${name([...i.path, k])}'`).join(', ')}`;
      }
      if (i.code === 'invalid_type' && i.received === 'undefined')
        return w.missing?.(i.path) ?? `${name(i.path)} is required`;
      const given = 'input' in w ? valueAt(w.input, i.path) : undefined;
      const got =
        QUOTED.has(i.code) && (typeof given === 'number' || typeof given === 'string')
          ? `, got ${JSON.stringify(given)}`
          : '';
      const msg = i.code === 'invalid_enum_value' ? `must be ${i.options.join(' or ')}` : i.message;
      return `${name(i.path)}${msg.startsWith('must ') ? ' ' : ': '}${msg}${got}`;
    })
    .join('; ');
}
