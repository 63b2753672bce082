import {
  ciStreamName,
  decide,
  evolve,
  evolveDocument,
  lifecycleRefusal,
  maskCommandSecrets,
  patchOfEvent,
  CiRulesViolatedError,
  foldCi,
  requiresExistingCi,
  CiNotFoundError,
  type ChangeMetadata,
  type CiCommand,
  type CiDocument,
  type CiEvent,
  type JsonPatch,
  type CiState,
  type DesiredCiState,
  type RecordedCiEvent,
  type FieldIssue,
  type SecretPolicy,
} from '../domain';
import type { Clock } from '../ports/clock';
import { ConcurrencyError, type EventStore, type ReadStreamOptions, type StreamHead } from '../ports/event-store';
import { toNewEvent, toRecordedCiEvent } from './ci-event-codec';
import { PreconditionFailedError, WriteContentionError } from './errors';
import { checkRevision, historyUpTo, notYetAt, type HistoryPoint } from './history-point';
import { KeyedSerializer } from './keyed-serializer';
import { CiStateCache, type CachedCi } from './ci-state-cache';
import {
  SNAPSHOT_EVERY,
  foldWithMilestones,
  isMilestone,
  readCiSnapshot,
  readCiSnapshotAt,
  snapshotOfCi,
} from './ci-snapshots';
import type { ChangePolicy } from './change-policy';
import type { CiTypeRules, TypeRulesSource } from './type-rules';

/** A CI as a write loads it: its state, and its whole history where that was read to fold it. */
interface LoadedCi {
  readonly current: CachedCi;
  readonly history: RecordedCiEvent[] | undefined;
}

/** A CI as of one revision. */
export interface CiSnapshot {
  readonly ciId: string;
  readonly revision: number;
  readonly recordedAt: string;
  readonly document: CiDocument;
}

export interface WriteOptions {
  readonly metadata: ChangeMetadata;
  /**
   * From If-Match: the revisions the client accepts (any one matches), or `*`
   * for "whatever it is, as long as the CI exists"; a mismatch appends nothing.
   */
  readonly ifMatch?: readonly number[] | '*' | undefined;
  /** From `If-None-Match: *`: only create. */
  readonly createOnly?: boolean | undefined;
}

export interface WriteOutcome {
  readonly ci: CiSnapshot;
  /** True when this write registered the CI. */
  readonly created: boolean;
  /** False when nothing differed and nothing was appended. */
  readonly appended: boolean;
  /** The log position of the CI's latest event (the new one, if appended). */
  readonly position: number;
}

export interface CiCommandHandlerDeps {
  readonly eventStore: EventStore;
  readonly clock: Clock;
  readonly newEventId: () => string;
  /** How many times a write without If-Match is re-decided after losing a race. */
  readonly maxAttempts?: number;
  /** Checked before every append (change reference rules, ITSM approval); absent, every change may be recorded. */
  readonly policy?: ChangePolicy;
  /** Secret attributes are fingerprinted by it before any event is built; absent, none are. */
  readonly secrets?: SecretPolicy;
  /** The CI types in force: attribute schemas, relationship rules, lifecycles; absent, every type is free-form. */
  readonly types?: TypeRulesSource;
  /** Told how long each append took and whether the folded state came from the cache (metrics). */
  readonly observe?: {
    appendSeconds(seconds: number): void;
    stateCache(result: 'hit' | 'miss'): void;
    /** A CI not cached was loaded: from its snapshot or its whole stream, folding `events` events. */
    stateLoad?(from: 'snapshot' | 'stream', events: number): void;
  };
  /** How many CIs' folded states are kept between writes (0: none; always re-read the stream). */
  readonly stateCacheSize?: number;
}

/**
 * Command handling, one function: read and fold the CI's stream, decide,
 * append with the revision it was decided on. The folded state of recently
 * written CIs is cached and reused when the stream's head is still at its
 * revision (one indexed lookup instead of reading and folding the stream).
 * A lost race is re-decided on the fresh state unless the client pinned a
 * revision with If-Match.
 * Writes to one CI are serialised in this process; writes to different CIs
 * run concurrently and share commits (group commit in the SQLite log).
 */
