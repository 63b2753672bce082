import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import supertest from 'supertest';
import { consoleDirectory, consoleRoutes } from '../../src/http/console-routes';
import { problemHandler } from '../../src/http/problem';
import { createTestService, silentLogger, type TestService } from '../support/test-service';

describe('the console files', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await createTestService();
  });
  afterAll(() => service.stop());

  it('are served at / from the bundle npm run build makes, under a CSP that allows this origin only', async () => {
    expect(consoleDirectory()).toBeDefined(); // `npm test` builds first
    const page = await service.request().get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<script type="module" src="app.js">');
    expect(page.text).not.toMatch(/https?:\/\//); // no CDN: every asset is served from here
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = await service.request().get('/app.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    await service.request().get('/console.css').expect(200);
    await service.request().get('/jsondiffpatch.css').expect(200);
    await service.request().get('/favicon.ico').expect(200);
  });

  it("are only the bundle: other paths are the API's 404 problem", async () => {
    const other = await service.request().get('/build.mjs').expect(404);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    await service.request().get('/../package.json').expect(404);
  });

  it('say how to build the console when it has not been built', async () => {
    const app = express();
    app.use(consoleRoutes(null));
    app.use(problemHandler(silentLogger));
    const res = await supertest(app).get('/').expect(503);
    expect(res.body.detail).toMatch(/npm run build/);
  });

  it('come from the directory given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl-console-'));
    writeFileSync(path.join(dir, 'index.html'), '<p>hello</p>');
    const app = express();
    app.use(consoleRoutes(dir));
    app.use(problemHandler(silentLogger));
    expect((await supertest(app).get('/').expect(200)).text).toBe('<p>hello</p>');
    await supertest(app).get('/app.js').expect(404); // listed, but not in this directory
    rmSync(dir, { recursive: true });
  });
});

describe('who am I, with authentication off', () => {
  it('is anyone, with every role (the console shows everything)', async () => {
    const service = await createTestService();
    const me = await service.request().get('/api/v1/whoami').expect(200);
    expect(me.body).toEqual({ authentication: 'off', name: null, roles: ['reader', 'writer', 'auditor', 'admin'] });
    await service.stop();
  });
});
