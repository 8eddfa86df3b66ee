/** Flags that `inpaint` and `batch` share, as zod fields (flag, help line and parsing come from commandFlags). */
import { z } from 'zod';
import { DEFAULT_MAX_BYTES } from '../io/image.js';

/** `--max-bytes N`: the file size limit checked before an image or mask file is read. */
export const maxBytesField = z
  .number()
  .int()
  .min(1)
  .default(DEFAULT_MAX_BYTES)
  .describe(
    'refuse image and mask files of more bytes than N, and anything but a regular file (a FIFO, /dev/zero), checked before reading',
  );
