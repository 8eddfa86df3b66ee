/**
 * CLI flags, their parsing and their help lines, derived from a zod object schema, so a command does
 * not restate what the schema already knows (key, type, bounds, default, description).
 *
 * Flag name = the key in kebab-case (`gWidth` → `--g-width`). Values are parsed by the field's type:
 * numbers must be plain decimals (`16`, `1e-4`; not `0x10`), booleans are switches, enums/literal
 * unions are passed to the schema as they are. The schema then validates (bounds, kinds) and its
 * message names the key.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { schemaFields, type FieldInfo } from '../util/schema_fields.js';
import { asFlag, formatZodError } from '../util/zod_error.js';
import { parseDecimal, type OptionSpec, type Values } from './command.js';

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
    // (These commands declare no repeatable flag: parseArgs gives each a string or a switch.)
    if (raw !== undefined) out[f.key] = Array.isArray(raw) ? raw : parseFlag(f, raw);
  }
  return out;
}

function valueName(f: FieldInfo): string {
  if (f.choices) return f.choices.join('|');
  return f.type === 'int' ? 'N' : f.type === 'number' ? 'X' : f.type === 'boolean' ? '' : 'VALUE';
}

const COL = 25;
const NBSP = '\u00a0';
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
    // A short default stays on one line with its '[default:' (NBSP while wrapping: no break inside).
    const def = d ? ` [default: ${d}]` : '';
    const keep = d.length <= 20 ? def.replace(/(?<=.) /g, NBSP) : def;
    return wrapHelp(`  --${f.flag}${vn ? ` ${vn}` : ''}`, `${f.description}${keep}`).map((l) =>
      l.replaceAll(NBSP, ' '),
    );
  });
}

/** A field's zod type with its wrappers (optional, default, nullable, effects) taken off. */
function innerType(t: z.ZodTypeAny): z.ZodTypeAny {
  while (
    t instanceof z.ZodOptional ||
    t instanceof z.ZodDefault ||
    t instanceof z.ZodNullable ||
    t instanceof z.ZodEffects
  )
    t = t instanceof z.ZodEffects ? t._def.schema : t._def.innerType;
  return t;
}

/** The range clause of a number flag's error: ` in [a, b]`, ` ≥ a`, ` ≤ b` or nothing. */
function rangeText(f: FieldInfo): string {
  const lo = f.min,
    hi = f.max;
  if (lo !== undefined && hi !== undefined) return ` in [${lo}, ${hi}]`;
  if (lo !== undefined) return ` ≥ ${lo}`;
  if (hi !== undefined) return ` ≤ ${hi}`;
  return '';
}

/** A command's flags read off its zod schema: the parseArgs specs, the parse and the help lines. */
export interface CommandFlags<S extends z.AnyZodObject> {
  fields: readonly FieldInfo[];
  options: OptionSpec;
  /**
   * The flags given, validated and typed (schema keys; defaults filled). A missing required flag →
   * "<command>: --flag is required"; a number that is not a plain decimal, not an integer where one
   * is needed, or out of the schema's bounds → "--flag must be an integer ≥ 1, got 'x'"; not one of
   * an enum's values → "--flag must be a or b, got 'x'"; anything
   * else the schema refuses → its message naming the flag. Each one UserError line.
   */
  parse(v: Values): z.output<S>;
  /** Help lines for the fields (`keys`: these only, in this order), as `helpLines`. */
  help(o?: { keys?: readonly string[]; values?: Record<string, string>; defaults?: Record<string, string> }): string;
}

/**
 * The flags of a command without a library config of its own (serve, worker, inpaint, batch, classifier,
 * calibrate, mask) from a zod object schema: flag = key in kebab-case, help = `.describe()` and the
 * default, array fields are repeatable flags (`--model A --model B`).
 */
export function commandFlags<S extends z.AnyZodObject>(command: string, schema: S): CommandFlags<S> {
  const shape = schema.shape as Record<string, z.ZodTypeAny>;
  const fields = schemaFields(schema);
  const multiple = new Set(
    fields.filter((f) => innerType(shape[f.key] as z.ZodTypeAny) instanceof z.ZodArray).map((f) => f.key),
  );
  const options: OptionSpec = Object.fromEntries(
    fields.map((f) => [
      f.flag,
      f.type === 'boolean'
        ? { type: 'boolean' as const }
        : multiple.has(f.key)
          ? { type: 'string' as const, multiple: true as const }
          : { type: 'string' as const },
    ]),
  );
  return {
    fields,
    options,
    parse(v) {
      const input: Record<string, unknown> = {};
      for (const f of fields) {
        const raw = v[f.flag];
        if (raw === undefined) {
          if (!(shape[f.key] as z.ZodTypeAny).isOptional()) throw new UserError(`${command}: --${f.flag} is required`);
          continue;
        }
        if ((f.type === 'int' || f.type === 'number') && typeof raw === 'string') {
          const n = parseDecimal(raw);
          if (
            !Number.isFinite(n) ||
            (f.type === 'int' && !Number.isInteger(n)) ||
            (f.min !== undefined && n < f.min) ||
            (f.max !== undefined && n > f.max)
          )
            throw new UserError(
              `--${f.flag} must be ${f.type === 'int' ? 'an integer' : 'a decimal number'}${rangeText(f)}, got '${raw}'`,
            );
          input[f.key] = n;
        } else input[f.key] = raw;
        if (f.choices && !f.choices.includes(input[f.key] as string | number))
          throw new UserError(`--${f.flag} must be ${f.choices.join(' or ')}, got '${raw}'`);
      }
      const r = schema.safeParse(input);
      if (!r.success) throw new UserError(formatZodError(r.error, { name: asFlag, input }));
      return r.data as z.output<S>;
    },
    help(o = {}) {
      const shown = o.keys ? o.keys.map((k) => fields.find((f) => f.key === k) ?? missingKey(k)) : fields;
      return helpLines(shown, o).join('\n');
    },
  };
}

function missingKey(k: string): never {
  throw new Error(`the schema has no key '${k}'`);
}
