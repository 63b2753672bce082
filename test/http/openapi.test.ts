import { execFileSync } from 'node:child_process';
import type { Express } from 'express';
import supertest from 'supertest';
import type { Authenticator } from '../../src/ports/authenticator';
import { openApiPath } from '../../src/http/openapi/document';
import { conforming, takeConformance } from '../support/openapi-conformance';
import { createTestService, type TestService } from '../support/test-service';

/** The parts of express's router (router@2) read here to list what the app serves. */
interface Layer {
  readonly route?: { readonly path: string; _methods(): string[] };
  readonly handle: { readonly stack?: Layer[] };
  /** Where a router is mounted (`/api/v1`), and whether that is the root. */
  readonly rawPath?: unknown;
  readonly slash?: boolean;
}

/** Every `METHOD /path` the app routes, found by walking its routers. */
function servedOperations(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of layer.route._methods()) {
          if (method !== 'HEAD') found.push(`${method} ${openApiPath(prefix + layer.route.path)}`);
        }
      } else if (layer.handle.stack) {
        const mounted = !layer.slash && typeof layer.rawPath === 'string' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mounted);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Set(found)].sort();
}

/**
 * Validates a document with @seriousme/openapi-schema-validator (the OpenAPI
 * Initiative's schemas, and every $ref resolved). The package is ESM only, and
 * the suites run as CommonJS: it runs in a child Node.
 */
function validateOpenApi(document: object): unknown {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk)).on('end', async () => {
      process.stdout.write(JSON.stringify(await new Validator().validate(JSON.parse(text))));
    });`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(document),
    cwd: `${__dirname}/../..`,
  });
  return JSON.parse(out.toString('utf8'));
}

const reader: Authenticator = {
  authenticate: async (token) => (token === 'reader-token' ? { name: 'rita', roles: ['reader'] } : undefined),
};

describe('the OpenAPI description', () => {
  let service: TestService;
  let document: { paths: Record<string, Record<string, { 'x-required-role'?: string }>> };

  beforeAll(async () => {
    service = await createTestService({ auth: { authenticators: [reader] } });
    document = (await service.request().get('/api/v1/openapi.json').expect(200)).body;
  });
  afterAll(() => service.stop());

  it('is served without a token, and is valid OpenAPI 3.1', () => {
    expect(document).toMatchObject({ openapi: '3.1.0', info: { title: 'ConfigLedger API' } });
    expect(validateOpenApi(document)).toEqual({ valid: true });
    // The check can fail: a reference to nothing is caught.
    const broken = JSON.parse(
      JSON.stringify(document).replace('#/components/schemas/Ci"', '#/components/schemas/Nope"'),
    );
    expect(validateOpenApi(broken)).toMatchObject({ valid: false });
  });

  it('describes every route the service serves, and nothing it does not', () => {
    const described = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const served = servedOperations(service.app);
    // The reference page and its files are a web page, not an API operation.
    expect(served.filter((op) => !op.includes('/api/v1/reference'))).toEqual(described);
    expect(served.length).toBeGreaterThan(35);
  });

  it('names the role each operation needs, from the table the service enforces', () => {
    expect(document.paths['/api/v1/cis/{id}']!['put']!['x-required-role']).toBe('writer');
    expect(document.paths['/api/v1/types/{type}']!['put']!['x-required-role']).toBe('admin');
    expect(document.paths['/api/v1/verify']!['get']!['x-required-role']).toBe('auditor');
    expect(document.paths['/readyz']!['get']!['x-required-role']).toBeUndefined();
  });

  it('has an interactive reference page, served from the package with a script-tight CSP', async () => {
    const page = await service.request().get('/api/v1/reference/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/https?:\/\//); // no CDN
    const bundle = await service.request().get('/api/v1/reference/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    expect(Number(bundle.headers['content-length'])).toBeGreaterThan(100_000);
    const init = await service.request().get('/api/v1/reference/init.js').expect(200);
    expect(init.text).toContain("url: '../openapi.json'");
    // Only the files the page uses: not the package's demo initializer (it points at a public petstore).
    await service.request().get('/api/v1/reference/swagger-initializer.js').expect(401);
  });

  it('tells the caller who it is and what it may do', async () => {
    await service.request().get('/api/v1/whoami').expect(401);
    const me = await service.request().get('/api/v1/whoami').set('Authorization', 'Bearer reader-token').expect(200);
    expect(me.body).toEqual({ authentication: 'on', name: 'rita', roles: ['reader'] });
  });
});

describe('the conformance check of the HTTP tests', () => {
  afterEach(() => takeConformance()); // this suite provokes violations on purpose

  const answer = (status: number, type: string, body: string) =>
    supertest(
      conforming((_req, res) => {
        res.statusCode = status;
        res.setHeader('Content-Type', type);
        res.end(body);
      }),
    );

  it('passes a response that matches the description', async () => {
    const ci = {
      id: 'web-01',
      type: 'server',
      name: 'web-01',
      status: 'live',
      attributes: {},
      relationships: [],
      revision: 1,
      recordedAt: '2026-01-01T00:00:00.000Z',
    };
    await answer(200, 'application/json', JSON.stringify(ci)).get('/api/v1/cis/web-01');
    expect(takeConformance()).toEqual({ violations: [], checked: 1 });
  });

  it('catches a body its schema refuses, an undescribed status or media type, and an undescribed route', async () => {
    await answer(200, 'application/json', JSON.stringify({ id: 'web-01', revision: 0 })).get('/api/v1/cis/web-01');
    await answer(202, 'application/json', '{}').get('/api/v1/cis/web-01');
    await answer(200, 'text/html', '<p>').get('/api/v1/cis');
    await answer(200, 'application/json', '{}').get('/api/v1/nothing-here');
    const { violations } = takeConformance();
    expect(violations).toEqual([
      expect.stringMatching(/GET \/api\/v1\/cis\/web-01 → 200: .*must have required property/),
      'GET /api/v1/cis/web-01 → 202: status not described',
      expect.stringMatching(/GET \/api\/v1\/cis → 200: media type text\/html not described/),
      'GET /api/v1/nothing-here → 200: not described in the OpenAPI document',
    ]);
  });
});
