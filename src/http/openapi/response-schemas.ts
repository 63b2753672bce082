import { z } from 'zod';
import {
  AttributesSchema,
  BaselineSelectorSchema,
  CI_EVENT_TYPES,
  CiDocumentSchema,
  CiStatusSchema,
  CiTypeDefinitionSchema,
  JsonPatchSchema,
  RelationshipsSchema,
} from '../../domain';
import { ROLES } from '../../ports/authenticator';

/**
 * What the API answers, as zod schemas: the OpenAPI description is generated
 * from them, and the HTTP test suites check every real response against that
 * description, so a field added to a response without being described here
 * fails a test. They describe; the routes do not parse their own output.
 */

/** Named schemas: they become `#/components/schemas/<id>` in the description. */
export const components = z.registry<{ id: string; description?: string }>();

function named<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  components.add(schema, { id, ...(description && { description }) });
  return schema;
}

const instant = z.string().describe('RFC 3339 date-time, UTC');
const nextCursor = z
  .string()
  .nullable()
  .describe('pass back as ?cursor= (with the same filters) for the next page; null on the last page');

const FieldIssue = named(
  'FieldIssue',
  z.object({ field: z.string(), message: z.string() }),
  'One bad field: its path in the request, and what to do about it.',
);

export const ProblemSchema = named(
  'Problem',
  z.looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(FieldIssue).optional(),
    retryAfterSeconds: z.number().optional(),
  }),
  'RFC 9457 problem details; multi-CI operations add what they did before they stopped (done, notDone).',
);

export const CiSchema = named(
  'Ci',
  z.object({
    id: z.string(),
    type: z.string(),
    name: z.string(),
    status: CiStatusSchema,
    attributes: AttributesSchema,
    relationships: RelationshipsSchema,
    revision: z.number().int().min(1),
    recordedAt: instant,
  }),
  'A configuration item as it stands (or stood): secrets are shown as fingerprints.',
);

export const CiPageSchema = z.object({ items: z.array(CiSchema), nextCursor });

const changeFields = {
  revision: z.number().int().min(1),
  eventType: z.enum(CI_EVENT_TYPES as [string, ...string[]]),
  recordedAt: instant,
  actor: z.string(),
  onBehalfOf: z.string().nullable(),
  reason: z.string().nullable(),
  changeRef: z.string().nullable(),
  source: z.string(),
  correlationId: z.string().nullable(),
  patch: JsonPatchSchema,
};

export const HistoryPageSchema = z.object({
  items: z.array(named('HistoryEntry', z.object(changeFields), 'One change of one CI: who, why, when, and the patch.')),
  nextCursor,
});

export const ChangePageSchema = z.object({
  items: z.array(
    named(
      'Change',
      z.object({ position: z.number().int().min(0), ciId: z.string(), ciType: z.string(), ...changeFields }),
      'One change in the change feed, with its log position.',
    ),
  ),
  nextCursor,
});

const point = z.object({ revision: z.number().int().min(1), recordedAt: instant });
export const CiDiffSchema = z.object({ from: point, to: point, patch: JsonPatchSchema });
export const PatchPreviewSchema = z.object({ patch: JsonPatchSchema });

export const RelationshipsPageSchema = z.object({
  items: z.array(
    z.object({ source: z.string(), type: z.string(), target: z.string(), missing: z.literal(true).optional() }),
  ),
});

export const ImpactSchema = z.object({
  root: z.string(),
  asOf: instant,
  items: z.array(
    z.object({
      ciId: z.string(),
      depth: z.number().int().min(1),
      path: z.array(z.string()),
      via: z.array(z.string()),
      missing: z.literal(true).optional(),
    }),
  ),
  truncated: z.boolean(),
});

export const StreamTicketSchema = z.object({ ticket: z.string(), expiresAt: instant, url: z.string() });

export const WhoAmISchema = named(
  'WhoAmI',
  z.object({
    authentication: z.enum(['on', 'off']),
    name: z.string().nullable().describe('the authenticated principal; null with authentication off'),
    roles: z.array(z.enum(ROLES)),
  }),
  'Who the caller is and what it may do (with authentication off, anyone may do anything).',
);

const verified = z.object({
  ok: z.literal(true),
  events: z.number().int(),
  head: z.object({ position: z.number().int(), hash: z.string() }).nullable(),
  chain: z.enum(['global', 'per-stream']),
  upgrades: z.array(z.looseObject({})),
});
const broken = z.object({
  ok: z.literal(false),
  position: z.number().int(),
  ciId: z.string().nullable(),
  reason: z.string(),
  events: z.number().int(),
});
export const VerifySchema = z.union([
  verified.extend({ catalogue: verified.optional() }),
  broken.extend({ catalogue: z.union([verified, broken]).optional() }),
]);

export const EvidencePackSchema = named(
  'EvidencePack',
  z.object({
    format: z.literal('configledger-evidence/v1'),
    madeAt: instant,
    asOf: instant,
    selector: z.object({ ciId: z.string().nullable(), type: z.string().nullable() }),
    log: z.object({
      chain: z.enum(['global', 'per-stream']),
      verifiedEvents: z.number().int(),
      head: z.object({ position: z.number().int(), hash: z.string() }).nullable(),
    }),
    cis: z.array(
      z.object({ id: z.string(), revision: z.number().int(), recordedAt: instant, document: CiDocumentSchema }),
    ),
    events: z.array(z.looseObject({ position: z.number().int(), chain: z.looseObject({ hash: z.string() }) })),
    signature: z.object({
      algorithm: z.literal('Ed25519'),
      keyId: z.string(),
      publicKey: z.string(),
      value: z.string(),
    }),
  }),
  'A signed evidence pack: the CIs as of an instant, their events with chain links, and an Ed25519 signature.',
);

