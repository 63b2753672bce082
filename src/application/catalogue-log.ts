import type { z } from 'zod';
import { ChangeMetadataSchema, type ChangeMetadata } from '../domain';
import type { Clock } from '../ports/clock';
import type { EventStore, RecordedEvent } from '../ports/event-store';
import { CorruptEventError } from './ci-event-codec';

/** The catalogue's streams are named with this prefix (a test sharing a server gives its own). */
export const CATALOGUE_PREFIX = 'catalogue-';

/** What every keeper of the catalogue log (types, baselines, imports, reconciliations) is given. */
export interface CatalogueDeps {
  readonly catalogue: EventStore;
  readonly clock: Clock;
  readonly newEventId: () => string;
  readonly streamPrefix?: string;
}

/** A catalogue event read back and validated, or CorruptEventError naming where it is. */
export function parseCatalogueEvent<S extends z.ZodType>(
  schema: S,
  raw: RecordedEvent,
): { event: z.output<S>; metadata: ChangeMetadata } {
  const event = schema.safeParse({ type: raw.type, data: raw.data });
  const metadata = ChangeMetadataSchema.safeParse(raw.metadata);
  if (!event.success || !metadata.success) {
    throw new CorruptEventError(raw.position, raw.streamName, (event.error ?? metadata.error)!.message);
  }
  return { event: event.data, metadata: metadata.data };
}