export class CiCommandHandler {
  private readonly maxAttempts: number;
  private readonly perCi = new KeyedSerializer();
  private readonly cache: CiStateCache;

  constructor(private readonly deps: CiCommandHandlerDeps) {
    this.maxAttempts = deps.maxAttempts ?? 5;
    this.cache = new CiStateCache(deps.stateCacheSize ?? 10_000);
  }

  execute(command: CiCommand, options: WriteOptions): Promise<WriteOutcome> {
    return this.perCi.run(command.ciId, () => this.decideAndAppend(command.ciId, () => command, options));
  }

  /**
   * A desired state with its secrets fingerprinted as a write would store
   * them (the pattern's keys and the type's x-secret ones): what to compare
   * with a recorded document, so that no clear secret ends up in a report.
   */
  async fingerprintSecrets(ciId: string, desired: DesiredCiState): Promise<DesiredCiState> {
    const rules = await this.deps.types?.rulesFor(desired.type);
    const masked = this.maskSecrets({ type: 'DeclareCi', ciId, desired }, rules);
    return masked.type === 'DeclareCi' ? masked.desired : desired;
  }

  /** Appends one event that makes the CI equal to its document at `point`. */
  restore(ciId: string, point: HistoryPoint, field: string, options: WriteOptions): Promise<WriteOutcome> {
    return this.perCi.run(ciId, () =>
      this.decideAndAppend(ciId, (loaded) => this.restoreCommand(ciId, loaded, point, field), options),
    );
  }

  /** The patch a restore would apply, without appending anything. */
  async previewRestore(
    ciId: string,
    point: HistoryPoint,
    field: string,
  ): Promise<{ patch: JsonPatch; revision: number }> {
    const loaded = await this.load(ciId);
    const { state } = loaded.current;
    const events = decide(await this.restoreCommand(ciId, loaded, point, field), state);
    return { patch: events.flatMap(patchOfEvent), revision: state.revision };
  }

  /**
   * A CI in the cache is decided on without reading its stream's head: a
   * write that appends needs no look, since the append's expected revision
   * refuses it if another process wrote first, and the loop decides again
   * on the state read fresh. Whatever else a decision leads to (nothing to
   * append, a refusal, the change policy's look at the change) is only
   * acted on once the head is seen to be where the cache is; where it moved,
   * the CI is loaded again and decided on anew.
   *
   * @param commandFor the command, given the CI as loaded (a restore reads its document at a point).
   */
  private async decideAndAppend(
    ciId: string,
    commandFor: (loaded: LoadedCi) => CiCommand | Promise<CiCommand>,
    options: WriteOptions,
  ): Promise<WriteOutcome> {
    let unchecked = this.cache.get(ciId);
    for (let attempt = 1; ;) {
      const loaded = unchecked ? this.fromCache(unchecked) : await this.load(ciId);
      // The cached state, if the stream's head is still at it; else undefined and the next pass loads the CI.
      const confirmed = async (): Promise<boolean> => {
        if (!unchecked) return true;
        const fresh = await this.isAtHead(ciId, unchecked.state.revision);
        unchecked = undefined;
        return fresh;
      };
      const { current } = loaded;
      const { state } = current;
      let events: CiEvent[];
      let after: CiDocument;
      try {
        const command = await commandFor(loaded);
        this.checkPreconditions(command, state.revision, options);

        const typeName = typeAfter(command, state.document);
        const rules = typeName === undefined ? undefined : await this.deps.types?.rulesFor(typeName);
        const masked = this.maskSecrets(command, rules);
        events = decide(masked, state);
        if (events.length === 0) {
          if (!(await confirmed())) continue;
          return {
            ci: snapshot(ciId, state.revision, state.recordedAt!, state.document!),
            created: false,
            appended: false,
            position: current.position,
          };
        }
        after = events.reduce<CiDocument | undefined>(evolveDocument, state.document)!;
        // A type's schema judges new secret values in the clear, before they become fingerprints (the
        // lifecycle needs only the status, the same either way: without a type, no second decide).
        const clearAfter =
          rules && masked !== command
            ? (decide(command, state).reduce(evolveDocument, state.document) ?? after)
            : after;
        await this.checkRules(ciId, state.document, clearAfter, rules, options);
      } catch (error) {
        // A refusal on a state the head may have left behind is given only once the head is seen.
        if (!(await confirmed())) continue;
        throw error;
      }

      if (this.deps.policy) {
        // An approval (ITSM) is asked only about the change as it would be recorded.
        if (!(await confirmed())) continue;
        await this.deps.policy.check({
          ciId,
          eventType: events[0]!.type,
          before: state.document,
          after,
          metadata: options.metadata,
        });
      }

      const recordedAt = this.nextRecordedAt(state.recordedAt);
      const newEvents = events.map((event) => toNewEvent(event, options.metadata, recordedAt, this.deps.newEventId()));
      const started = performance.now();
      try {
        const result = await this.deps.eventStore.append(
          ciStreamName(ciId),
          newEvents,
          state.revision === 0 ? 'no_stream' : state.revision,
        );
        this.deps.observe?.appendSeconds((performance.now() - started) / 1000);
        const next = events.reduce<CiState>((folded, event) => evolve(folded, event, recordedAt), state);
        // The state before this write: what a reader of the log following it (the relay) folds on from.
        const { snapshotRevision } = this.keepSnapshot(ciId, current);
        this.cache.set(ciId, { state: next, position: result.position, snapshotRevision });
        return {
          ci: snapshot(ciId, result.revision, recordedAt, next.document!),
          created: state.revision === 0,
          appended: true,
          position: result.position,
        };
      } catch (error) {
        this.cache.delete(ciId);
        if (!(error instanceof ConcurrencyError)) throw error;
        if (unchecked) {
          // Decided on a cached state another process had moved past: not a lost race, decide again on the log.
          unchecked = undefined;
          continue;
        }
        if (options.ifMatch !== undefined || options.createOnly) {
          throw new PreconditionFailedError(
            ciId,
            error.actual,
            `CI "${ciId}" changed concurrently (now at revision ${error.actual}); re-read it and retry`,
          );
        }
        if (attempt >= this.maxAttempts) throw new WriteContentionError(ciId, attempt);
        attempt += 1;
      }
    }
  }

