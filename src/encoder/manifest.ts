/**
 * An encoder folder's manifest and the generator it belongs to. Platform-neutral (the browser checks
 * the digest too): the file reading is in checkpoint.ts.
 *
 * An encoder only makes sense with the generator it was trained for, so its manifest names that
 * generator by a content digest of G's weights — SHA-256 over every weight (trainable and batch-norm
 * statistics, in G.weights order) as its shape and little-endian float32 values — not by a path or
 * a step number, which copies and re-packaging change. Loading with any other generator is refused.
 */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod_error.js';
import { RUN_STATE_FIELDS } from '../train/run_fields.js';

export const ENCODER_FORMAT = 1;
export const ENCODER_KIND = 'inpainting-encoder';

const Fields = z.object({
  format: z.number().int(),
  kind: z.literal(ENCODER_KIND),
  library: z.string(),
  tfjs: z.string(),
  createdAt: z.string(),
  /** Training steps completed. */
  step: z.number().int().min(0),
  /** The generator this encoder serves. */
  generator: z.object({
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    size: z.number().int(),
    channels: z.number().int(),
    nz: z.number().int(),
    /** Informational: what --model named, and its checkpoint step. */
    model: z.string().optional(),
    step: z.number().int().optional(),
  }),
  /** The resolved training config (EncoderConfig). */
  config: z.record(z.unknown()),
  dataset: z
    .object({ name: z.string(), split: z.string(), n: z.number(), size: z.number(), channels: z.number() })
    .optional(),
  ...RUN_STATE_FIELDS,
});

/** Unknown keys are kept (a newer writer may add some). */
export const EncoderManifestSchema = Fields.passthrough();

export type EncoderManifest = z.infer<typeof Fields>;

/** Validate a parsed encoder manifest; `where` names it in errors. */
export function parseEncoderManifest(raw: unknown, where: string): EncoderManifest {
  if (typeof raw !== 'object' || raw === null)
    throw new UserError(`'${where}' is not an encoder manifest (not a JSON object)`);
  const kind = (raw as Record<string, unknown>).kind;
  if (kind !== ENCODER_KIND)
    throw new UserError(
      `'${where}' is not an encoder manifest (kind ${JSON.stringify(kind ?? null)}, expected "${ENCODER_KIND}")`,
    );
  const format = (raw as Record<string, unknown>).format;
  if (typeof format === 'number' && format > ENCODER_FORMAT)
    throw new UserError(`'${where}' has encoder format ${format}; this version reads format ${ENCODER_FORMAT}`);
  const r = EncoderManifestSchema.safeParse(raw);
  if (!r.success) throw new UserError(`'${where}' is not a valid encoder manifest: ${formatZodError(r.error)}`);
  return r.data;
}

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `sha256:<hex>` of G's weights (shapes and float32 values, in G.weights order). */
export async function generatorDigest(G: tf.LayersModel): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const w of G.weights) {
    const v = w.read();
    // The shape first, so two layouts of the same numbers differ.
    parts.push(new Uint8Array(Int32Array.from([v.shape.length, ...v.shape]).buffer));
    const data = (await v.data()) as Float32Array;
    parts.push(new Uint8Array(Float32Array.from(data).buffer));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return `sha256:${hex(await crypto.subtle.digest('SHA-256', all))}`;
}

/** A short form of a digest for messages. */
export function shortDigest(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * Refuse an encoder trained for another generator (or for another image shape) with one clear line.
 * `where` names the encoder folder, `modelName` the model it was going to be used with.
 */
export async function checkEncoderFor(
  m: EncoderManifest,
  G: tf.LayersModel,
  where: string,
  modelName: string,
): Promise<void> {
  const [, h, , c] = G.outputs[0]!.shape as number[];
  const nz = G.inputs[0]!.shape[1] as number;
  const g = m.generator;
  if (g.size !== h || g.channels !== c || g.nz !== nz) {
    throw new UserError(
      `encoder '${where}' is for a ${g.size}×${g.size}×${g.channels} generator with nz ${g.nz}; model '${modelName}' makes ${h}×${h}×${c} with nz ${nz}`,
    );
  }
  const d = await generatorDigest(G);
  if (d !== g.digest) {
    throw new UserError(
      `encoder '${where}' was trained for another generator (digest ${shortDigest(g.digest)}…${g.model ? `, ${g.model}` : ''}) than model '${modelName}' (digest ${shortDigest(d)}…); train one for it with \`wgan-inpaint train-encoder --model ${modelName} --out DIR\``,
    );
  }
}
