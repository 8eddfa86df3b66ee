/**
 * One shape for every registry keyed by a `kind` string (models, losses, masks, metrics, baselines,
 * eval methods). Platform-neutral.
 *
 * A registry is built once from a list of specs, is frozen, and answers an unknown kind with a
 * UserError that lists the valid ones, so every command's "unknown X 'y' (valid: …)" reads the same.
 *
 * Kinds are literal unions: written `defineRegistry('loss', [...] as const satisfies readonly Spec[])`
 * (`satisfies` types the callbacks, `as const` keeps each `kind` literal), `KindOf<typeof LOSSES>` is
 * `'wgan' | 'wgan-gp' | 'gan'`, so a list of kinds in the code (the encoder's validation masks, a
 * preset's loss) is checked by the compiler; user input stays a string, checked by `get`/`has`.
 */
import { unknownKind } from './errors.js';

export interface Registry<S extends { readonly kind: string }> {
  /** What a kind names, for messages ("mask kind", "loss"). */
  readonly what: string;
  /** The kinds in registration order (help texts list them in this order). */
  readonly kinds: readonly S['kind'][];
  /** kind → spec. */
  readonly byKind: Readonly<Record<S['kind'], S>>;
  /** The spec registered as `kind`; UserError listing the valid kinds otherwise. */
  get(kind: string): S;
  has(kind: string): kind is S['kind'];
}

/** The literal union of a registry's kinds. */
export type KindOf<R extends Registry<{ readonly kind: string }>> = R['kinds'][number];

export function defineRegistry<const S extends { readonly kind: string }>(
  what: string,
  specs: readonly S[],
): Registry<S> {
  // Indexed by any string inside (a user's kind); typed by the literal kinds outside.
  const table: Record<string, S | undefined> = Object.create(null);
  for (const s of specs) {
    if (table[s.kind]) throw new Error(`${what} '${s.kind}' is registered twice`);
    table[s.kind] = s;
  }
  const byKind = table as Record<S['kind'], S>;
  Object.freeze(byKind);
  const kinds = Object.freeze(specs.map((s) => s.kind));
  return Object.freeze({
    what,
    kinds,
    byKind,
    get(kind: string): S {
      const s = table[kind];
      if (!s) unknownKind(what, kind, kinds);
      return s;
    },
    has: (kind: string): kind is S['kind'] => kind in byKind,
  });
}
