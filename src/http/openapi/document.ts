import { z } from 'zod';
import { requiredRole } from '../authorization';
import { OPERATIONS, type OperationDoc, type ResponseDoc } from './operations';
import { ProblemSchema, components } from './response-schemas';

type JsonObject = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect): requests as
 * their input (the text of a query parameter, before it is parsed), responses
 * as their output. Named schemas become references to the components.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const id = components.get(schema)?.id;
  if (id) return { $ref: `${COMPONENTS}${id}` };
  const converted = z.toJSONSchema(schema, {
    io,
    metadata: components,
    unrepresentable: 'any',
  }) as JsonObject;
  // Named schemas come back as $defs: they are emitted once, under components.
  return withoutRecursiveJson(
    JSON.parse(JSON.stringify(converted).replaceAll('"#/$defs/', `"${COMPONENTS}`)),
  ) as JsonObject;
}

/**
 * The only recursive schema the API has is zod's `z.json()` (an attribute's
 * value, a type's JSON Schema): zod names it `__schemaN` (or `__shared`). It
 * is described as `{}`, JSON Schema's "any value", which is what it allows,
 * and the generated names go; named components keep their references.
 */
function withoutRecursiveJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRecursiveJson);
  if (value === null || typeof value !== 'object') return value;
  const object = value as JsonObject;
  const ref = object['$ref'];
  if (typeof ref === 'string' && /__schema\d+|__shared/.test(ref)) return {};
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => key !== '$defs' && key !== '$id' && key !== '$schema')
      .map(([key, inner]) => [key, withoutRecursiveJson(inner)]),
  );
}

/** `/cis/:id` → `/cis/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z]+)/g, '{$1}');
}

function parameters(op: OperationDoc): JsonObject[] {
  const path = Object.entries(op.params ?? {}).map(([name, schema]) => ({
    name,
    in: 'path',
    required: true,
    schema: jsonSchema(schema, 'input'),
  }));
  if (!op.query) return path;
  const query = jsonSchema(op.query, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
  const required = new Set(query.required ?? []);
  const named = Object.entries(query.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema as { description?: string };
    return { name, in: 'query', required: required.has(name), ...(description && { description }), schema: rest };
  });
  return [...path, ...named];
}

function response(doc: ResponseDoc): JsonObject {
  const content: JsonObject = {};
  if (doc.schema) content['application/json'] = { schema: jsonSchema(doc.schema, 'output') };
  else if (doc.contentType) content[doc.contentType] = {};
  if (doc.alternative) content[doc.alternative.contentType] = {};
  return {
    description: doc.alternative ? `${doc.description}; or ${doc.alternative.description}` : doc.description,
    ...(doc.headers && {
      headers: Object.fromEntries(
        Object.entries(doc.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
      ),
    }),
    ...(Object.keys(content).length > 0 && { content }),
  };
}

function operation(op: OperationDoc): JsonObject {
  const routePath = op.path.startsWith('/api/v1') ? op.path.slice('/api/v1'.length) : op.path;
  const role = op.public ? undefined : requiredRole(op.method.toUpperCase(), routePath);
  const parts = [op.description, role && `Needs the role \`${role}\` when authentication is on.`].filter(Boolean);
  const responses: JsonObject = Object.fromEntries(
    Object.entries(op.responses).map(([status, doc]) => [status, response(doc)]),
  );
  responses['default'] = {
    description: 'a problem (RFC 9457): what was wrong, by field where a field was',
    content: { 'application/problem+json': { schema: { $ref: `${COMPONENTS}Problem` } } },
  };
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(parts.length > 0 && { description: parts.join('\n\n') }),
    ...(role && { 'x-required-role': role }),
    ...(op.public && { security: [] }),
    parameters: parameters(op),
    ...(op.body && {
      requestBody: {
        required: op.body.required ?? true,
        content: { [op.body.contentType ?? 'application/json']: { schema: jsonSchema(op.body.schema, 'input') } },
      },
    }),
    responses,
  };
}

/** The OpenAPI 3.1 description of the API, generated from the schemas the routes validate with. */
export function openApiDocument(version: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const op of OPERATIONS) (paths[openApiPath(op.path)] ??= {})[op.method] = operation(op);
  // Make sure Problem is emitted even though it is only referenced by name above.
  void ProblemSchema;
  const { schemas } = z.toJSONSchema(components, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `${COMPONENTS}${id}`,
  }) as { schemas: Record<string, JsonObject> };
  delete schemas['__shared'];
  return {
    openapi: '3.1.0',
    info: {
      title: 'ConfigLedger API',
      version,
      description:
        'Event-sourced configuration history: every change to a configuration item is an immutable event. ' +
        'Errors are RFC 9457 problems. With authentication on, every call but the probes needs ' +
        '`Authorization: Bearer <token>` and the role each operation names.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [...new Set(OPERATIONS.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: withoutRecursiveJson(schemas),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token or a JWT' } },
    },
  };
}
