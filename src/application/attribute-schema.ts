import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { END_DATE_KEYWORD, END_DATE_KINDS, SECRET_KEYWORD, formatPath, type FieldIssue } from '../domain';

/**
 * Attribute schemas of CI types, compiled by ajv (with the standard formats:
 * `date`, `date-time`, `email`, `uri`, `ipv4`…). ajv's strict mode refuses
 * unknown keywords, so a misspelt `requried` is reported when the type is
 * defined, not ignored for ever; our own keywords are declared.
 *
 * A secret property (`"x-secret": true`) is stored as its fingerprint
 * (`{"$secret": "hmac-sha256:…"}`), so a stored document holds fingerprints
 * where the schema says "string": each secret property also accepts a
 * fingerprint. A new value is validated in the clear, before it is
 * fingerprinted.
 */
export class AttributeSchemaError extends Error {}

const FINGERPRINT_SCHEMA = {
  type: 'object',
  required: ['$secret'],
  additionalProperties: false,
  properties: { $secret: { type: 'string', pattern: '^hmac-sha256:[0-9a-f]{64}$' } },
};

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, logger: false });
  addFormats(ajv);
  ajv.addKeyword({ keyword: SECRET_KEYWORD, schemaType: 'boolean' });
  ajv.addKeyword({
    keyword: END_DATE_KEYWORD,
    metaSchema: { enum: [...END_DATE_KINDS] },
  });
  return ajv;
}

/** One ajv for the process: compiling is what costs, and every compiled schema is cached by its caller. */
let shared: Ajv | undefined;

/**
 * Compiles a type's attribute schema, or throws AttributeSchemaError with
 * ajv's own message (an invalid schema, an unknown keyword or format, a
 * `$ref` that resolves to nothing).
 */
export function compileAttributeSchema(schema: Record<string, unknown>): ValidateFunction {
  shared ??= newAjv();
  try {
    // Compiled without an $id so the same schema under two types never clashes in ajv's registry.
    const { $id: _ignored, ...withoutId } = acceptFingerprints(schema) as Record<string, unknown>;
    return shared.compile(withoutId);
  } catch (error) {
    throw new AttributeSchemaError((error as Error).message);
  }
}

/** The issues of attributes against a compiled schema, each named by its field (`attributes.cpu`). */
export function attributeIssues(validate: ValidateFunction, attributes: unknown): FieldIssue[] {
  if (validate(attributes)) return [];
  return (validate.errors ?? []).filter((error) => !isFingerprintAlternative(error)).map(toFieldIssue);
}

function toFieldIssue(error: ErrorObject): FieldIssue {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  // A missing property is the property's own problem, not its parent's.
  if (error.keyword === 'required') path.push(String(params['missingProperty']));
  if (error.keyword === 'additionalProperties') path.push(String(params['additionalProperty']));
  const field = formatPath(['attributes', ...path.map((s) => (/^\d+$/.test(s) ? Number(s) : s))]);
  let message = error.message ?? 'is not valid';
  if (error.keyword === 'required') message = 'is required by the type';
  else if (error.keyword === 'additionalProperties') message = 'is not an attribute of the type';
  else if (error.keyword === 'enum')
    message = `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return { field, message };
}

/** The errors ajv reports for the fingerprint branch of a secret's anyOf: noise beside the real one. */
function isFingerprintAlternative(error: ErrorObject): boolean {
  return error.schemaPath.includes('/anyOf/1/') || (error.keyword === 'anyOf' && error.schemaPath.endsWith('/anyOf'));
}

/** The schema with each secret property's subschema widened to "…or a fingerprint". */
function acceptFingerprints(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) return node.map(acceptFingerprints);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'properties' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => {
          const widened = acceptFingerprints(sub);
          const secret = typeof sub === 'object' && sub !== null && (sub as Record<string, unknown>)[SECRET_KEYWORD];
          return [name, secret === true ? { anyOf: [widened, FINGERPRINT_SCHEMA] } : widened];
        }),
      );
    } else {
      out[key] = acceptFingerprints(value);
    }
  }
  return out;
}
