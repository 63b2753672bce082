import type { IncomingMessage, ServerResponse } from 'node:http';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/http/openapi/document';

/**
 * Checks real responses against the OpenAPI description: every HTTP test
 * drives the app through `conforming(app)`, which sees each response as it
 * is sent and records where it breaks the description (an undescribed
 * status or media type, a JSON body its schema refuses). A setup file fails
 * the test that caused it.
 */

type Paths = Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;

/** Made on first use: most test files send no HTTP request. */
let described: { paths: Paths; ajv: Ajv2020; templates: { path: string; regex: RegExp }[] } | undefined;

function description() {
  if (described) return described;
  const document = openApiDocument('test') as { paths: Paths };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi');
  const templates = Object.keys(document.paths).map((path) => ({
    path,
    regex: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  return (described = { paths: document.paths, ajv, templates });
}

const violations: string[] = [];
let checked = 0;

/** Violations recorded since the last call, and how many responses were checked. */
export function takeConformance(): { violations: string[]; checked: number } {
  const taken = { violations: violations.splice(0), checked };
  checked = 0;
  return taken;
}

function pointer(...parts: string[]): string {
  return `openapi#/${parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** The largest body checked; bigger ones (a bench-sized export) have their status and media type checked only. */
const MAX_BODY = 8 * 1024 * 1024;

function check(method: string, url: string, status: number, contentType: string | undefined, body: Buffer | null) {
  const path = url.split('?')[0]!;
  // Web pages (the console, the API reference) are not operations of the API.
  const api = path.startsWith('/api/') || ['/livez', '/readyz', '/metrics'].includes(path);
  if (!api || path.startsWith('/api/v1/reference')) return;
  const { paths, ajv, templates } = description();
  const template = templates.find((t) => t.regex.test(path))?.path;
  const lower = method.toLowerCase();
  const operation = template && paths[template]![lower];
  const where = `${method} ${path} → ${status}`;
  if (!operation) {
    // Not an operation (an unknown path or method): the answer must still be a problem.
    if (method === 'OPTIONS' || (method === 'HEAD' && template)) return;
    if (status !== 404 && status !== 405) violations.push(`${where}: not described in the OpenAPI document`);
    else if (!contentType?.startsWith('application/problem+json'))
      violations.push(`${where}: an undescribed route must answer a problem, not ${contentType}`);
    return;
  }
  checked++;
  const key = operation.responses[String(status)] ? String(status) : 'default';
  const response = operation.responses[key];
  if (!response) return void violations.push(`${where}: status not described`);
  if (key === 'default' && status < 400) return void violations.push(`${where}: status not described`);
  const mediaType = contentType?.split(';')[0]!.trim();
  if (!response.content) {
    if (body && body.length > 0) violations.push(`${where}: a body where none is described`);
    return;
  }
  if (!mediaType || !(mediaType in response.content)) {
    return void violations.push(
      `${where}: media type ${mediaType} not described (${Object.keys(response.content).join(', ')})`,
    );
  }
  const described = response.content[mediaType] as { schema?: unknown };
  if (!described.schema || body === null || method === 'HEAD') return;
  const validate = ajv.getSchema(pointer('paths', template, lower, 'responses', key, 'content', mediaType, 'schema'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return void violations.push(`${where}: the body is not JSON`);
  }
  if (!validate!(parsed)) {
    violations.push(`${where}: ${ajv.errorsText(validate!.errors, { separator: '; ' })}`);
  }
}

/** A request handler that runs `app` and checks each response it sends against the description. */
export function conforming(app: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > MAX_BODY) return;
      const buffer = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      size += buffer.length;
      chunks.push(buffer);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as typeof res.end;
    res.on('finish', () => {
      const contentType = res.getHeader('content-type');
      check(
        req.method ?? 'GET',
        (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
        res.statusCode,
        typeof contentType === 'string' ? contentType : undefined,
        size > MAX_BODY ? null : Buffer.concat(chunks),
      );
    });
    app(req, res);
  };
}
