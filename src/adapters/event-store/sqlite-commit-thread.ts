import { Worker, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  ConcurrencyError,
  StoreUnavailableError,
  type AppendResult,
  type StreamSnapshot,
} from '../../ports/event-store';
import { SqliteLogWriter, setWriteSettings, type AppendOutcome, type SerializedAppend } from './sqlite-log-writer';
import { SqliteSnapshots } from './sqlite-snapshots';

/** What the thread is started with (its workerData). */
export interface CommitThreadData {
  readonly filename: string;
  readonly synchronous: 'full' | 'normal';
}

type ToCommitThread =
  | { readonly type: 'commit'; readonly id: number; readonly group: readonly SerializedAppend[] }
  | {
      readonly type: 'snapshot';
      readonly id: number;
      readonly streamName: string;
      readonly snapshot: StreamSnapshot;
      readonly milestone: boolean;
    }
  | { readonly type: 'close' };

/** An error as it crosses the thread: what the store's callers tell apart. */
type WireError =
  | {
      readonly kind: 'concurrency';
      readonly streamName: string;
      readonly expected: ConcurrencyError['expected'];
      readonly actual: number;
    }
  | { readonly kind: 'error'; readonly message: string; readonly code?: string };

type WireOutcome =
  { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: WireError };

type FromCommitThread =
  | { readonly id: number; readonly outcomes: readonly WireOutcome[] }
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly failure: WireError };

/**
 * The embedded log's commits on a thread of their own: its own connection
 * writes each group (SqliteLogWriter) and waits there for the disk's flush,
 * while the service's event loop goes on answering requests and gathering
 * the next group. One commit in flight at a time is the store's rule
 * (SqliteEventStore), and the thread answers its messages in the order they
 * came, so commits keep the order the appends came in.
 *
 * The thread starts on the first request; one that stops (it should not) is
 * reported to what waited on it, and the next request starts another.
 */
export class SqliteCommitThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(reply: FromCommitThread): void; reject(error: Error): void }>();

  constructor(
    private readonly scriptPath: string,
    private readonly data: CommitThreadData,
  ) {}

  /** Commits the group in one transaction; rejects when the transaction failed as a whole (nothing written). */
  async commit(group: readonly SerializedAppend[]): Promise<AppendOutcome[]> {
    const reply = await this.request({ type: 'commit', id: this.nextId++, group });
    if ('failure' in reply) throw fromWire(reply.failure);
    if (!('outcomes' in reply)) throw new Error('the commit thread answered a commit with no outcomes');
    return reply.outcomes.map((outcome) => (outcome.ok ? outcome : { ok: false, error: fromWire(outcome.error) }));
  }

  async saveSnapshot(streamName: string, snapshot: StreamSnapshot, milestone: boolean): Promise<void> {
    const reply = await this.request({ type: 'snapshot', id: this.nextId++, streamName, snapshot, milestone });
    if ('failure' in reply) throw fromWire(reply.failure);
  }

  /** Lets the thread close its connection and end; call it once nothing waits on a commit. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ type: 'close' } satisfies ToCommitThread);
    await exited;
  }

  private request(message: Exclude<ToCommitThread, { type: 'close' }>): Promise<FromCommitThread> {
    const worker = this.started();
    return new Promise((resolve, reject) => {
      this.waiting.set(message.id, { resolve, reject });
      worker.postMessage(message);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.scriptPath, { workerData: this.data });
    worker.on('message', (reply: FromCommitThread) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply);
    });
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) => this.stopped(worker, new Error(`it exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const waiter of this.waiting.values()) {
      // It may have committed before it stopped: what waited cannot know whether it was written.
      waiter.reject(
        new StoreUnavailableError(
          `the event log's commit thread stopped (${error.message}): the write may or may not have been ` +
            'recorded; read it back before retrying (the next write starts the thread again)',
          { cause: error },
        ),
      );
    }
    this.waiting.clear();
  }
}

/**
 * The thread's side (src/log-commit-thread.ts starts it): opens its own
 * connection to the log, which the service has opened and set up before,
 * and answers each request in the order it came.
 */
export function serveCommits(port: MessagePort, data: CommitThreadData): void {
  const db = new Database(data.filename, { fileMustExist: true });
  setWriteSettings(db, data.synchronous);
  const writer = new SqliteLogWriter(db);
  const snapshots = new SqliteSnapshots(db);
  port.on('message', (message: ToCommitThread) => {
    if (message.type === 'close') {
      db.close();
      port.close();
      return;
    }
    let reply: FromCommitThread;
    try {
      if (message.type === 'commit') {
        const outcomes = writer.commit(message.group);
        reply = {
          id: message.id,
          outcomes: outcomes.map((o) => (o.ok ? o : { ok: false, error: toWire(o.error) })),
        };
      } else {
        snapshots.put(message.streamName, message.snapshot, message.milestone);
        reply = { id: message.id, done: true };
      }
    } catch (error) {
      reply = { id: message.id, failure: toWire(error) };
    }
    port.postMessage(reply);
  });
}

function toWire(error: unknown): WireError {
  if (error instanceof ConcurrencyError) {
    const { streamName, expected, actual } = error;
    return { kind: 'concurrency', streamName, expected, actual };
  }
  const code = (error as { code?: unknown }).code;
  return {
    kind: 'error',
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' && { code }),
  };
}

/** The error as the store's callers know it: a ConcurrencyError, or one carrying SQLite's code. */
function fromWire(error: WireError): Error {
  if (error.kind === 'concurrency') return new ConcurrencyError(error.streamName, error.expected, error.actual);
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}
