/**
 * Optional keys without the conditional spread.
 *
 * The tsconfig has `exactOptionalPropertyTypes`: a property `k?: T` may be absent but may not hold
 * `undefined`, so passing an optional value on used to read `...(x !== undefined ? { k: x } : {})`.
 * `definedKeys({ k: x })` says the same: it returns the object without its `undefined`-valued keys, typed
 * so that each key whose value may be `undefined` becomes optional (and never `undefined`).
 *
 * Only `undefined` is dropped: `0`, `''`, `false` and `null` stay. Where a spread tests truthiness
 * (`x ? { k: x } : {}`) it is the same only when `x` cannot be `0`, `''` or `false` (an object, a
 * function, an array).
 */
export type DefinedKeys<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** `o` without the keys whose value is `undefined`, in `o`'s key order (a new object; `o` is not changed). */
export function definedKeys<T extends object>(o: T): DefinedKeys<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as DefinedKeys<T>;
}
