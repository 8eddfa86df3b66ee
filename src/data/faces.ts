/**
 * The built-in `faces` dataset's rules, platform-neutral: which face index is in which split, the seed
 * each face is drawn from, and the attribute labels read off the descriptor that facesjs draws.
 * faces_node.ts renders them (facesjs SVG → sharp). Nothing here imports facesjs: a descriptor is
 * plain data, typed below with just the fields the labels read.
 *
 * Why seeds per face: facesjs draws with Math.random; each face gets its own mulberry32 stream seeded
 * by (FACES_SEED, index), so face i is the same whatever subset is built (a `limit`, one test image)
 * and in any order, and the split is a range of indices — disjoint by construction.
 */
import { Rng } from '../util/rng.js';

/** Faces in each split: indices [0, TRAIN) are train, [TRAIN, TRAIN + TEST) are test. */
export const FACES_COUNTS = { train: 30000, test: 4000 } as const;
/** The dataset's fixed seed (changing it changes every face: bump FACES_RULES_VERSION too). */
export const FACES_SEED = 20261207;
/** Bump when a rule here or the rendering in faces_node.ts changes, so old caches are not reused. */
export const FACES_RULES_VERSION = 1;
/**
 * The square of facesjs's 400×600 view box that is kept, in view-box units: x 0–400, y 70–470. It holds
 * the head from the top of the hair to the chin (the jersey below is cut), like CelebA's aligned crops.
 */
export const FACES_CROP = { x: 0, y: 70, side: 400 } as const;
/** facesjs's view box. */
export const FACES_VIEWBOX = { width: 400, height: 600 } as const;

/** Global index of the k-th face of a split. */
export function faceIndex(split: 'train' | 'test', k: number): number {
  return split === 'train' ? k : FACES_COUNTS.train + k;
}

/** The random stream face `index` is drawn from (gender choice, then everything facesjs draws). */
export function faceRng(index: number): Rng {
  return new Rng((FACES_SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

/** The fields of a facesjs 5 descriptor that the labels read. */
export interface FaceDescriptor {
  body: { color: string };
  eye: { id: string };
  mouth: { id: string };
  glasses: { id: string };
  facialHair: { id: string };
  accessories: { id: string };
}

/**
 * The attributes labelled, chosen for what holes hide and a classifier can see at 64 px:
 * - `glasses`, `facialHair`: both sit in the center of the crop (eyes, mouth) and are the paper's
 *   point — a center hole's fill should bring them back, which no diffusion fill can. facesjs 5 draws
 *   glasses (and a sports face mask) for 10 % of faces, facial hair (beards, moustaches, sideburns)
 *   for half of the male ones;
 * - `eyes`: facesjs's male and female eye sets are drawn differently (round vs. lashed), a shape cue
 *   entirely inside a center hole; facesjs picks the set by gender, so it is also the gender label;
 * - `skin`: three bins of the skin colour's luma, visible around any hole — a check that the fill
 *   keeps the face's colour;
 * - `headwear`: hats and headbands (facesjs's `accessories` but its under-eye paint), at the top —
 *   hidden by `top` halves, not by center holes.
 */
export const FACE_ATTRIBUTES = [
  { name: 'glasses', classes: ['none', 'glasses or mask'] },
  { name: 'facialHair', classes: ['none', 'facial hair'] },
  { name: 'eyes', classes: ['male set', 'female set'] },
  { name: 'skin', classes: ['light', 'medium', 'dark'] },
  { name: 'headwear', classes: ['none', 'hat or band'] },
] as const;

/** Rec. 601 luma of a `#rrggbb` colour, 0..255. */
function luma(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`faces: not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [m[1]!, m[2]!, m[3]!].map((h) => parseInt(h, 16)) as [number, number, number];
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/**
 * Skin bins by luma. facesjs 5's eleven skin colours have lumas 67–227; the cuts fall in its gaps
 * (light ≥ 185: five tones, 192–227; medium: 127–148; dark < 125: 67–120).
 */
export function skinBin(hex: string): 0 | 1 | 2 {
  const y = luma(hex);
  return y >= 185 ? 0 : y >= 125 ? 1 : 2;
}

/** The attribute values of one face, in FACE_ATTRIBUTES order. */
export function faceAttributes(f: FaceDescriptor): number[] {
  return [
    f.glasses.id === 'none' ? 0 : 1,
    f.facialHair.id === 'none' ? 0 : 1,
    f.eye.id.startsWith('female') ? 1 : 0,
    skinBin(f.body.color),
    f.accessories.id === 'none' || f.accessories.id === 'eye-black' ? 0 : 1,
  ];
}

/**
 * The single class label the `classifier` command and eval's semantic accuracy use: the combination
 * of the two center attributes (a center hole hides both).
 */
export const FACE_CLASSES = ['plain', 'glasses', 'facial hair', 'glasses and facial hair'];

export function faceClass(f: FaceDescriptor): number {
  const [g, h] = faceAttributes(f) as [number, number];
  return g + 2 * h;
}
