import { z } from 'zod';
import { CiDocumentSchema, CiIdSchema } from './ci';
import { JsonPatchSchema } from './json-patch';

/**
 * The events of a CI stream, declared once as zod schemas. Names are past
 * tense; every event that changes a CI carries the RFC 6902 patch from the
 * previous document, so history and the change feed need no recomputation.
 */

export const CiRegisteredSchema = z.strictObject({
  type: z.literal('CiRegistered'),
  data: z.strictObject({ ciId: CiIdSchema, document: CiDocumentSchema }),
});

export const CiChangedSchema = z.strictObject({
  type: z.literal('CiChanged'),
  data: z.strictObject({ ciId: CiIdSchema, patch: JsonPatchSchema }),
});

export const CiRetiredSchema = z.strictObject({
  type: z.literal('CiRetired'),
  data: z.strictObject({ ciId: CiIdSchema, patch: JsonPatchSchema }),
});

export const CiRestoredSchema = z.strictObject({
  type: z.literal('CiRestored'),
  data: z.strictObject({
    ciId: CiIdSchema,
    patch: JsonPatchSchema,
    /** The revision whose document was restored. */
    restoredRevision: z.number().int().positive(),
  }),
});

export const CiEventSchema = z.discriminatedUnion('type', [
  CiRegisteredSchema,
  CiChangedSchema,
  CiRetiredSchema,
  CiRestoredSchema,
]);
export type CiEvent = z.infer<typeof CiEventSchema>;
export type CiEventType = CiEvent['type'];
export const CI_EVENT_TYPES: readonly CiEventType[] = ['CiRegistered', 'CiChanged', 'CiRetired', 'CiRestored'];

/** Where a change came from: the API, an import, a restore, a discovery tool… */
export const ChangeSourceSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a lower-case token of at most 32 characters');

/** Who, why and under which ticket: carried by every event. */
export const ChangeMetadataSchema = z.strictObject({
  /** The authenticated principal; with authentication off, what X-Actor said (or `anonymous`). */
  actor: z.string().min(1).max(256),
  /**
   * With authentication on, the person an integration says it acts for (its
   * X-Actor header): recorded, never trusted as the actor. Absent on events
   * recorded before it existed, and read back as null.
   */
  onBehalfOf: z.string().min(1).max(256).nullable().optional(),
  reason: z.string().max(4096).nullable(),
  changeRef: z.string().max(256).nullable(),
  source: ChangeSourceSchema,
  correlationId: z.string().max(256).nullable(),
});
export type ChangeMetadata = z.infer<typeof ChangeMetadataSchema>;

/** A CI event as read back from the log, validated. */
export interface RecordedCiEvent {
  readonly eventId: string;
  readonly ciId: string;
  readonly revision: number;
  readonly position: number;
  /** RFC 3339, ms precision; strictly increasing within one CI's stream. */
  readonly recordedAt: string;
  readonly event: CiEvent;
  readonly metadata: ChangeMetadata;
}

export const CI_STREAM_PREFIX = 'ci-';

export function ciStreamName(ciId: string): string {
  return `${CI_STREAM_PREFIX}${ciId}`;
}

export function ciIdFromStream(streamName: string): string | undefined {
  return streamName.startsWith(CI_STREAM_PREFIX) ? streamName.slice(CI_STREAM_PREFIX.length) : undefined;
}
