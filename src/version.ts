/** Library version, recorded in every checkpoint manifest. Keep in step with package.json. */
export const VERSION = '0.1.0';
/** Checkpoint folder format version; bump when the layout changes incompatibly. */
export const CHECKPOINT_FORMAT = 1;
