/** `wgan-inpaint batch`: inpaint a folder in chunks, in-process or on queue workers (src/queue/batch.ts). */
import { str, numOpt, type Command, type Values } from './command.js';
import { INPAINT_OPTION_FLAGS, INPAINT_OPTION_HELP, inpaintOptionsGiven } from './inpaint_options.js';
import { ProgressBar, fmtDuration, logFailed } from './progress.js';
import { runBatch, DEFAULT_CHUNK, DEFAULT_WINDOW, DEFAULT_WORKER_TIMEOUT_S } from '../queue/batch.js';
import { DEFAULT_QUEUE } from '../queue/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_S, redactUrl } from '../queue/redis.js';
import { MASK_KINDS } from '../masks/masks.js';
import { shownDir } from '../io/paths.js';
import { DEFAULT_MAX_BYTES } from '../io/image.js';
import { UserError } from '../util/errors.js';
import { maskConventionHelp, maskConventionOpt } from './mask_convention.js';

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

  --input DIR            a folder of images (PNG/JPEG/WebP/GIF, recursive), or one image
  --mask KIND|FILE|DIR   a mask kind made at each image's size (seeded by --seed + image index in the
                         sorted list): ${MASK_KINDS.join(', ')};
                         a mask file for every image (read by --mask-convention, default white = hole;
                         transparent = known; one of another size is resized to each image, every hole
                         kept), or a folder of masks with the images' relative paths (any image
                         extension). Mask files making more than 60 % of their image a hole get a
                         warning
${maskConventionHelp('mask files and the written mask.png')}
  --out DIR              OUT/<input path without extension>/ per image (the files of \`inpaint\` plus
                         meta.json), and OUT/summary.json (done, skipped, failed with reasons)
  --model REF            a run folder, a checkpoint folder or a shipped model name; workers must load
                         the same model (they refuse jobs of another)
  --encoder DIR          start from this encoder (a train-encoder run or encoder folder) instead of
                         MODEL/encoder/
${INPAINT_OPTION_HELP}
  --max-bytes N          refuse image and mask files of more bytes than N, and anything but a regular
                         file (a FIFO, /dev/zero), checked before reading [default: ${DEFAULT_MAX_BYTES}]
  --chunk N              images per job, searched as one batch [default: ${DEFAULT_CHUNK}; measured, docs/BENCHMARKS.md]
  --backend KIND         in-process only: auto | native | wasm | cpu | tensorflow [default: auto]
queue
  --redis URL            redis://[user:password@]host:port[/db] (rediss:// for TLS): run on the queue
  --queue NAME           queue name, the same as the workers' [default: ${DEFAULT_QUEUE}]
  --in-flight N          chunks on the queue at once from this batch, submitted and not yet collected
                         (bounds what Redis holds; raise it for a fleet of more workers) [default: ${DEFAULT_WINDOW}]
  --worker-timeout S     stop when no worker of the model is connected for S seconds [default: ${DEFAULT_WORKER_TIMEOUT_S}]
  --connect-timeout S    give up when Redis does not answer within S seconds [default: ${DEFAULT_CONNECT_TIMEOUT_S}]

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
  options: {
    input: { type: 'string' },
    mask: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    encoder: { type: 'string' },
    ...INPAINT_OPTION_FLAGS,
    chunk: { type: 'string' },
    backend: { type: 'string' },
    'max-bytes': { type: 'string' },
    'mask-convention': { type: 'string' },
    redis: { type: 'string' },
    queue: { type: 'string' },
    'in-flight': { type: 'string' },
    'connect-timeout': { type: 'string' },
    'worker-timeout': { type: 'string' },
  },
  async run(v: Values): Promise<number> {
    for (const k of ['input', 'mask', 'out', 'model']) if (!str(v, k)) throw new UserError(`batch: --${k} is required`);
    const redis = str(v, 'redis');
    if (!redis)
      for (const k of ['queue', 'in-flight', 'connect-timeout', 'worker-timeout'])
        if (str(v, k) !== undefined) throw new UserError(`batch: --${k} needs --redis`);
    if (redis && str(v, 'backend') !== undefined)
      throw new UserError('batch: --backend is for in-process runs; with --redis the workers choose theirs');
    const bar = new ProgressBar();
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      const r = await runBatch(
        {
          input: str(v, 'input')!,
          mask: str(v, 'mask')!,
          out: str(v, 'out')!,
          model: str(v, 'model')!,
          // As given: runBatch resolves the rest for the model's start (its encoder or random z) before
          // anything is submitted, and every job carries the resolved options (src/queue/batch.ts planStart).
          options: inpaintOptionsGiven(v, 'batch'),
          maskConvention: maskConventionOpt(v),
          ...(str(v, 'encoder') ? { encoder: str(v, 'encoder')! } : {}),
          chunk: numOpt(v, 'chunk', { int: true, min: 1, def: DEFAULT_CHUNK }),
          maxBytes: numOpt(v, 'max-bytes', { int: true, min: 1, def: DEFAULT_MAX_BYTES }),
          ...(redis
            ? {
                redis,
                queue: str(v, 'queue', DEFAULT_QUEUE)!,
                window: numOpt(v, 'in-flight', { int: true, min: 1, def: DEFAULT_WINDOW }),
                connectTimeoutS: numOpt(v, 'connect-timeout', { min: 0.1, def: DEFAULT_CONNECT_TIMEOUT_S }),
                workerTimeoutS: numOpt(v, 'worker-timeout', { min: 0, def: DEFAULT_WORKER_TIMEOUT_S }),
              }
            : { backend: str(v, 'backend', 'auto')! }),
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
      const where =
        r.mode === 'queue'
          ? `queue '${str(v, 'queue', DEFAULT_QUEUE)}' on ${redactUrl(redis!)}`
          : `in-process (${r.backend})`;
      const made = r.done + r.failed;
      bar.log(
        `batch: ${r.images.length} image(s): ${r.done} done, ${r.skipped} skipped, ${r.failed} failed${r.pending ? `, ${r.pending} not done` : ''} in ${fmtDuration(r.seconds)}` +
          `${made ? ` (${(made / Math.max(r.seconds, 1e-3)).toFixed(2)} images/s)` : ''}; ${where} → ${shownDir(str(v, 'out')!)} (summary.json)`,
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
