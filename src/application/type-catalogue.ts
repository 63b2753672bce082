import { isDeepStrictEqual } from 'node:util';
import {
  ChangeMetadataSchema,
  CiTypeDefinedSchema,
  CiTypeDefinitionSchema,
  type ChangeMetadata,
  type CiTypeDefinition,
  type CiTypeVersion,
} from '../domain';
import { ConcurrencyError, type RecordedEvent } from '../ports/event-store';
import { compileAttributeSchema } from './attribute-schema';
import { PreconditionFailedError } from './errors';
import { CATALOGUE_PREFIX, parseCatalogueEvent, type CatalogueDeps } from './catalogue-log';
import { KeyedSerializer } from './keyed-serializer';
import { StreamFollower } from './stream-follower';

/** A definition names a type nobody defined (a relationship rule's target type). */
export class UnknownTypeReferenceError extends Error {
  constructor(
    readonly field: string,
    readonly typeName: string,
  ) {
    super(
      `"${typeName}" is not a defined CI type; define it first (PUT /api/v1/types/${typeName}), ` +
        'or leave this rule out and add it once that type exists',
    );
  }
}

export class TypeNotFoundError extends Error {
  constructor(
    readonly typeName: string,
    detail = `CI type "${typeName}" is not defined; define it with PUT /api/v1/types/${typeName}`,
  ) {
    super(detail);
  }
}

/**
 * The CI types, event-sourced in the catalogue log: one `CiTypeDefined`
 * event per definition, the whole definition each time. The catalogue keeps
 * every type's versions in memory and, before answering, reads whatever was
 * appended since (one stream-head lookup when nothing was), so a definition
 * made through another instance is in force here at once.
 */
export class TypeCatalogue {
  private readonly versions = new Map<string, CiTypeVersion[]>();
  private readonly writes = new KeyedSerializer();
  /** Every type's definitions, in one stream: types are few and change rarely. */
  private readonly stream: StreamFollower;

  constructor(private readonly deps: CatalogueDeps) {
    this.stream = new StreamFollower(deps.catalogue, `${deps.streamPrefix ?? CATALOGUE_PREFIX}types`, (raw) =>
      this.apply(raw),
    );
  }

  /** The current definition of a type, or undefined when it has none (free-form). */
  async current(type: string): Promise<CiTypeVersion | undefined> {
    await this.refresh();
    return this.versions.get(type)?.at(-1);
  }

  /** The definition in force at `at` (ms since the epoch); undefined when the type was not defined yet. */
  async at(type: string, at: number): Promise<CiTypeVersion | undefined> {
    await this.refresh();
    return versionAt(this.versions.get(type), at);
  }

  async history(type: string): Promise<readonly CiTypeVersion[]> {
    await this.refresh();
    const versions = this.versions.get(type);
    if (!versions) throw new TypeNotFoundError(type);
    return versions;
  }

  /** Every type defined at `at` (default now), in name order. */
  async list(at?: number): Promise<CiTypeVersion[]> {
    await this.refresh();
    const found: CiTypeVersion[] = [];
    for (const [, versions] of [...this.versions].sort(([a], [b]) => (a < b ? -1 : 1))) {
      // Read once above: each type is looked up in memory, not refreshed again.
      const version = at === undefined ? versions.at(-1) : versionAt(versions, at);
      if (version) found.push(version);
    }
    return found;
  }

  /**
   * Records a new definition of `type` (validated, its schema compiled), or
   * nothing when it equals the current one. `ifMatch` pins the type's revision.
   */
  define(
    type: string,
    definition: CiTypeDefinition,
    metadata: ChangeMetadata,
    ifMatch?: readonly number[] | '*',
  ): Promise<{ version: CiTypeVersion; created: boolean; appended: boolean }> {
    const checked = CiTypeDefinitionSchema.parse(definition);
    compileAttributeSchema(checked.schema); // throws with ajv's message on a bad schema
    // One writer per process; other processes are caught by the stream's expected revision.
    return this.writes.run(this.stream.stream, async () => {
      for (;;) {
        await this.refresh();
        this.checkReferences(type, checked);
        const current = this.versions.get(type)?.at(-1);
        const revision = current?.revision ?? 0;
        if (ifMatch !== undefined && !(ifMatch === '*' ? revision > 0 : ifMatch.includes(revision))) {
          throw new PreconditionFailedError(
            type,
            revision,
            `If-Match does not hold: type "${type}" is at revision ${revision}; re-read it (ETag) and retry`,
          );
        }
        if (current && isDeepStrictEqual(current.definition, checked)) {
          return { version: current, created: false, appended: false };
        }
        const previous = current ? Date.parse(current.recordedAt) + 1 : Number.NEGATIVE_INFINITY;
        const recordedAt = new Date(Math.max(this.deps.clock.now().getTime(), previous)).toISOString();
        try {
          await this.deps.catalogue.append(
            this.stream.stream,
            [
              {
                id: this.deps.newEventId(),
                type: 'CiTypeDefined',
                data: { type, definition: checked },
                metadata: ChangeMetadataSchema.parse(metadata),
                recordedAt,
              },
            ],
            this.stream.revision === 0 ? 'no_stream' : this.stream.revision,
          );
        } catch (error) {
          if (error instanceof ConcurrencyError) continue; // another instance defined a type: decide again
          throw error;
        }
        await this.refresh();
        return { version: this.versions.get(type)!.at(-1)!, created: revision === 0, appended: true };
      }
    });
  }

  /** Relationship rules may name the type itself or types already defined (a typo is caught, not kept). */
  private checkReferences(type: string, definition: CiTypeDefinition): void {
    for (const [relationship, rule] of Object.entries(definition.relationships ?? {})) {
      rule.targets?.forEach((target, index) => {
        if (target !== type && !this.versions.has(target)) {
          throw new UnknownTypeReferenceError(`relationships.${relationship}.targets[${index}]`, target);
        }
      });
    }
  }

  refresh(): Promise<void> {
    return this.stream.refresh();
  }

  private apply(raw: RecordedEvent): void {
    const { event, metadata } = parseCatalogueEvent(CiTypeDefinedSchema, raw);
    const versions = this.versions.get(event.data.type) ?? [];
    versions.push({
      type: event.data.type,
      revision: versions.length + 1,
      recordedAt: raw.recordedAt,
      definition: event.data.definition,
      metadata,
    });
    this.versions.set(event.data.type, versions);
  }
}

function versionAt(versions: readonly CiTypeVersion[] | undefined, at: number): CiTypeVersion | undefined {
  return versions?.findLast((version) => Date.parse(version.recordedAt) <= at);
}
