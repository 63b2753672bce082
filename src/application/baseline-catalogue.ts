import { createHash } from 'node:crypto';
import {
  BaselineExistsError,
  BaselineMembersRecordedSchema,
  BaselineNotFoundError,
  BaselineTakenSchema,
  ChangeMetadataSchema,
  type BaselineHeader,
  type BaselineMember,
  type BaselineTaken,
  type ChangeMetadata,
} from '../domain';
import { ConcurrencyError, type RecordedEvent } from '../ports/event-store';
import { CorruptEventError } from './ci-event-codec';
import { KeyedSerializer } from './keyed-serializer';
import { StreamFollower } from './stream-follower';
import { CATALOGUE_PREFIX, parseCatalogueEvent, type CatalogueDeps } from './catalogue-log';

/**
 * Members per event: ~30 bytes each, so a chunk stays far below the 1 MiB
 * EventStoreDB takes in one append (each chunk is appended on its own).
 */
const CHUNK = 5000;

/**
 * Baselines, event-sourced in the catalogue log. Taking one writes its
 * members first, in chunks, to a stream named by a fresh id, and only then
 * its header to the baselines stream, expecting that stream's revision: the
 * header is what makes a baseline exist, so a take cut short leaves nothing
 * visible (a re-run writes a new members stream), and two takes of one name
 * cannot both succeed.
 */
export class BaselineCatalogue {
  private readonly headers = new Map<string, BaselineHeader>();
  private readonly writes = new KeyedSerializer();
  /** The members of the baselines read last (a diff or restore reads them more than once). */
  private readonly membersCache = new Map<string, readonly BaselineMember[]>();
  /** The headers; each baseline's members have a stream of their own. */
  private readonly stream: StreamFollower;
  private readonly membersPrefix: string;

  constructor(private readonly deps: CatalogueDeps) {
    const prefix = deps.streamPrefix ?? CATALOGUE_PREFIX;
    this.stream = new StreamFollower(deps.catalogue, `${prefix}baselines`, (raw) => this.apply(raw));
    this.membersPrefix = `${prefix}baseline-members-`;
  }

  async list(): Promise<BaselineHeader[]> {
    await this.refresh();
    return [...this.headers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: string): Promise<BaselineHeader> {
    await this.refresh();
    const header = this.headers.get(name);
    if (!header) throw new BaselineNotFoundError(name);
    return header;
  }

  async exists(name: string): Promise<boolean> {
    await this.refresh();
    return this.headers.has(name);
  }

  /** The members in CI id order, checked against the header's digest. */
  async members(header: BaselineHeader): Promise<readonly BaselineMember[]> {
    const cached = this.membersCache.get(header.membersStream);
    if (cached) return cached;
    const events = await this.deps.catalogue.readStream(header.membersStream, { toRevision: header.chunks });
    const members: BaselineMember[] = [];
    for (const raw of events) {
      const parsed = BaselineMembersRecordedSchema.safeParse({ type: raw.type, data: raw.data });
      if (!parsed.success) throw new CorruptEventError(raw.position, raw.streamName, parsed.error.message);
      for (const member of parsed.data.data.members) members.push(member);
    }
    if (events.length !== header.chunks || digestOf(members) !== header.digest) {
      throw new CorruptEventError(
        0,
        header.membersStream,
        `the members of baseline "${header.name}" do not match the digest recorded with it`,
      );
    }
    if (this.membersCache.size >= 4) this.membersCache.delete(this.membersCache.keys().next().value!);
    this.membersCache.set(header.membersStream, members);
    return members;
  }

  /** Records a baseline; BaselineExistsError if its name is taken (now, or by a concurrent take). */
  record(
    baseline: Omit<BaselineTaken, 'members' | 'membersStream' | 'chunks' | 'digest'>,
    members: readonly BaselineMember[],
    metadata: ChangeMetadata,
  ): Promise<BaselineHeader> {
    return this.writes.run(this.stream.stream, async () => {
      if (await this.exists(baseline.name)) throw new BaselineExistsError(baseline.name);
      const recordedAt = this.deps.clock.now().toISOString();
      const checkedMetadata = ChangeMetadataSchema.parse(metadata);
      const membersStream = `${this.membersPrefix}${this.deps.newEventId()}`;
      let chunks = 0;
      for (let start = 0; start < members.length; start += CHUNK, chunks++) {
        await this.deps.catalogue.append(
          membersStream,
          [
            {
              id: this.deps.newEventId(),
              type: 'BaselineMembersRecorded',
              data: { chunk: chunks, members: members.slice(start, start + CHUNK) },
              metadata: checkedMetadata,
              recordedAt,
            },
          ],
          chunks === 0 ? 'no_stream' : chunks,
        );
      }
      const data: BaselineTaken = {
        ...baseline,
        members: members.length,
        membersStream,
        chunks,
        digest: digestOf(members),
      };
      for (;;) {
        try {
          await this.deps.catalogue.append(
            this.stream.stream,
            [{ id: this.deps.newEventId(), type: 'BaselineTaken', data, metadata: checkedMetadata, recordedAt }],
            this.stream.revision === 0 ? 'no_stream' : this.stream.revision,
          );
          break;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
          // Another instance recorded a baseline: ours still may be recorded, unless it took our name.
          if (await this.exists(baseline.name)) throw new BaselineExistsError(baseline.name);
        }
      }
      return this.get(baseline.name);
    });
  }

  refresh(): Promise<void> {
    return this.stream.refresh();
  }

  private apply(raw: RecordedEvent): void {
    const { event, metadata } = parseCatalogueEvent(BaselineTakenSchema, raw);
    this.headers.set(event.data.name, { ...event.data, takenAt: raw.recordedAt, metadata });
  }
}

function digestOf(members: readonly BaselineMember[]): string {
  const hash = createHash('sha256');
  for (const [ciId, revision] of members) hash.update(`${ciId}\u0000${revision}\n`);
  return `sha256:${hash.digest('hex')}`;
}
