import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { JwksAuthenticator } from '../../src/adapters/auth/jwks-authenticator';
import { TokensFileAuthenticator, addToken, newToken, sha256Hex } from '../../src/adapters/auth/tokens-file';
import type { Role } from '../../src/ports/authenticator';
import { createTestService, silentLogger, type TestService } from '../support/test-service';

/** Principals, roles and the audit trail no client can forge (issue #11), on the tokens file and on JWTs. */
describe('authentication and roles', () => {
  let dir: string;
  let tokensFile: string;
  let service: TestService;
  let tokensAuth: TokensFileAuthenticator;
  let jwks: Server;
  let jwksUrl: string;
  let signingKey: KeyLike;
  const tokens: Partial<Record<Role | 'none', string>> = {};

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    signingKey = privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) =>
      res.setHeader('Content-Type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
    );
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => jwks.close());

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-auth-'));
    tokensFile = path.join(dir, 'tokens.json');
    for (const role of ['reader', 'writer', 'auditor', 'admin'] as const) {
      tokens[role] = newToken();
      addToken(tokensFile, { principal: `${role}-bot`, roles: [role], tokenSha256: sha256Hex(tokens[role]) });
    }
    tokensAuth = new TokensFileAuthenticator(tokensFile, silentLogger);
    const jwt = new JwksAuthenticator({
      jwksUrl,
      issuer: 'https://idp.test',
      audience: 'configledger',
      rolesClaim: 'realm.roles',
    });
    service = await createTestService({ auth: { authenticators: [tokensAuth, jwt], ticketTtlMs: 60_000 } });
  });
  afterEach(async () => {
    tokensAuth.close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const server = { type: 'server', name: 'web-01' };
  const jwt = (claims: Record<string, unknown>, options: { exp?: string | number; aud?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://idp.test')
      .setAudience(options.aud ?? 'configledger')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(signingKey);

  async function expectRefused(
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
  ) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body['status']).toBe(status);
    if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="configledger"/);
    expect(await service.eventStore.headPosition()).toBe(0);
  }

  it.each([
    ['no Authorization header', {}],
    ['a Basic credential', { Authorization: 'Basic YWxpY2U6cGFzcw==' }],
    ['Bearer without a token', { Authorization: 'Bearer' }],
    ['a token with a space in it', { Authorization: 'Bearer abc def' }],
    ['an unknown token', { Authorization: 'Bearer clt_not-a-real-token' }],
    ['a token one character off', { Authorization: 'Bearer x' }],
  ])('refuses %s with 401 and appends nothing', async (_what, headers) => {
    await expectRefused(await service.request().put('/api/v1/cis/web-01').set(headers).send(server), 401);
    await expectRefused(await service.request().get('/api/v1/cis').set(headers), 401);
  });

  it('refuses a wrong role with 403 naming what is needed, and appends nothing', async () => {
    const res = await service.request().put('/api/v1/cis/web-01').set(bearer(tokens.reader!)).send(server);
    await expectRefused(res, 403);
    expect(res.body['detail']).toMatch(/reader-bot has the roles reader; PUT \/cis\/web-01 needs writer/);
    await expectRefused(
      await service.request().post('/api/v1/cis/web-01/restore').set(bearer(tokens.auditor!)).send({ revision: 1 }),
      403,
    );
  });

  it('keeps configuration control to its roles: types and restores admin, baselines writer', async () => {
    const as = (role: 'reader' | 'writer' | 'admin') => bearer(tokens[role]!);
    const type = { schema: { type: 'object' } };
    await expectRefused(await service.request().put('/api/v1/types/server').set(as('writer')).send(type), 403);
    await service.request().put('/api/v1/types/server').set(as('admin')).send(type).expect(201);
    await service.request().get('/api/v1/types/server').set(as('reader')).expect(200);
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .set(as('writer'))
      .set('X-Change-Ref', 'CHG-1')
      .send(server)
      .expect(201);
    await service.request().post('/api/v1/baselines').set(as('reader')).send({ name: 'b' }).expect(403);
    await service.request().post('/api/v1/baselines').set(as('writer')).send({ name: 'b' }).expect(201);
    for (const path of ['/api/v1/baselines/b/restore', '/api/v1/change-sets/CHG-1/revert']) {
      await service.request().post(path).set(as('writer')).send({ dryRun: true }).expect(403);
      await service.request().post(path).set(as('admin')).send({ dryRun: true }).expect(200);
    }
  });

  it('records the principal as the actor and X-Actor only as onBehalfOf', async () => {
    await service
      .request()
      .put('/api/v1/cis/web-01')
      .set(bearer(tokens.writer!))
      .set('X-Actor', 'dana@example.com')
      .send(server)
      .expect(201);
    await service.request().delete('/api/v1/cis/web-01').set(bearer(tokens.admin!)).expect(200);
    const history = await service.request().get('/api/v1/cis/web-01/history').set(bearer(tokens.reader!)).expect(200);
    expect(
      history.body.items.map((item: Record<string, unknown>) => [item['actor'], item['onBehalfOf'], item['source']]),
    ).toEqual([
      ['writer-bot', 'dana@example.com', 'api'],
      ['admin-bot', null, 'api'],
    ]);
    const feed = await service.request().get('/api/v1/changes?minPosition=2').set(bearer(tokens.auditor!)).expect(200);
    expect(feed.body.items[1]).toMatchObject({ actor: 'writer-bot', onBehalfOf: 'dana@example.com' });
  });

  it('accepts JWTs from the JWKS with roles from the configured claim, and says why one is refused', async () => {
    const good = await jwt({ sub: 'erin', realm: { roles: ['writer'] } });
    await service.request().put('/api/v1/cis/web-01').set(bearer(good)).send(server).expect(201);
    const history = await service.request().get('/api/v1/cis/web-01/history').set(bearer(good)).expect(200);
    expect(history.body.items[0].actor).toBe('erin');

    const head = await service.eventStore.headPosition();
    const expired = await jwt(
      { sub: 'erin', realm: { roles: ['writer'] } },
      { exp: Math.floor(Date.now() / 1000) - 60 },
    );
    const refused = await service.request().put('/api/v1/cis/web-02').set(bearer(expired)).send(server).expect(401);
    expect(refused.headers['www-authenticate']).toMatch(
      /error="invalid_token", error_description="the token has expired"/,
    );
    const otherAudience = await jwt({ sub: 'erin', realm: { roles: ['writer'] } }, { aud: 'another-service' });
    expect((await service.request().get('/api/v1/cis').set(bearer(otherAudience)).expect(401)).body.detail).toMatch(
      /aud/,
    );
    const noRoles = await jwt({ sub: 'erin' });
    await service.request().get('/api/v1/cis').set(bearer(noRoles)).expect(403);
    const tampered = `${good.slice(0, -4)}AAAA`;
    await service.request().get('/api/v1/cis').set(bearer(tampered)).expect(401);
    expect(await service.eventStore.headPosition()).toBe(head);
  });

  it('picks up a changed tokens file without a restart; a broken file keeps the tokens in force', async () => {
    const later = newToken();
    addToken(tokensFile, { principal: 'late-bot', roles: ['reader'], tokenSha256: sha256Hex(later) });
    for (let i = 0; i < 50 && (await service.request().get('/api/v1/cis').set(bearer(later))).status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await service.request().get('/api/v1/cis').set(bearer(later)).expect(200);
    writeFileSync(tokensFile, '{ not json');
    tokensAuth.reload();
    await service.request().get('/api/v1/cis').set(bearer(later)).expect(200);
  });

  it('compares a token against every entry in constant time, wherever it matches', async () => {
    // The module object itself (the adapter looks the function up on it at each call).
    const compare = jest.spyOn(jest.requireActual<typeof import('node:crypto')>('node:crypto'), 'timingSafeEqual');
    try {
      for (const token of [tokens.reader!, tokens.admin!, 'clt_unknown']) {
        compare.mockClear();
        await tokensAuth.authenticate(token);
        expect(compare).toHaveBeenCalledTimes(4);
      }
    } finally {
      compare.mockRestore();
    }
  });

  it('opens the change stream with a short-lived ticket (EventSource cannot send headers), and nothing else with it', async () => {
    const issued = await service
      .request()
      .post('/api/v1/changes/stream/tickets')
      .set(bearer(tokens.reader!))
      .expect(201);
    expect(issued.body).toMatchObject({
      ticket: expect.any(String),
      url: expect.stringMatching(/^\/api\/v1\/changes\/stream\?ticket=/),
    });
    const http = createServer(service.app).listen(0, '127.0.0.1');
    await once(http, 'listening');
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const controller = new AbortController();
      const stream = await fetch(`${base}${issued.body.url}`, { signal: controller.signal });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
      controller.abort();
      expect((await fetch(`${base}/api/v1/changes/stream?ticket=${issued.body.ticket}x`)).status).toBe(401);
      expect((await fetch(`${base}/api/v1/cis?ticket=${issued.body.ticket}`)).status).toBe(401);
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });

  it('stores only hashes, in a file readable by its owner only', () => {
    const text = readFileSync(tokensFile, 'utf8');
    for (const token of Object.values(tokens)) expect(text).not.toContain(token);
    expect(statSync(tokensFile).mode & 0o777).toBe(0o600);
  });
});
