import { z } from 'zod';
import { BaselineNameSchema, CiIdSchema, CiTypeDefinitionSchema, TokenSchema } from '../../domain';
import { EvidenceQuerySchema } from '../routes/audit-routes';
import {
  AgainstSchema,
  RestoreBodySchema as BaselineRestoreBodySchema,
  StatesQuerySchema,
  TakeBodySchema,
} from '../routes/baseline-routes';
import { changesQuerySchema } from '../routes/change-routes';
import { RevertBodySchema } from '../routes/change-set-routes';
import { StreamQuerySchema } from '../routes/change-stream-routes';
import { DiffQuerySchema, HistoryQuerySchema, ListQuerySchema, SingleCiQuerySchema } from '../routes/ci-read-routes';
import { PostBodySchema, PutBodySchema, RestoreBodySchema, RetireBodySchema } from '../routes/ci-write-routes';
import { ImpactQuerySchema, RelationshipsQuerySchema } from '../routes/graph-routes';
import { ImportListQuerySchema, ImportQuerySchema } from '../routes/import-routes';
import { ItemsQuerySchema, RunQuerySchema } from '../routes/reconciliation-routes';
import { RenewalsQuerySchema, StatusQuerySchema, transitionsQuerySchema } from '../routes/report-routes';
import { AsOfQuerySchema } from '../routes/type-routes';
import * as R from './response-schemas';

/** One response: a JSON body described by a schema, or another media type described in words. */
export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The same answer in another media type, chosen by Accept (or ?format=). */
  readonly alternative?: { readonly contentType: string; readonly description: string };
}

/**
 * One operation of the API, described with the very zod schemas its route
 * parses with: the OpenAPI document is generated from this list, and a test
 * checks that every route the app serves is in it.
 */
export interface OperationDoc {
  readonly method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  /** The Express path (`/api/v1/cis/:id`). */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodType;
  readonly body?: { readonly schema: z.ZodType; readonly contentType?: string; readonly required?: boolean };
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Served without authentication (probes, the description itself). */
  readonly public?: boolean;
}

const API = '/api/v1';
const anyTime = () => 0; // durations in a schema are anchored at request time; the description needs none
const ciId = { id: CiIdSchema };
const ETAG = 'the revision, as a strong validator: send it back in If-Match';
const WRITE_HEADERS = { ETag: ETAG, 'X-Position': 'the log position of the event appended' };
const ciWritten = {
  200: { description: 'changed (or unchanged: nothing appended)', schema: R.CiSchema, headers: WRITE_HEADERS },
  201: { description: 'registered', schema: R.CiSchema, headers: { ...WRITE_HEADERS, Location: 'the CI' } },
};
const NDJSON = 'application/x-ndjson';
const csvToo = { contentType: 'text/csv', description: 'the same rows as CSV, with a header row' };