  /** The command with every secret value fingerprinted: the pattern's keys and the ones its type marks x-secret. */
  private maskSecrets(command: CiCommand, rules: CiTypeRules | undefined): CiCommand {
    const base = this.deps.secrets;
    const typeKeys = rules?.secretKeys;
    if (typeKeys && typeKeys.size > 0 && !base) {
      throw new Error(`type "${rules.type}" marks attributes x-secret, but the service has no secret key`);
    }
    if (!base) return command;
    const policy: SecretPolicy =
      typeKeys && typeKeys.size > 0
        ? { isSecretKey: (key) => typeKeys.has(key) || base.isSecretKey(key), fingerprint: base.fingerprint }
        : base;
    return maskCommandSecrets(command, policy);
  }

  /** The type's schema and relationship rules, and the lifecycle: every broken rule at once, or nothing. */
  private async checkRules(
    ciId: string,
    before: CiDocument | undefined,
    after: CiDocument,
    rules: CiTypeRules | undefined,
    options: WriteOptions,
  ): Promise<void> {
    const issues: FieldIssue[] = [];
    const byRestore = RESTORING_SOURCES.has(options.metadata.source);
    const refusal = lifecycleRefusal(before?.status, after.status, byRestore, rules?.transitions);
    if (refusal) issues.push({ field: 'status', message: refusal });
    if (rules) {
      for (const issue of await rules.issues(after)) issues.push(issue);
    }
    if (issues.length > 0) throw new CiRulesViolatedError(ciId, issues);
  }

  private checkPreconditions(command: CiCommand, revision: number, options: WriteOptions): void {
    const { ciId } = command;
    if (revision === 0 && requiresExistingCi(command)) throw new CiNotFoundError(ciId);
    if (options.createOnly && revision > 0) {
      throw new PreconditionFailedError(
        ciId,
        revision,
        `CI "${ciId}" already exists (revision ${revision}) and If-None-Match: * asked to create only`,
      );
    }
    const { ifMatch } = options;
    if (ifMatch === undefined) return;
    const matches = ifMatch === '*' ? revision > 0 : ifMatch.includes(revision);
    if (!matches) {
      const now = revision === 0 ? 'does not exist' : `is at revision ${revision}`;
      const expected = ifMatch === '*' ? 'an existing CI' : `revision ${ifMatch.join(' or ')}`;
      throw new PreconditionFailedError(
        ciId,
        revision,
        `If-Match expected ${expected} but CI "${ciId}" ${now}; re-read it (ETag) and retry`,
      );
    }
  }

