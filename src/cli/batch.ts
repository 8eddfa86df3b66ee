/** `wgan-inpaint batch`: inpaint a folder in chunks, in-process or on queue workers (src/queue/batch.ts). */
import { z } from 'zod';
import type { Command, Values } from './command.js';
import { commandFlags } from './schema_flags.js';
import { INPAINT_OPTION_FLAGS, INPAINT_OPTION_HELP, inpaintOptionsGiven } from './inpaint_options.js';
import { ProgressBar, fmtDuration, logFailed } from './progress.js';
import { runBatch, DEFAULT_CHUNK, DEFAULT_WINDOW, DEFAULT_WORKER_TIMEOUT_S } from '../queue/batch.js';
import { DEFAULT_QUEUE } from '../queue/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_S, redactUrl } from '../queue/redis.js';
import { MASK_KINDS } from '../masks/masks.js';
import { shownDir } from '../io/paths.js';
import { maxBytesField } from './image_flags.js';
import { UserError } from '../util/errors.js';
import { maskConventionHelp, maskConventionOpt } from './mask_convention.js';

/**
 * The batch's own flags (the search options come from the options schema, INPAINT_OPTION_FLAGS, and
 * --mask-convention from its shared helper). The queue's window of chunks in flight is `--in-flight`,
 * never `--window` (the search's context window).
 */
const BatchFlagsSchema = z.object({
  input: z.string().describe('a folder of images (PNG/JPEG/WebP/GIF, recursive), or one image'),
  mask: z
    .string()
    .describe(
      `a mask kind made at each image's size (seeded by --seed + image index in the sorted list): ${MASK_KINDS.join(', ')}; a mask file for every image (read by --mask-convention, default white = hole; transparent = known; one of another size is resized to each image, every hole kept), or a folder of masks with the images' relative paths (any image extension). Mask files making more than 60 % of their image a hole get a warning`,
    ),
  out: z
    .string()
    .describe(
      'OUT/<input path without extension>/ per image (the files of `inpaint` plus meta.json), and OUT/summary.json (done, skipped, failed with reasons)',
    ),
  model: z
    .string()
    .describe(
      'a run folder, a checkpoint folder or a shipped model name; workers must load the same model (they refuse jobs of another)',
    ),
  encoder: z
    .string()
    .optional()
    .describe('start from this encoder (a train-encoder run or encoder folder) instead of MODEL/encoder/'),
  maxBytes: maxBytesField,
  chunk: z
    .number()
    .int()
    .min(1)
    .default(DEFAULT_CHUNK)
    .describe('images per job, searched as one batch (measured, docs/BENCHMARKS.md)'),
  backend: z.string().optional().describe('in-process only: auto | native | wasm | cpu | tensorflow [default: auto]'),
  redis: z.string().optional().describe('redis://[user:password@]host:port[/db] (rediss:// for TLS): run on the queue'),
  // The queue's flags have no schema default: given without --redis they are refused (their defaults in the help).
  queue: z.string().optional().describe("queue name, the same as the workers'"),
  inFlight: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "chunks on the queue at once from this batch, submitted and not yet collected (not the search's --window; bounds what Redis holds; raise it for a fleet of more workers)",
    ),
  workerTimeout: z.number().min(0).optional().describe('stop when no worker of the model is connected for S seconds'),
  connectTimeout: z.number().min(0.1).optional().describe('give up when Redis does not answer within S seconds'),
});
const FLAGS = commandFlags('batch', BatchFlagsSchema);
const VALUES = {
  input: 'DIR',
  mask: 'KIND|FILE|DIR',
  out: 'DIR',
  model: 'REF',
  encoder: 'DIR',
  maxBytes: 'N',
  chunk: 'N',
  backend: 'KIND',
  redis: 'URL',
  queue: 'NAME',
  inFlight: 'N',
  workerTimeout: 'S',
  connectTimeout: 'S',
};
const QUEUE_DEFAULTS = {
  queue: DEFAULT_QUEUE,
  inFlight: String(DEFAULT_WINDOW),
  workerTimeout: String(DEFAULT_WORKER_TIMEOUT_S),
  connectTimeout: String(DEFAULT_CONNECT_TIMEOUT_S),
};
const group = (keys: (keyof typeof VALUES)[]) => FLAGS.help({ keys, values: VALUES, defaults: QUEUE_DEFAULTS });