export const PublicKeySchema = z.object({ algorithm: z.literal('Ed25519'), keyId: z.string(), publicKey: z.string() });

const metadataFields = { actor: z.string(), reason: z.string().nullable(), changeRef: z.string().nullable() };

export const CiTypeSchema = named(
  'CiType',
  z.object({
    type: z.string(),
    revision: z.number().int().min(1),
    recordedAt: instant,
    ...CiTypeDefinitionSchema.shape,
    ...metadataFields,
  }),
  'A CI type: its definition as of a revision, and who recorded it, when and why.',
);
export const CiTypeListSchema = z.object({ items: z.array(CiTypeSchema) });

const outcomeCounts = z.record(z.string(), z.number().int());

export const RevertSchema = z.object({
  changeRef: z.string(),
  revertChangeRef: z.string(),
  dryRun: z.boolean(),
  counts: outcomeCounts,
  items: z.array(
    z.object({
      ciId: z.string(),
      outcome: z.string(),
      fields: z.array(z.string()),
      patch: JsonPatchSchema,
      conflicts: z.array(z.looseObject({})),
      revision: z.number().int(),
      issues: z.array(FieldIssue).optional(),
    }),
  ),
});

export const BaselineSchema = named(
  'Baseline',
  z.object({
    name: z.string(),
    asOf: instant.nullable(),
    position: z.number().int().min(0),
    selector: BaselineSelectorSchema,
    members: z.number().int().min(0),
    digest: z.string(),
    takenAt: instant,
    ...metadataFields,
  }),
  'A named, frozen reference to the states of a set of CIs at one point of the log.',
);
export const BaselineTakenSchema = BaselineSchema.extend({ note: z.string().optional() });
export const BaselineListSchema = z.object({ items: z.array(BaselineSchema) });
export const BaselineStatesSchema = BaselineSchema.extend({ items: z.array(CiSchema), nextCursor });
export const BaselineDiffSchema = z.object({
  baseline: z.string(),
  against: z.string(),
  items: z.array(
    z.object({ ciId: z.string(), change: z.enum(['added', 'removed', 'changed']), patch: JsonPatchSchema }),
  ),
});
export const BaselineRestoreSchema = z.object({
  baseline: z.string(),
  changeRef: z.string(),
  dryRun: z.boolean(),
  counts: outcomeCounts,
  items: z.array(
    z.object({
      ciId: z.string(),
      outcome: z.enum(['restore', 'restored', 'not-in-baseline', 'refused', 'changed-concurrently']),
      patch: JsonPatchSchema,
      revision: z.number().int(),
      issues: z.array(FieldIssue).optional(),
    }),
  ),
});

const importCounts = z.record(z.string(), z.number().int());
export const ImportRecordSchema = named(
  'ImportRecord',
  z.object({
    importId: z.string(),
    line: z.number().int().min(0).describe('every line up to this one is done'),
    counts: importCounts,
    completed: z.boolean(),
    startedAt: instant,
    updatedAt: instant,
    actor: z.string(),
  }),
  'Where an import has got to: resume an interrupted one with ?importId=.',
);
export const ImportListSchema = z.object({ items: z.array(ImportRecordSchema) });

const reconciliationSummary = z.object({
  id: z.string(),
  source: z.string(),
  scope: z.string(),
  apply: z.boolean(),
  counts: z.record(z.string(), z.number().int()),
  items: z.number().int().describe('findings in the report'),
  startedAt: instant,
  finishedAt: instant,
  actor: z.string(),
  changeRef: z.string().nullable(),
});
export const ReconciliationSchema = named(
  'Reconciliation',
  reconciliationSummary,
  'A kept reconciliation report: the record compared with an observed snapshot.',
);
export const ReconciliationListSchema = z.object({ items: z.array(ReconciliationSchema) });
export const ReconciliationPageSchema = reconciliationSummary.extend({
  items: z.array(
    z.object({
      kind: z.enum(['drift', 'new', 'missing', 'invalid']),
      ciId: z.string().optional(),
      line: z.number().int().optional(),
      patch: JsonPatchSchema.optional(),
      revision: z.number().int().optional(),
      errors: z.array(FieldIssue).optional(),
    }),
  ),
  nextCursor,
});

export const StatusReportSchema = z.object({
  asOf: instant.nullable(),
  total: z.number().int(),
  items: z.array(z.object({ type: z.string(), status: z.string(), count: z.number().int() })),
});
export const TransitionsReportSchema = z.object({
  since: instant,
  until: instant,
  items: z.array(
    z.object({
      ciId: z.string(),
      type: z.string(),
      from: CiStatusSchema,
      to: CiStatusSchema,
      revision: z.number().int(),
      recordedAt: instant,
    }),
  ),
  nextCursor,
});
export const RenewalsReportSchema = z.object({
  from: instant,
  within: z.string(),
  items: z.array(
    z.object({
      ciId: z.string(),
      type: z.string(),
      name: z.string(),
      status: CiStatusSchema,
      ends: z.string(),
      attribute: z.string(),
      date: z.string(),
    }),
  ),
  nextCursor,
});

export const LivenessSchema = z.object({ status: z.literal('ok') });
export const ReadinessSchema = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.looseObject({ ok: z.boolean() })),
});