  /** Recorded time never goes backwards for one CI, whatever the clock does. */
  private nextRecordedAt(previous: string | undefined): string {
    const now = this.deps.clock.now().getTime();
    const floor = previous === undefined ? Number.NEGATIVE_INFINITY : Date.parse(previous) + 1;
    return new Date(Math.max(now, floor)).toISOString();
  }

  /** A cached CI as a write loads it. */
  private fromCache(current: CachedCi): LoadedCi {
    this.deps.observe?.stateCache('hit');
    return { current, history: undefined };
  }

  /** Whether the CI's stream still ends at `revision`. */
  private async isAtHead(ciId: string, revision: number): Promise<boolean> {
    const head = await this.deps.eventStore.streamHead(ciStreamName(ciId));
    return (head?.revision ?? 0) === revision;
  }

  /**
   * The CI's current state: from the cache when the stream's head is still
   * at the cached revision, else from its latest snapshot and the events
   * after it, else folded from its whole stream, which is then returned too.
   */
  private async load(ciId: string): Promise<LoadedCi> {
    const head = await this.deps.eventStore.streamHead(ciStreamName(ciId));
    if (!head) return { current: { state: foldCi([]), position: 0, snapshotRevision: 0 }, history: undefined };
    const cached = this.cache.getAt(ciId, head.revision);
    this.deps.observe?.stateCache(cached ? 'hit' : 'miss');
    if (cached) return { current: cached, history: undefined };
    // A CI of fewer events has no snapshot (none is saved before SNAPSHOT_EVERY): no read is spent on one.
    const fromSnapshot = head.revision >= SNAPSHOT_EVERY ? await this.loadFromSnapshot(ciId, head) : undefined;
    if (fromSnapshot) {
      this.deps.observe?.stateLoad?.('snapshot', fromSnapshot.state.revision - fromSnapshot.snapshotRevision);
      const current = this.keepSnapshot(ciId, fromSnapshot);
      this.cache.set(ciId, current);
      return { current, history: undefined };
    }
    const history = await this.readEvents(ciStreamName(ciId));
    if (history.length === 0) return { current: { state: foldCi([]), position: 0, snapshotRevision: 0 }, history };
    this.deps.observe?.stateLoad?.('stream', history.length);
    const { state, milestones } = foldWithMilestones(history);
    const folded = { state, position: history.at(-1)!.position, snapshotRevision: 0 };
    const current = this.keepSnapshot(ciId, folded, milestones);
    this.cache.set(ciId, current);
    return { current, history };
  }

  /**
   * A restore: the CI made equal to its document at `point`. That document
   * is folded from the history the load read where it read one; otherwise
   * from the log up to the point only, starting at the CI's newest snapshot
   * not past the point (its latest, or a milestone). Read whole, a CI of
   * 10,000 revisions held the event loop for hundreds of milliseconds per
   * restore.
   */
  private async restoreCommand(
    ciId: string,
    { current, history }: LoadedCi,
    point: HistoryPoint,
    field: string,
  ): Promise<CiCommand> {
    if (current.state.revision === 0) throw new CiNotFoundError(ciId);
    const target = history
      ? foldCi(historyUpTo(ciId, history, point, field))
      : await this.stateAt(ciId, current.state, point, field);
    return { type: 'RestoreCi', ciId, target: target.document!, restoredRevision: target.revision };
  }

