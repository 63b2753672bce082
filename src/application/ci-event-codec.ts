import {
  ChangeMetadataSchema,
  CiEventSchema,
  ciIdFromStream,
  compiledSchema,
  type ChangeMetadata,
  type CiEvent,
  type RecordedCiEvent,
} from '../domain';
import type { NewEvent, RecordedEvent } from '../ports/event-store';

/**
 * Maps CI events to and from the log's envelope, validating both ways: before
 * append (so nothing malformed is ever written) and after read (so a bad
 * event is reported with its position instead of corrupting a view).
 */

// Every event written and every event read back is checked: by the compiled schemas.
const CiEvent = compiledSchema(CiEventSchema);
const Metadata = compiledSchema(ChangeMetadataSchema);

export class CorruptEventError extends Error {
  constructor(position: number, streamName: string, reason: string) {
    super(`event at position ${position} in ${streamName} is not a valid CI event: ${reason}`);
  }
}

export function toNewEvent(event: CiEvent, metadata: ChangeMetadata, recordedAt: string, id: string): NewEvent {
  const checked = CiEvent.parse(event);
  return { id, type: checked.type, data: checked.data, metadata: Metadata.parse(metadata), recordedAt };
}

export function toRecordedCiEvent(raw: RecordedEvent): RecordedCiEvent {
  const ciId = ciIdFromStream(raw.streamName);
  if (ciId === undefined) throw new CorruptEventError(raw.position, raw.streamName, 'not a CI stream');
  const event = CiEvent.safeParse({ type: raw.type, data: raw.data });
  if (!event.success) throw new CorruptEventError(raw.position, raw.streamName, event.error.message);
  const metadata = Metadata.safeParse(raw.metadata);
  if (!metadata.success) throw new CorruptEventError(raw.position, raw.streamName, metadata.error.message);
  return {
    eventId: raw.id,
    ciId,
    revision: raw.revision,
    position: raw.position,
    recordedAt: raw.recordedAt,
    event: event.data,
    metadata: metadata.data,
  };
}
