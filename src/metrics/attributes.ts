/**
 * Accuracy per attribute when a dataset's class ids decompose into attributes (`ClassAttribute` in types.ts, listed per
 * dataset in data/registry.ts; e.g. faces: class = glasses + 2 × facial hair). A completion "keeps" an attribute
 * when the classifier's predicted class has the same value of it as the image's true class — so a
 * center fill that brings the glasses back but loses the beard counts for one and against the other.
 */
import type { ClassAttribute } from '../types.js';

/** Fraction of images whose predicted class agrees with the label on each attribute, by attribute name. */
export function attributeAccuracy(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  attributes: readonly ClassAttribute[],
): Record<string, number> {
  if (predicted.length !== labels.length)
    throw new Error(`attributeAccuracy: ${predicted.length} predictions for ${labels.length} labels`);
  const out: Record<string, number> = {};
  for (const a of attributes) {
    let ok = 0;
    for (let i = 0; i < labels.length; i++) {
      const p = a.ofClass[predicted[i]!],
        t = a.ofClass[labels[i]!];
      if (p === undefined || t === undefined)
        throw new Error(`attributeAccuracy: class ${predicted[i]} or ${labels[i]} has no '${a.name}' value`);
      if (p === t) ok++;
    }
    out[a.name] = labels.length ? ok / labels.length : NaN;
  }
  return out;
}