  /** The CI's state at `point`, the CI's newest state being `head`; reads only up to the point. */
  private async stateAt(ciId: string, head: CiState, point: HistoryPoint, field: string): Promise<CiState> {
    const stream = ciStreamName(ciId);
    if ('revision' in point) {
      checkRevision(ciId, point.revision, head.revision, field);
      if (point.revision === head.revision) return head;
    } else if (Date.parse(head.recordedAt!) <= point.asOf) {
      return head;
    }
    const base =
      head.revision >= SNAPSHOT_EVERY ? await readCiSnapshotAt(this.deps.eventStore, ciId, point, head) : undefined;
    const upTo = 'revision' in point ? { toRevision: point.revision } : { toRecordedAt: point.asOf };
    const events = await this.readEvents(stream, { fromRevision: (base?.revision ?? 0) + 1, ...upTo });
    if (!base && events.length === 0) {
      // Only an instant before the CI's first event has no event up to it.
      const [first] = await this.readEvents(stream, { toRevision: 1 });
      throw notYetAt(ciId, point, field, first?.recordedAt);
    }
    // A stretch of a thousand revisions or more with no milestone (a log from before them) gets them now.
    const { state, milestones } = foldWithMilestones(events, base);
    this.saveInTurn(ciId, milestones.map(asMilestone));
    return state;
  }

  /** The CI's latest snapshot and the events after it, folded; undefined without a usable snapshot. */
  private async loadFromSnapshot(ciId: string, head: StreamHead): Promise<CachedCi | undefined> {
    const base = await readCiSnapshot(this.deps.eventStore, ciId, head.revision);
    if (!base) return undefined;
    const tail =
      base.revision === head.revision
        ? []
        : await this.readEvents(ciStreamName(ciId), { fromRevision: base.revision + 1 });
    return {
      state: foldCi(tail, base),
      position: tail.at(-1)?.position ?? head.position,
      snapshotRevision: base.revision,
    };
  }

  /**
   * Saves a snapshot of the CI when its state is SNAPSHOT_EVERY events past
   * the last one, without waiting for it: a snapshot that fails to save
   * costs a longer read later, never a write. The first saved past each
   * multiple of MILESTONE_EVERY is kept for good, for restores; `milestones`
   * (of a CI folded whole) are saved before it.
   */
  private keepSnapshot(ciId: string, current: CachedCi, milestones: readonly CiState[] = []): CachedCi {
    const save = this.deps.eventStore.saveSnapshot?.bind(this.deps.eventStore);
    if (!save || current.state.revision - current.snapshotRevision < SNAPSHOT_EVERY) return current;
    const previous = milestones.at(-1)?.revision ?? current.snapshotRevision;
    this.saveInTurn(ciId, [
      ...milestones.map(asMilestone),
      [current.state, isMilestone(current.state.revision, previous)],
    ]);
    return { ...current, snapshotRevision: current.state.revision };
  }

  /**
   * Saves the CI's snapshots (each with whether it is a milestone) one after
   * the other, without waiting: on EventStoreDB two saves at once race for
   * the latest's stream, and one is dropped. A failed save is skipped.
   */
  private saveInTurn(ciId: string, saves: readonly [CiState, boolean][]): void {
    const save = this.deps.eventStore.saveSnapshot?.bind(this.deps.eventStore);
    if (!save || saves.length === 0) return;
    const stream = ciStreamName(ciId);
    void (async () => {
      for (const [state, milestone] of saves)
        await save(stream, snapshotOfCi(state), { milestone }).catch(() => undefined);
    })();
  }

  private async readEvents(stream: string, options?: ReadStreamOptions): Promise<RecordedCiEvent[]> {
    return (await this.deps.eventStore.readStream(stream, options)).map(toRecordedCiEvent);
  }
}

/** A state to save as a milestone (saveInTurn's pairs). */
function asMilestone(state: CiState): [CiState, boolean] {
  return [state, true];
}

/** The type the CI will have after the command (a PUT or a restore may change it). */
function typeAfter(command: CiCommand, document: CiDocument | undefined): string | undefined {
  if (command.type === 'RegisterCi' || command.type === 'DeclareCi') return command.desired.type;
  if (command.type === 'RestoreCi') return command.target.type;
  return document?.type;
}

/** Writes that return a CI to a state it once had: not held to the lifecycle's transition table. */
const RESTORING_SOURCES = new Set(['restore', 'revert']);

function snapshot(ciId: string, revision: number, recordedAt: string, document: CiDocument): CiSnapshot {
  return { ciId, revision, recordedAt, document };
}
