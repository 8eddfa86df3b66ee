/**
 * The checkpoint manifest (`manifest.json` in every checkpoint and shipped model): its one schema,
 * its format version, and the one reader everything uses (the training loop, checkpoint loading, the
 * server, the packaging tool). A manifest written by an older format is brought up to date by the
 * MIGRATIONS hook before it is validated, so readers see only the current shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { resolveConfig, type TrainConfig } from '../config/config.js';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod_error.js';
import { RUN_STATE_FIELDS } from './run_fields.js';
import { writeFileAtomic } from '../io/atomic.js';
import { CHECKPOINT_FORMAT } from '../version.js';
import { DomainStatsSchema, type DomainStats } from '../inpaint/domain_types.js';
import type { DatasetSource } from '../data/dataset.js';

export const MANIFEST_FILE = 'manifest.json';

export const ManifestSchema = z
  .object({
    format: z.number().int(),
    /** Library version that wrote it. */
    library: z.string(),
    tfjs: z.string(),
    createdAt: z.string(),
    /** Generator iterations completed. */
    step: z.number().int().min(0),
    seed: z.number().int(),
    /** The run's config (validated again by resolveConfig on read, which fills keys added since). */
    config: z.record(z.unknown()),
    dataset: z
      .object({
        name: z.string(),
        split: z.string(),
        n: z.number(),
        size: z.number(),
        channels: z.number(),
        /** Where the training images came from and their licences (built-in emoji sets; absent in older manifests). */
        sources: z
          .array(
            z.object({
              name: z.string(),
              packages: z.array(z.string()),
              version: z.string(),
              licence: z.string(),
              attribution: z.string(),
              count: z.number().int().min(0),
            }),
          )
          .optional(),
      })
      .optional(),
    ...RUN_STATE_FIELDS,
    /** `train --crop`: the crop stream's Rng state. */
    cropRngState: z.number().optional(),
    /** How well held-out images are reproduced (`wgan-inpaint calibrate`), for out-of-domain notices. */
    domain: DomainStatsSchema.optional(),
  })
  .passthrough();

/** What a manifest records about the training data. */
export interface ManifestDataset {
  name: string;
  split: string;
  n: number;
  size: number;
  channels: number;
  sources?: DatasetSource[];
}

/** The manifest's record of a dataset (its provenance and licences included when it has them). */
export function manifestDataset(ds: {
  name: string;
  split: string;
  n: number;
  size: number;
  channels: number;
  sources?: DatasetSource[];
}): ManifestDataset {
  return {
    name: ds.name,
    split: ds.split,
    n: ds.n,
    size: ds.size,
    channels: ds.channels,
    ...(ds.sources ? { sources: ds.sources.map((s) => ({ ...s, packages: [...s.packages] })) } : {}),
  };
}

/** A validated manifest (ManifestSchema's fields, with the config resolved). */
export interface Manifest {
  format: number;
  library: string;
  tfjs: string;
  createdAt: string;
  step: number;
  seed: number;
  config: TrainConfig;
  dataset?: ManifestDataset;
  sampler?: unknown;
  rngState?: number;
  cropRngState?: number;
  /** The last stat line (numbers, and the collapse/explosion flags). */
  metrics?: Record<string, number | boolean>;
  backend?: string;
  trainSeconds?: number;
  command?: string;
  resumes?: string[];
  extra?: Record<string, unknown>;
  domain?: DomainStats;
  files?: Record<string, string>;
}

/**
 * Migrations from each older format to the next (`MIGRATIONS[n]` turns format n into n + 1). Format 1
 * is the first; add an entry here, and bump CHECKPOINT_FORMAT, when the layout changes.
 */
export const MIGRATIONS: Record<number, (m: Record<string, unknown>) => Record<string, unknown>> = {};

/** Validate a parsed manifest (migrating older formats); `where` names it in errors. */
export function parseManifest(raw: unknown, where: string): Manifest {
  if (typeof raw !== 'object' || raw === null) throw new UserError(`'${where}' is not a manifest (not a JSON object)`);
  let m = raw as Record<string, unknown>;
  let format = m.format;
  if (typeof format !== 'number') throw new UserError(`'${where}' has no format number`);
  if (format > CHECKPOINT_FORMAT)
    throw new UserError(
      `'${where}' has format ${format}; this version (format ${CHECKPOINT_FORMAT}) is older than the one that wrote it`,
    );
  while (format < CHECKPOINT_FORMAT) {
    const up = MIGRATIONS[format];
    if (!up)
      throw new UserError(
        `'${where}' has format ${format}; this version reads format ${CHECKPOINT_FORMAT} and has no migration from it`,
      );
    m = { ...up(m), format: format + 1 };
    format += 1;
  }
  const r = ManifestSchema.safeParse(m);
  if (!r.success) {
    throw new UserError(`'${where}' is not a valid manifest: ${formatZodError(r.error)}`);
  }
  let config: TrainConfig;
  try {
    config = resolveConfig(r.data.config);
  } catch (e) {
    throw new UserError(`'${where}': ${(e as Error).message}`);
  }
  return { ...(r.data as unknown as Manifest), config };
}

/**
 * Read and validate `DIR/manifest.json`; throws an Error whose message names manifest.json and what
 * is wrong (missing, unreadable, not JSON, not a valid manifest), without the folder.
 */
export function checkedManifest(dir: string): Manifest {
  return parseManifest(readManifestJson(dir), MANIFEST_FILE);
}

/**
 * `DIR/manifest.json` parsed as JSON, not validated (the one reader of manifest files; the encoder's
 * manifest, src/encoder/manifest.ts, is read through it too). Throws an Error naming manifest.json and
 * what is wrong (missing, unreadable, not JSON), without the folder.
 */
export function readManifestJson(dir: string): unknown {
  return readJsonFile(path.join(dir, MANIFEST_FILE), MANIFEST_FILE);
}

/**
 * The one reader of a checkpoint's JSON files (manifest.json, model.json, optimizer specs): parsed,
 * not validated. Throws an Error naming the file by `rel` and what is wrong (missing, unreadable, not JSON).
 */
export function readJsonFile(file: string, rel: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `${rel} is missing` : `${rel} cannot be read (${code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${rel} is not valid JSON (${(e as Error).message})`);
  }
}

/** Read and validate `DIR/manifest.json`; one UserError line naming the folder and the problem. */
export function readManifest(dir: string): Manifest {
  try {
    return checkedManifest(dir);
  } catch (e) {
    throw new UserError(`checkpoint '${dir}': ${(e as Error).message}`);
  }
}

/**
 * Change a checkpoint's manifest in place: `edit` gets the file's JSON object and returns the new one,
 * which is validated before it replaces the old file atomically (a bad edit leaves the file as it was).
 */
export function updateManifest(dir: string, edit: (raw: Record<string, unknown>) => Record<string, unknown>): Manifest {
  checkedManifest(dir);
  const file = path.join(dir, MANIFEST_FILE);
  const next = edit(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
  const m = parseManifest(next, file);
  writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
  return m;
}
