import { z } from 'zod';
import { CiIdSchema, CiStatusSchema, TokenSchema } from './ci';
import { ChangeMetadataSchema } from './events';

/**
 * A baseline: a named, frozen reference to the states of a set of CIs at one
 * point of the log. It holds no documents: each member is a CI id and the
 * revision it had then (a place in its stream), so taking one is cheap and
 * the states are read back from the log's own versions, exactly.
 */

export const BaselineNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/,
    'must be 1-128 characters: letters, digits and . _ : @ -, starting with a letter or digit',
  );

/** Which CIs: all of them unless narrowed (`type`, `status` as they stood at the point; `ids` by name). */
export const BaselineSelectorSchema = z.strictObject({
  type: TokenSchema.optional(),
  status: CiStatusSchema.optional(),
  ids: z.array(CiIdSchema).min(1, 'must name at least one CI; leave it out to select every CI').max(100_000).optional(),
});
export type BaselineSelector = z.infer<typeof BaselineSelectorSchema>;

/** One member: [ciId, revision], kept as a pair so 100,000 of them stay small. */
export const BaselineMemberSchema = z.tuple([CiIdSchema, z.number().int().positive()]);
export type BaselineMember = z.infer<typeof BaselineMemberSchema>;

/** The header, appended to the baselines stream once every chunk of members is recorded. */
export const BaselineTakenSchema = z.strictObject({
  type: z.literal('BaselineTaken'),
  data: z.strictObject({
    name: BaselineNameSchema,
    /** The instant asked for, if one was (RFC 3339). */
    asOf: z.string().nullable(),
    /** The log position the baseline stands at: asked for, or the log's head when it was taken. */
    position: z.number().int().nonnegative(),
    selector: BaselineSelectorSchema,
    members: z.number().int().nonnegative(),
    /** The stream holding the members, in chunks, and how many chunks. */
    membersStream: z.string(),
    chunks: z.number().int().nonnegative(),
    /** sha256 over the members, to prove the chunks read back are the ones recorded. */
    digest: z.string(),
  }),
});
export type BaselineTaken = z.infer<typeof BaselineTakenSchema>['data'];

export const BaselineMembersRecordedSchema = z.strictObject({
  type: z.literal('BaselineMembersRecorded'),
  data: z.strictObject({ chunk: z.number().int().nonnegative(), members: z.array(BaselineMemberSchema) }),
});

/** A baseline as read back: its header and who took it, when, why. */
export interface BaselineHeader extends BaselineTaken {
  readonly takenAt: string;
  readonly metadata: z.infer<typeof ChangeMetadataSchema>;
}
