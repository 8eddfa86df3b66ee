/**
 * What a front end needs to know about each field of a zod object schema — key, type, bounds,
 * default, description — read off the schema itself, so CLI flags and help (src/cli/schema_flags.ts),
 * the search options' fields (src/inpaint/options.ts) and forms cannot drift from what the schema
 * validates. Platform-neutral.
 */
import { z } from 'zod';
import { kebab } from './zod_error.js';
import { definedKeys } from './defined.js';

export { kebab } from './zod_error.js';

export type FieldType = 'int' | 'number' | 'string' | 'boolean' | 'enum';

export interface FieldInfo<K extends string = string> {
  key: K;
  flag: string;
  type: FieldType;
  /** Allowed values of an enum / literal union. */
  choices?: readonly (string | number)[];
  min?: number;
  max?: number;
  /** The schema's default; `null` = "derived" (e.g. from the loss preset). */
  default?: unknown;
  description: string;
}

/** What a zod field is, with its wrappers (default, nullable, optional) taken off. */
export function fieldInfo<K extends string>(key: K, field: z.ZodTypeAny): FieldInfo<K> {
  let t: z.ZodTypeAny = field;
  let description = t.description ?? '';
  let def: unknown;
  for (;;) {
    if (t instanceof z.ZodDefault) def = t._def.defaultValue();
    else if (!(t instanceof z.ZodNullable || t instanceof z.ZodOptional || t instanceof z.ZodEffects)) break;
    t = t instanceof z.ZodEffects ? t._def.schema : t._def.innerType;
    description ||= t.description ?? '';
  }
  const info: FieldInfo<K> = {
    key,
    flag: kebab(key),
    type: 'string',
    description,
    ...definedKeys({ default: def }),
  };
  if (t instanceof z.ZodNumber) {
    info.type = t.isInt ? 'int' : 'number';
    if (t.minValue !== null && Number.isFinite(t.minValue)) info.min = t.minValue;
    if (t.maxValue !== null && Number.isFinite(t.maxValue) && t.maxValue < Number.MAX_SAFE_INTEGER)
      info.max = t.maxValue;
  } else if (t instanceof z.ZodBoolean) info.type = 'boolean';
  else if (t instanceof z.ZodEnum) Object.assign(info, { type: 'enum', choices: t.options as string[] });
  else if (t instanceof z.ZodUnion && (t.options as z.ZodTypeAny[]).every((o) => o instanceof z.ZodLiteral)) {
    const choices = (t.options as z.ZodLiteral<string | number>[]).map((o) => o.value);
    Object.assign(info, { type: choices.every((c) => typeof c === 'number') ? 'int' : 'enum', choices });
  }
  return info;
}

export function schemaFields<K extends string = string>(schema: z.AnyZodObject, keys?: readonly K[]): FieldInfo<K>[] {
  const shape = schema.shape as Record<string, z.ZodTypeAny>;
  return (keys ?? (Object.keys(shape) as K[])).map((k) => {
    const f = shape[k];
    if (!f) throw new Error(`schema has no key '${k}'`);
    return fieldInfo(k, f);
  });
}
