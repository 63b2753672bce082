import fc from 'fast-check';
import {
  LIFECYCLE_STATUSES,
  canonicalRelationships,
  MAX_ATTRIBUTE_DEPTH,
  findShapeIssue,
  type CiDocument,
} from '../../src/domain';

const token = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
const attributeKey = fc.string({ maxLength: 8 }).filter((key) => key !== '__proto__');

/** Valid attributes: any JSON object without a `__proto__` key at any depth (the schema refuses those). */
export const attributesArb = fc
  .dictionary(attributeKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  .filter((attributes) => findShapeIssue(attributes, MAX_ATTRIBUTE_DEPTH) === undefined) as fc.Arbitrary<
  CiDocument['attributes']
>;

export const relationshipsArb = fc
  .uniqueArray(fc.record({ type: fc.constantFrom('runs_on', 'depends_on', 'hosted_on'), target: token }), {
    maxLength: 4,
    selector: (r) => `${r.type}/${r.target}`,
  })
  .map(canonicalRelationships);

export const ciDocumentArb: fc.Arbitrary<CiDocument> = fc.record({
  type: fc.constantFrom('server', 'vm', 'database', 'application'),
  name: fc.string({ minLength: 1, maxLength: 12 }),
  status: fc.constantFrom(...LIFECYCLE_STATUSES),
  attributes: attributesArb,
  relationships: relationshipsArb,
});