const help = `usage: wgan-inpaint batch --input DIR --mask KIND|FILE|DIR --out DIR --model REF [options] [--redis URL]

Inpaint every image of a folder (recursively), a chunk of images per search. Without --redis the
chunks run here, one after another; with --redis they go on a BullMQ queue on Redis and any number of
\`wgan-inpaint worker\` processes (on this or other machines) run them, while this command shows the
progress, writes each image's outputs as its result arrives and ends with a summary. The outputs are
byte-identical either way (same backend). Re-running the same command skips every image already done
(same model, image, mask and options), so a batch interrupted by Ctrl-C or a crash resumes; chunks
still on the queue keep running meanwhile and are collected by the re-run.

Where the searches start (--init): auto = from the model's encoder (--encoder DIR, else MODEL/encoder/,
docs/ENCODER.md) when it has one, else random z; iterations and restarts not given default per start.
The start is decided here, before anything is submitted, and one notice line says which; queue
workers must use the same encoder (the model digest they must match covers it: start them with the
same --encoder). --init encoder with a model without one is refused. summary.json and each meta.json
record the start.

On the queue the jobs go to the workers of the batch's model only (its digest, encoder included):
workers started with another --model or --encoder never take them. When no such worker is connected
for --worker-timeout seconds (at the start, or after the last one left) the batch stops with one
error line naming the models the connected workers serve, takes its waiting jobs off the queue and
exits 2; what is done is kept (summary.json says why it stopped) and a re-run resumes.

${group(['input', 'mask'])}
${maskConventionHelp('mask files and the written mask.png')}
${group(['out', 'model', 'encoder'])}
${INPAINT_OPTION_HELP}
${group(['maxBytes', 'chunk', 'backend'])}
queue
${group(['redis', 'queue', 'inFlight', 'workerTimeout', 'connectTimeout'])}

Exit status: 0 when every image is done or skipped, 1 when any failed (named in the summary and in
summary.json), 2 on bad input, an unreachable Redis or no worker for the model, 130 when interrupted.

examples
  wgan-inpaint batch --model fashion-mnist --input photos/ --mask center --out out/
  redis-server --port 6379 --maxmemory-policy noeviction --appendonly yes &
  wgan-inpaint worker --redis redis://127.0.0.1:6379 --model fashion-mnist &
  wgan-inpaint batch --redis redis://127.0.0.1:6379 --model fashion-mnist --input photos/ --mask center --out out/`;

export const batchCommand: Command = {
  name: 'batch',
  summary: 'inpaint a folder in chunks, in-process or on queue workers (--redis), resumable',
  help,
  options: { ...FLAGS.options, ...INPAINT_OPTION_FLAGS, 'mask-convention': { type: 'string' } },
  async run(v: Values): Promise<number> {
    const f = FLAGS.parse(v);
    const redis = f.redis;
    if (!redis)
      for (const [k, x] of [
        ['queue', f.queue],
        ['in-flight', f.inFlight],
        ['connect-timeout', f.connectTimeout],
        ['worker-timeout', f.workerTimeout],
      ] as const)
        if (x !== undefined) throw new UserError(`batch: --${k} needs --redis`);
    if (redis && f.backend !== undefined)
      throw new UserError('batch: --backend is for in-process runs; with --redis the workers choose theirs');
    const queue = f.queue ?? DEFAULT_QUEUE;
    const bar = new ProgressBar();
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      const r = await runBatch(
        {
          input: f.input,
          mask: f.mask,
          out: f.out,
          model: f.model,
          // As given: runBatch resolves the rest for the model's start (its encoder or random z) before
          // anything is submitted, and every job carries the resolved options (src/queue/batch.ts planStart).
          options: inpaintOptionsGiven(v, 'batch'),
          maskConvention: maskConventionOpt(v),
          ...(f.encoder ? { encoder: f.encoder } : {}),
          chunk: f.chunk,
          maxBytes: f.maxBytes,
          ...(redis
            ? {
                redis,
                queue,
                window: f.inFlight ?? DEFAULT_WINDOW,
                connectTimeoutS: f.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S,
                workerTimeoutS: f.workerTimeout ?? DEFAULT_WORKER_TIMEOUT_S,
              }
            : { backend: f.backend ?? 'auto' }),
        },
        {
          log: (l) => bar.log(l),
          signal: ac.signal,
          onProgress: (p) =>
            bar.update(
              p.finished,
              p.total,
              p.eta,
              `${p.rate.toFixed(2)} images/s${p.failed ? `  ${p.failed} failed` : ''}`,
            ),
        },
      );
      const where = r.mode === 'queue' ? `queue '${queue}' on ${redactUrl(redis ?? '')}` : `in-process (${r.backend})`;
      const made = r.done + r.failed;
      bar.log(
        `batch: ${r.images.length} image(s): ${r.done} done, ${r.skipped} skipped, ${r.failed} failed${r.pending ? `, ${r.pending} not done` : ''} in ${fmtDuration(r.seconds)}` +
          `${made ? ` (${(made / Math.max(r.seconds, 1e-3)).toFixed(2)} images/s)` : ''}; ${where} → ${shownDir(f.out)} (summary.json)`,
      );
      const failed = r.images.filter((im) => im.status === 'failed');
      logFailed(
        (l) => bar.log(l),
        failed.map((im) => ({ input: im.input, reason: im.reason ?? '' })),
      );
      if (r.interrupted) {
        bar.log(
          'interrupted: re-run the same command to resume (what is done is kept; chunks on the queue keep running)',
        );
        return 130;
      }
      return r.failed ? 1 : 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
