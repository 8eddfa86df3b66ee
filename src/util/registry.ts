/**
 * One shape for every registry keyed by a `kind` string (models, losses, masks, metrics, baselines,
 * eval methods). Platform-neutral.
 *
 * A registry is built once from a list of specs, is frozen, and answers an unknown kind with a
 * UserError that lists the valid ones, so every command's "unknown X 'y' (valid: …)" reads the same.
 */
import { unknownKind } from './errors.js';

export interface Registry<S extends { readonly kind: string }> {
  /** What a kind names, for messages ("mask kind", "loss"). */
  readonly what: string;
  /** The kinds in registration order (help texts list them in this order). */
  readonly kinds: readonly string[];
  /** kind → spec. */
  readonly byKind: Readonly<Record<string, S>>;
  /** The spec registered as `kind`; UserError listing the valid kinds otherwise. */
  get(kind: string): S;
  has(kind: string): boolean;
}

export function defineRegistry<S extends { readonly kind: string }>(what: string, specs: readonly S[]): Registry<S> {
  const byKind: Record<string, S> = Object.create(null);
  for (const s of specs) {
    if (byKind[s.kind]) throw new Error(`${what} '${s.kind}' is registered twice`);
    byKind[s.kind] = s;
  }
  Object.freeze(byKind);
  const kinds = Object.freeze(specs.map((s) => s.kind));
  return Object.freeze({
    what,
    kinds,
    byKind,
    get(kind: string): S {
      const s = byKind[kind];
      if (!s) unknownKind(what, kind, kinds);
      return s;
    },
    has: (kind: string) => kind in byKind,
  });
}
