import { z } from 'zod';
import { CI_EVENT_TYPES, CiDocumentSchema, CiIdSchema, JsonPatchSchema, type CiEventType } from '../domain';

/**
 * The downstream message formats, declared once: the relay builds them, the
 * Kafka adapter serialises them, and docs/schemas/ holds their JSON Schema
 * (generated from these by `npm run docs:schemas`).
 */

/** One change to one CI: the value of a message on the change topic. */
export const CiChangeMessageSchema = z.object({
  eventId: z.string().describe('unique id of the event; consumers de-duplicate on it (also the ce_id header)'),
  ciId: CiIdSchema,
  ciType: z.string().describe('the CI type after the change'),
  revision: z.number().int().positive().describe("the CI's revision after the change: 1 for its registration"),
  position: z.number().int().positive().describe('position of the event in the global log'),
  eventType: z.enum(CI_EVENT_TYPES as [CiEventType, ...CiEventType[]]),
  recordedAt: z.string().describe('RFC 3339 time the change was recorded; never goes backwards for one CI'),
  actor: z.string().describe('the authenticated principal that made the change'),
  onBehalfOf: z.string().nullable().describe('the person an integration acted for (its X-Actor), when it said'),
  reason: z.string().nullable(),
  changeRef: z.string().nullable().describe('change ticket / RFC id'),
  source: z.string().describe('api, import, restore, discovery, …'),
  correlationId: z.string().nullable().describe('the X-Request-Id of the write'),
  patch: JsonPatchSchema.describe('RFC 6902 patch from the previous CI document to this one'),
});
export type CiChangeMessage = z.infer<typeof CiChangeMessageSchema>;

/** The full latest state of a CI: the value of a message on the compacted state topic. */
export const CiStateMessageSchema = CiDocumentSchema.extend({
  id: CiIdSchema,
  revision: z.number().int().positive(),
  position: z.number().int().positive(),
  recordedAt: z.string(),
});
export type CiStateMessage = z.infer<typeof CiStateMessageSchema>;

/**
 * A message too large for the broker goes out as a claim check (the
 * CloudEvents `dataref` header names where to read it whole): the change
 * without its patch, the state without attributes and relationships, and
 * `truncated: true`.
 */
export const CiChangeClaimCheckSchema = CiChangeMessageSchema.omit({ patch: true }).extend({
  truncated: z.literal(true).describe('the patch was too large for the broker: read it from the ce_dataref header URL'),
});
export const CiStateClaimCheckSchema = CiStateMessageSchema.omit({ attributes: true, relationships: true }).extend({
  truncated: z.literal(true).describe('the state was too large for the broker: read it from the ce_dataref header URL'),
});

export interface RelayItem {
  readonly change: CiChangeMessage;
  /** The CI as it stood right after this change. */
  readonly state: CiStateMessage;
}

/**
 * Where the relay sends changes. `publish` resolves only once every item is
 * acknowledged by the destination, and keeps the order of items with the same
 * CI id; it may have delivered some items before rejecting (the relay then
 * re-sends them: delivery is at-least-once).
 */
export interface Publisher {
  readonly name: string;
  publish(items: readonly RelayItem[]): Promise<void>;
  /** Flushes and disconnects. */
  close(): Promise<void>;
}
