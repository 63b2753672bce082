import { setImmediate } from 'node:timers/promises';
import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CiIdSchema, TokenSchema } from '../../domain';
import type { CiQueries } from '../../application/ci-queries';
import { problem } from '../problem';
import { ReplaySlots } from '../replay-slots';
import { InstantSchema, IntegerTextSchema, parseWith } from '../request-parsing';

export interface ChangeStreamOptions {
  /** Streams open at once; one more gets a 503. */
  readonly maxStreams: number;
  /**
   * Streams reading history at once (a `from` or `Last-Event-ID` behind the
   * present); the others wait, connected and sent heartbeats, for a slot.
   */
  readonly maxReplays: number;
  /** A comment line is sent after this long without events, so proxies keep the connection. */
  readonly heartbeatMs: number;
}

/** Entries read and written at a time: one chunk per page bounds what a slow client holds in memory. */
const PAGE = 500;

export const StreamQuerySchema = z.strictObject({
  from: z
    .string()
    .transform((text, ctx): { position: number } | { since: number } => {
      if (/^\d{1,15}$/.test(text)) return { position: Number(text) };
      const instant = InstantSchema.safeParse(text);
      if (instant.success) return { since: instant.data };
      ctx.addIssue({
        code: 'custom',
        message: 'must be a log position (a number) or an RFC 3339 date-time to replay from',
      });
      return z.NEVER;
    })
    .optional(),
  ciId: CiIdSchema.optional(),
  type: TokenSchema.optional(),
  /** A stream ticket (authentication checked it already). */
  ticket: z.string().optional(),
});

/**
 * GET /changes/stream: the change feed as Server-Sent Events, oldest first.
 * Each event's `id:` is its log position, so a client that reconnects with
 * `Last-Event-ID` resumes exactly after the last event it received. `?from=`
 * replays from a position (exclusive) or a time; without either the stream
 * starts at the present. Events are read from the changeFeed view.
 */
export function changeStreamRoutes(
  queries: CiQueries,
  options: ChangeStreamOptions,
  logger: Logger,
  replaySlots: ReplaySlots = new ReplaySlots(options.maxReplays),
  /** Told of every stream opened and closed (the metrics' stream clients). */
  clients?: { inc(): void; dec(): void },
): Router {
  const router = Router();
  let openStreams = 0;

  router.get('/changes/stream', async (req, res) => {
    const query = parseWith(StreamQuerySchema, req.query);
    const lastEventId = req.headers['last-event-id'];
    let after: number;
    let since: number | undefined;
    if (lastEventId !== undefined) {
      after = parseWith(IntegerTextSchema, lastEventId, 'Last-Event-ID');
    } else if (query.from && 'position' in query.from) {
      after = query.from.position;
    } else if (query.from) {
      after = 0;
      since = query.from.since;
    } else {
      after = queries.viewsPosition();
    }
    // Decided before any await, so a client over the limit hears so at once.
    if (openStreams >= options.maxStreams) {
      throw problem(
        503,
        'too-many-streams',
        'Too many change streams',
        `this server already serves ${options.maxStreams} change streams; retry later, or consume the Kafka topics`,
        { retryAfterSeconds: 5 },
      );
    }

    openStreams += 1;
    clients?.inc();
    // Aborted when the client goes: ends the wait for the views with its timer (a heartbeat's length).
    const gone = new AbortController();
    const isClosed = () => gone.signal.aborted;
    // Not events.once(): it rejects when the request emits 'error' (a client gone mid-request,
    // "aborted"), and that rejection, unhandled, would end the process.
    const closedPromise = new Promise<void>((resolve) =>
      res.once('close', () => {
        gone.abort();
        resolve();
      }),
    );
    // A replay holds a slot until it has caught up with the views.
    let release: (() => void) | undefined;
    try {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      await write(res, 'retry: 2000\n\n', closedPromise);
      const filter = { ciId: query.ciId, ciType: query.type, since };
      let replaying = after < queries.viewsPosition();
      while (!isClosed()) {
        if (replaying && !release) {
          release = await waitForSlot(replaySlots, res, options.heartbeatMs, closedPromise);
          if (!release) break;
        }
        const viewsPosition = queries.viewsPosition();
        const entries = await queries.changesAfter(after, filter, PAGE);
        if (entries.length > 0) {
          await write(
            res,
            entries.map((entry) => `id: ${entry.position}\ndata: ${JSON.stringify(entry)}\n\n`).join(''),
            closedPromise,
          );
          after = entries.at(-1)!.position;
        }
        // Let requests and other streams in between pages: a replay must not hold the event loop.
        await setImmediate();
        replaying = entries.length === PAGE;
        if (replaying) continue;
        release?.();
        release = undefined;
        // Everything the views held at the read has been seen (filters included).
        after = Math.max(after, viewsPosition);
        const advanced = await queries.waitForViews(after + 1, options.heartbeatMs, gone.signal);
        if (!advanced && !isClosed()) await write(res, ': heartbeat\n\n', closedPromise);
      }
    } catch (error) {
      // Headers are sent: end the stream; the client reconnects with Last-Event-ID.
      if (!isClosed()) logger.warn({ err: error }, 'change stream ended on an error');
    } finally {
      release?.();
      openStreams -= 1;
      clients?.dec();
      res.end();
    }
  });

  return router;
}

/** Waits for a replay slot, sending heartbeats meanwhile; undefined if the client left. */
async function waitForSlot(
  slots: ReplaySlots,
  res: Response,
  heartbeatMs: number,
  closed: Promise<void>,
): Promise<(() => void) | undefined> {
  const granted = slots.acquire(closed);
  for (;;) {
    const timer = new Promise<'tick'>((resolve) => setTimeout(resolve, heartbeatMs, 'tick').unref());
    const outcome = await Promise.race([granted, timer]);
    if (outcome !== 'tick') return outcome;
    await write(res, ': waiting for a replay slot\n\n', closed);
  }
}

/** Writes with back-pressure: waits for 'drain' when the socket buffer is full (or for the client to go). */
async function write(res: Response, chunk: string, closed: Promise<void>): Promise<void> {
  if (!res.write(chunk)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
}