export const OPERATIONS: readonly OperationDoc[] = [
  // CIs
  {
    method: 'get',
    path: `${API}/cis`,
    operationId: 'listCis',
    tag: 'CIs',
    summary: 'List CIs, now or as of an instant',
    query: ListQuerySchema,
    responses: { 200: { description: 'a page of CIs, by id', schema: R.CiPageSchema } },
  },
  {
    method: 'post',
    path: `${API}/cis`,
    operationId: 'registerCi',
    tag: 'CIs',
    summary: 'Register a CI (409 if the id exists)',
    body: { schema: PostBodySchema },
    responses: { 201: ciWritten[201] },
  },
  {
    method: 'get',
    path: `${API}/cis/:id`,
    operationId: 'getCi',
    tag: 'CIs',
    summary: 'A CI now, as of an instant, or at a revision',
    params: ciId,
    query: SingleCiQuerySchema,
    responses: {
      200: { description: 'the CI', schema: R.CiSchema, headers: { ETag: ETAG } },
      304: { description: 'unchanged since the If-None-Match revision' },
    },
  },
  {
    method: 'put',
    path: `${API}/cis/:id`,
    operationId: 'declareCi',
    tag: 'CIs',
    summary: 'Declare the desired state of a CI (creates or changes; idempotent)',
    params: ciId,
    body: { schema: PutBodySchema },
    responses: ciWritten,
  },
  {
    method: 'patch',
    path: `${API}/cis/:id`,
    operationId: 'patchCi',
    tag: 'CIs',
    summary: 'Change part of a CI (JSON Merge Patch, RFC 7396)',
    params: ciId,
    body: { schema: z.looseObject({}), contentType: 'application/merge-patch+json' },
    responses: { 200: ciWritten[200] },
  },
  {
    method: 'delete',
    path: `${API}/cis/:id`,
    operationId: 'retireCi',
    tag: 'CIs',
    summary: 'Retire a CI (its history stays)',
    params: ciId,
    body: { schema: RetireBodySchema, required: false },
    responses: { 200: ciWritten[200] },
  },
  {
    method: 'get',
    path: `${API}/cis/:id/history`,
    operationId: 'getCiHistory',
    tag: 'History',
    summary: 'Every change of a CI, oldest first: who, why, when, and the patch',
    params: ciId,
    query: HistoryQuerySchema,
    responses: { 200: { description: 'a page of changes', schema: R.HistoryPageSchema, headers: { ETag: ETAG } } },
  },
  {
    method: 'get',
    path: `${API}/cis/:id/diff`,
    operationId: 'diffCi',
    tag: 'History',
    summary: 'The JSON Patch between two revisions or instants of a CI',
    params: ciId,
    query: DiffQuerySchema,
    responses: { 200: { description: 'the patch from `from` to `to`', schema: R.CiDiffSchema } },
  },
  {
    method: 'post',
    path: `${API}/cis/:id/restore`,
    operationId: 'restoreCi',
    tag: 'History',
    summary: 'Restore a CI to an earlier revision or instant (dryRun: the patch only)',
    params: ciId,
    body: { schema: RestoreBodySchema },
    responses: {
      200: {
        description: 'restored (a CI), or with dryRun the patch it would apply',
        schema: z.union([R.CiSchema, R.PatchPreviewSchema]),
        headers: WRITE_HEADERS,
      },
    },
  },
  // Graph
  {
    method: 'get',
    path: `${API}/cis/:id/relationships`,
    operationId: 'getRelationships',
    tag: 'Graph',
    summary: 'The edges around a CI, now or as of an instant',
    params: ciId,
    query: RelationshipsQuerySchema,
    responses: { 200: { description: 'the edges', schema: R.RelationshipsPageSchema } },
  },
  {
    method: 'get',
    path: `${API}/cis/:id/impact`,
    operationId: 'getImpact',
    tag: 'Graph',
    summary: 'What depends on a CI (or what it depends on), breadth-first',
    params: ciId,
    query: ImpactQuerySchema,
    responses: { 200: { description: 'the CIs reached, each with a shortest path', schema: R.ImpactSchema } },
  },
  // Change feed
  {
    method: 'get',
    path: `${API}/changes`,
    operationId: 'listChanges',
    tag: 'Changes',
    summary: 'The change feed, newest first; relatedTo narrows it to a CI and its impact set',
    query: changesQuerySchema(anyTime),
    responses: { 200: { description: 'a page of changes', schema: R.ChangePageSchema } },
  },
  {
    method: 'get',
    path: `${API}/changes/stream`,
    operationId: 'streamChanges',
    tag: 'Changes',
    summary: 'The change feed as Server-Sent Events (resume with Last-Event-ID)',
    description:
      'Each event is `id: <log position>` and `data: <a Change as JSON>`, oldest first. ' +
      'A browser EventSource cannot send headers: ask POST /changes/stream/tickets for a ?ticket=.',
    query: StreamQuerySchema,
    responses: { 200: { description: 'the stream', contentType: 'text/event-stream' } },
  },
  {
    method: 'post',
    path: `${API}/changes/stream/tickets`,
    operationId: 'createStreamTicket',
    tag: 'Changes',
    summary: 'A short-lived ticket that opens change streams (authentication on only)',
    responses: { 201: { description: 'the ticket and the stream URL with it', schema: R.StreamTicketSchema } },
  },
  // Types
  {
    method: 'get',
    path: `${API}/types`,
    operationId: 'listTypes',
    tag: 'Types',
    summary: 'The CI types defined, now or as of an instant',
    query: AsOfQuerySchema,
    responses: { 200: { description: 'the types', schema: R.CiTypeListSchema } },
  },
  {
    method: 'get',
    path: `${API}/types/:type`,
    operationId: 'getType',
    tag: 'Types',
    summary: 'A CI type, now or as of an instant',
    params: { type: TokenSchema },
    query: AsOfQuerySchema,
    responses: { 200: { description: 'the type', schema: R.CiTypeSchema, headers: { ETag: ETAG } } },
  },
  {
    method: 'put',
    path: `${API}/types/:type`,
    operationId: 'defineType',
    tag: 'Types',
    summary: 'Define (or redefine) a CI type: attribute schema, relationship rules, lifecycle',
    params: { type: TokenSchema },
    body: { schema: CiTypeDefinitionSchema },
    responses: {
      200: { description: 'redefined (or unchanged)', schema: R.CiTypeSchema, headers: { ETag: ETAG } },
      201: { description: 'defined', schema: R.CiTypeSchema, headers: { ETag: ETAG, Location: 'the type' } },
    },
  },
  {
    method: 'get',
    path: `${API}/types/:type/history`,
    operationId: 'getTypeHistory',
    tag: 'Types',
    summary: 'Every definition of a CI type, oldest first',
    params: { type: TokenSchema },
    responses: { 200: { description: 'the definitions', schema: R.CiTypeListSchema } },
  },
  // Change sets, baselines
  {
    method: 'post',
    path: `${API}/change-sets/:changeRef/revert`,
    operationId: 'revertChangeSet',
    tag: 'Configuration control',
    summary: 'Undo every change recorded under a change reference, CI by CI',
    params: { changeRef: z.string().max(256) },
    body: { schema: RevertBodySchema, required: false },
    responses: { 200: { description: 'what was (or would be) done to each CI', schema: R.RevertSchema } },
  },
  {
    method: 'get',
    path: `${API}/baselines`,
    operationId: 'listBaselines',
    tag: 'Configuration control',
    summary: 'The baselines taken',
    responses: { 200: { description: 'the baselines', schema: R.BaselineListSchema } },
  },
  {
    method: 'post',
    path: `${API}/baselines`,
    operationId: 'takeBaseline',
    tag: 'Configuration control',
    summary: 'Take a named baseline: now, as of an instant, or at a log position',
    body: { schema: TakeBodySchema },
    responses: {
      201: { description: 'taken', schema: R.BaselineTakenSchema, headers: { Location: 'the baseline' } },
    },
  },
  {
    method: 'get',
    path: `${API}/baselines/:name`,
    operationId: 'getBaseline',
    tag: 'Configuration control',
    summary: "A baseline and its members' frozen states, paged",
    params: { name: BaselineNameSchema },
    query: StatesQuerySchema,
    responses: { 200: { description: 'the baseline', schema: R.BaselineStatesSchema } },
  },
  {
    method: 'get',
    path: `${API}/baselines/:name/diff`,
    operationId: 'diffBaseline',
    tag: 'Configuration control',
    summary: 'A baseline against now, an instant, or another baseline',
    params: { name: BaselineNameSchema },
    query: AgainstSchema,
    responses: { 200: { description: 'added, removed and changed CIs', schema: R.BaselineDiffSchema } },
  },
  {
    method: 'post',
    path: `${API}/baselines/:name/restore`,
    operationId: 'restoreBaseline',
    tag: 'Configuration control',
    summary: 'Restore every CI that differs from a baseline (dryRun first)',
    params: { name: BaselineNameSchema },
    body: { schema: BaselineRestoreBodySchema, required: false },
    responses: { 200: { description: 'what was (or would be) done', schema: R.BaselineRestoreSchema } },
  },
  // Imports, reconciliations, reports
  {
    method: 'post',
    path: `${API}/imports`,
    operationId: 'importCis',
    tag: 'Migration and reconciliation',
    summary: 'Import desired states, one JSON object per line (NDJSON)',
    description:
      'Answers NDJSON: one result per line in line order, then `{"summary": …}`; ' +
      'a failure midway ends with `{"error": …}` saying how to resume.',
    query: ImportQuerySchema,
    body: { schema: PostBodySchema, contentType: NDJSON },
    responses: {
      200: { description: 'the results, as NDJSON', contentType: NDJSON, headers: { 'X-Import-Id': 'the import id' } },
    },
  },
  {
    method: 'get',
    path: `${API}/imports`,
    operationId: 'listImports',
    tag: 'Migration and reconciliation',
    summary: 'Recent imports and where each got to',
    query: ImportListQuerySchema,
    responses: { 200: { description: 'the imports', schema: R.ImportListSchema } },
  },
  {
    method: 'get',
    path: `${API}/imports/:importId`,
    operationId: 'getImport',
    tag: 'Migration and reconciliation',
    summary: 'Where one import got to',
    params: { importId: z.string() },
    responses: { 200: { description: 'the import', schema: R.ImportRecordSchema } },
  },
  {
    method: 'post',
    path: `${API}/reconciliations`,
    operationId: 'reconcile',
    tag: 'Migration and reconciliation',
    summary: 'Compare an observed snapshot (NDJSON) with the record; apply=true records the observed states',
    query: RunQuerySchema,
    body: { schema: PostBodySchema, contentType: NDJSON },
    responses: {
      201: { description: 'the kept report', schema: R.ReconciliationSchema, headers: { Location: 'the report' } },
    },
  },
  {
    method: 'get',
    path: `${API}/reconciliations`,
    operationId: 'listReconciliations',
    tag: 'Migration and reconciliation',
    summary: 'The reconciliation reports kept',
    responses: { 200: { description: 'the reports', schema: R.ReconciliationListSchema } },
  },
  {
    method: 'get',
    path: `${API}/reconciliations/:id`,
    operationId: 'getReconciliation',
    tag: 'Migration and reconciliation',
    summary: 'A reconciliation report and its findings, paged',
    params: { id: z.string() },
    query: ItemsQuerySchema,
    responses: { 200: { description: 'the report', schema: R.ReconciliationPageSchema } },
  },
  {
    method: 'get',
    path: `${API}/reports/status`,
    operationId: 'reportStatus',
    tag: 'Reports',
    summary: 'CIs counted by type and status, now or as of an instant',
    query: StatusQuerySchema,
    responses: { 200: { description: 'the counts', schema: R.StatusReportSchema, alternative: csvToo } },
  },
  {
    method: 'get',
    path: `${API}/reports/transitions`,
    operationId: 'reportTransitions',
    tag: 'Reports',
    summary: 'Lifecycle transitions in a window',
    query: transitionsQuerySchema(anyTime),
    responses: {
      200: { description: 'a page of transitions', schema: R.TransitionsReportSchema, alternative: csvToo },
    },
  },
  {
    method: 'get',
    path: `${API}/reports/renewals`,
    operationId: 'reportRenewals',
    tag: 'Reports',
    summary: 'Warranties, licences and support contracts ending within a window',
    query: RenewalsQuerySchema,
    responses: { 200: { description: 'a page of renewals', schema: R.RenewalsReportSchema, alternative: csvToo } },
  },
  // Audit
  {
    method: 'get',
    path: `${API}/verify`,
    operationId: 'verifyLog',
    tag: 'Audit',
    summary: 'Recompute the hash chains of both logs (always 200: a broken chain is the answer)',
    responses: { 200: { description: 'the verification', schema: R.VerifySchema } },
  },
  {
    method: 'get',
    path: `${API}/evidence`,
    operationId: 'getEvidence',
    tag: 'Audit',
    summary: 'A signed evidence pack of CIs as of an instant',
    query: EvidenceQuerySchema,
    responses: { 200: { description: 'the pack (an attachment)', schema: R.EvidencePackSchema } },
  },
  {
    method: 'get',
    path: `${API}/evidence/public-key`,
    operationId: 'getEvidencePublicKey',
    tag: 'Audit',
    summary: 'The public key evidence packs are signed with',
    responses: { 200: { description: 'the key', schema: R.PublicKeySchema } },
  },
  {
    method: 'get',
    path: `${API}/whoami`,
    operationId: 'whoami',
    tag: 'Service',
    summary: 'Who the caller is and which roles it has',
    responses: { 200: { description: 'the caller', schema: R.WhoAmISchema } },
  },
  // Service
  {
    method: 'get',
    path: '/livez',
    operationId: 'livez',
    tag: 'Service',
    summary: 'Liveness: the process answers',
    public: true,
    responses: { 200: { description: 'alive', schema: R.LivenessSchema } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tag: 'Service',
    summary: 'Readiness: the stores answer and the views are close to the log',
    public: true,
    responses: {
      200: { description: 'ready', schema: R.ReadinessSchema },
      503: { description: 'not ready, with the failing checks', schema: R.ReadinessSchema },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'Service',
    summary: 'Prometheus metrics (protected like the API when authentication is on)',
    responses: { 200: { description: 'the Prometheus text format', contentType: 'text/plain' } },
  },
  {
    method: 'get',
    path: `${API}/openapi.json`,
    operationId: 'openapi',
    tag: 'Service',
    summary: 'This description (OpenAPI 3.1)',
    public: true,
    responses: { 200: { description: 'the description', contentType: 'application/json' } },
  },
];
