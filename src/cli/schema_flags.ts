/**
 * CLI flags, their parsing and their help lines, derived from a zod object schema, so a command does
 * not restate what the schema already knows (key, type, bounds, default, description).
 *
 * Flag name = the key in kebab-case (`gWidth` → `--g-width`). Values are parsed by the field's type:
 * numbers must be plain decimals (`16`, `1e-4`; not `0x10`), booleans are switches, enums/literal
 * unions are passed to the schema as they are. The schema then validates (bounds, kinds) and its
 * message names the key.
 */
import { UserError } from '../util/errors.js';
import type { FieldInfo } from '../util/schema_fields.js';
import type { OptionSpec, Values } from './command.js';

export { kebab } from '../util/zod_error.js';
export { fieldInfo, schemaFields, type FieldInfo, type FieldType } from '../util/schema_fields.js';

/** parseArgs option specs for the fields. */
export function flagOptions(fields: readonly FieldInfo[]): OptionSpec {
  return Object.fromEntries(
    fields.map((f) => [f.flag, { type: f.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
  );
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse one flag's text by the field's type; a malformed number is a UserError naming the flag. */
export function parseFlag(f: FieldInfo, raw: string | boolean): unknown {
  if (f.type === 'boolean' || typeof raw === 'boolean') return raw;
  if (f.type === 'int' || f.type === 'number' || (f.choices && typeof f.choices[0] === 'number')) {
    const n = Number(raw);
    if (!DECIMAL.test(raw.trim()) || !Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n))) {
      throw new UserError(`--${f.flag} must be ${f.type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
    }
    return n;
  }
  return raw;
}

/** The config input given on the command line: key → parsed value, for the flags present. */
export function valuesFromFlags(fields: readonly FieldInfo[], v: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = v[f.flag];
    if (raw !== undefined) out[f.key] = parseFlag(f, raw);
  }
  return out;
}

function valueName(f: FieldInfo): string {
  if (f.choices) return f.choices.join('|');
  return f.type === 'int' ? 'N' : f.type === 'number' ? 'X' : f.type === 'boolean' ? '' : 'VALUE';
}

const COL = 25;
const WIDTH = 100;

/** `head` then `text` word-wrapped at WIDTH columns, continuation lines indented to COL. */
export function wrapHelp(head: string, text: string): string[] {
  const lines: string[] = [];
  if (head.length >= COL - 1) lines.push(head);
  let cur = head.length >= COL - 1 ? ''.padEnd(COL) : head.padEnd(COL);
  for (const w of text.split(' ')) {
    if (cur.length > COL && cur.length + w.length + 1 > WIDTH) {
      lines.push(cur.trimEnd());
      cur = ''.padEnd(COL);
    }
    cur += (cur.length > COL ? ' ' : '') + w;
  }
  lines.push(cur.trimEnd());
  return lines;
}

/** Help lines for fields: `  --flag VALUE   description [default: …]`. */
export function helpLines(
  fields: readonly FieldInfo[],
  o: { values?: Record<string, string>; defaults?: Record<string, string> } = {},
): string[] {
  return fields.flatMap((f) => {
    const vn = o.values?.[f.key] ?? valueName(f);
    const d =
      o.defaults?.[f.key] ??
      (f.default === undefined || f.default === false || f.default === ''
        ? ''
        : f.default === null
          ? 'from the loss'
          : JSON.stringify(f.default).replace(/^"(.*)"$/, '$1'));
    return wrapHelp(`  --${f.flag}${vn ? ` ${vn}` : ''}`, `${f.description}${d ? ` [default: ${d}]` : ''}`);
  });
}
