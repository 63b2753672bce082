import { createTestService, type TestService } from '../support/test-service';

/** CI types (issue #13): schemas, secrets, relationship rules, lifecycles, versioned like CIs. */
describe('CI types', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
    // Servers' relationship rules name racks: a rule may name only types that are defined.
    await service.request().put('/api/v1/types/rack').send({ schema: {} }).expect(201);
  });
  afterEach(() => service.stop());

  const serverType = {
    description: 'A physical server',
    schema: {
      type: 'object',
      required: ['serial', 'cpu'],
      properties: {
        serial: { type: 'string', minLength: 3 },
        cpu: { type: 'integer', minimum: 1 },
        warrantyEnd: { type: 'string', format: 'date', 'x-end-date': 'warranty' },
        rootPassword: { type: 'string', minLength: 8, 'x-secret': true },
        tier: { enum: ['gold', 'silver'] },
      },
    },
    relationships: { member_of: {}, runs_on: { targets: ['rack'] } },
  };
  const defineServer = (body: object = serverType) =>
    service.request().put('/api/v1/types/server').set('X-Actor', 'cm').set('X-Change-Ref', 'CHG-1').send(body);
  const putCi = (id: string, body: object) => service.request().put(`/api/v1/cis/${id}`).send(body);

  it('defines a type (201, ETag, Location), reads it back, and a re-sent definition changes nothing', async () => {
    const created = await defineServer().expect(201);
    expect(created.headers['etag']).toBe('"1"');
    expect(created.headers['location']).toBe('/api/v1/types/server');
    expect(created.body).toMatchObject({ type: 'server', revision: 1, actor: 'cm', changeRef: 'CHG-1', ...serverType });
    const again = await defineServer({ ...created.body }).expect(200); // what was read, sent back
    expect(again.body.revision).toBe(1);
    const read = await service.request().get('/api/v1/types/server').expect(200);
    expect(read.body).toEqual(created.body);
    const list = await service.request().get('/api/v1/types').expect(200);
    expect(list.body.items.map((t: { type: string }) => t.type)).toEqual(['rack', 'server']);
    await service.request().get('/api/v1/types/switch').expect(404);
  });

  it('validates every write path against the schema in force, listing every field', async () => {
    await defineServer().expect(201);
    const bad = await putCi('web-01', {
      type: 'server',
      name: 'web-01',
      attributes: { serial: 'x', warrantyEnd: '2027-13-45', tier: 'bronze', rootPassword: 'short' },
    }).expect(422);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    const fields = (bad.body.errors as { field: string; message: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual([
      'attributes.cpu',
      'attributes.rootPassword',
      'attributes.serial',
      'attributes.tier',
      'attributes.warrantyEnd',
    ]);
    expect(JSON.stringify(bad.body)).not.toContain('short'); // a secret's value is never echoed
    expect(await service.eventStore.headPosition()).toBe(0);

    const good = {
      type: 'server',
      name: 'web-01',
      attributes: { serial: 'SN-1', cpu: 8, rootPassword: 'correct-horse' },
    };
    const created = await putCi('web-01', good).expect(201);
    expect(created.body.attributes.rootPassword).toEqual({ $secret: expect.stringMatching(/^hmac-sha256:/) });
    // The stored fingerprint satisfies the schema; the same clear value changes nothing.
    await putCi('web-01', good).expect(200);
    await service
      .request()
      .patch('/api/v1/cis/web-01')
      .type('application/merge-patch+json')
      .send({ attributes: { cpu: 0 } })
      .expect(422);
    await service.request().post('/api/v1/cis').send({ id: 'web-02', type: 'server', name: 'w' }).expect(422);
    // A later schema does not make history unreadable: old revisions read as they were.
    await defineServer({
      ...serverType,
      schema: { ...serverType.schema, required: ['serial', 'cpu', 'owner'] },
    }).expect(200);
    await service.request().get('/api/v1/cis/web-01?revision=1').expect(200);
    const stricter = await putCi('web-01', { ...good, name: 'renamed' }).expect(422);
    expect(stricter.body.errors).toEqual([{ field: 'attributes.owner', message: 'is required by the type' }]);
    // Restore is a write path too: an old state that breaks today's schema is refused.
    await service.request().post('/api/v1/cis/web-01/restore').send({ revision: 1 }).expect(200); // unchanged: no event
  });

  it('keeps types free-form until defined, and checks relationship rules', async () => {
    await putCi('r1', { type: 'rack', name: 'rack 1' }).expect(201);
    await putCi('vm1', { type: 'vm', name: 'vm 1' }).expect(201);
    await defineServer().expect(201);
    const base = { type: 'server', name: 's', attributes: { serial: 'SN-1', cpu: 1 } };
    await putCi('s1', {
      ...base,
      relationships: [
        { type: 'runs_on', target: 'r1' },
        { type: 'member_of', target: 'x' },
      ],
    }).expect(201);
    await putCi('s1', { ...base, relationships: [{ type: 'runs_on', target: 'not-yet' }] }).expect(200); // targets need not exist
    const bad = await putCi('s1', {
      ...base,
      relationships: [
        { type: 'depends_on', target: 'r1' },
        { type: 'runs_on', target: 'vm1' },
      ],
    }).expect(422);
    expect(bad.body.errors).toEqual([
      {
        field: 'relationships[0].type',
        message: expect.stringContaining('depends_on is not a relationship a server may have'),
      },
      { field: 'relationships[1].target', message: 'vm1 is a vm; a server may runs_on only a rack' },
    ]);
  });

  it('refuses an invalid JSON Schema with the validator message, and bad definitions by field', async () => {
    const invalid = await defineServer({ schema: { type: 'object', properties: { a: { type: 'strin' } } } }).expect(
      422,
    );
    expect(invalid.body.errors[0].field).toBe('schema');
    expect(invalid.body.detail).toMatch(/must be equal to one of the allowed values|type/);
    const misspelt = await defineServer({ schema: { type: 'object', requried: ['a'] } }).expect(422);
    expect(misspelt.body.detail).toMatch(/unknown keyword: "requried"/);
    const unresolved = await defineServer({ schema: { $ref: '#/$defs/nowhere' } }).expect(422);
    expect(unresolved.body.detail).toMatch(/can't resolve reference/);
    const shape = await defineServer({ schema: 'nope', lifecycle: { transitions: { live: ['gone'] } } }).expect(400);
    expect(shape.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'lifecycle.transitions.live[0]',
      'schema',
    ]);
    await service.request().put('/api/v1/types/bad%20name').send(serverType).expect(400);
    // A relationship rule naming a type nobody defined is a typo until proven otherwise.
    const unknown = await defineServer({
      schema: {},
      relationships: { runs_on: { targets: ['server', 'rakc'] } },
    }).expect(422);
    expect(unknown.body.errors).toEqual([
      {
        field: 'relationships.runs_on.targets[1]',
        message: expect.stringContaining('"rakc" is not a defined CI type'),
      },
    ]);
    const types = await service.request().get('/api/v1/types');
    expect(types.body.items.map((t: { type: string }) => t.type)).toEqual(['rack']); // nothing refused was kept
  });

  it('is versioned: history, asOf, If-Match', async () => {
    const t0 = service.clock.now().toISOString();
    service.clock.advance(1000);
    await defineServer().expect(201);
    const t1 = service.clock.now().toISOString();
    service.clock.advance(1000);
    await defineServer({ ...serverType, description: 'v2' })
      .set('If-Match', '"1"')
      .expect(200);
    await defineServer({ ...serverType, description: 'v3' })
      .set('If-Match', '"1"')
      .expect(412);
    const history = await service.request().get('/api/v1/types/server/history').expect(200);
    expect(
      history.body.items.map((v: { revision: number; description: string }) => [v.revision, v.description]),
    ).toEqual([
      [1, 'A physical server'],
      [2, 'v2'],
    ]);
    expect((await service.request().get(`/api/v1/types/server?asOf=${t1}`).expect(200)).body.revision).toBe(1);
    await service.request().get(`/api/v1/types/server?asOf=${t0}`).expect(404);
    const before = await service.request().get(`/api/v1/types?asOf=${t0}`).expect(200);
    expect(before.body.items.map((t: { type: string }) => t.type)).toEqual(['rack']);
  });

  it('enforces lifecycles: nothing leaves disposed, retired comes back only by restore, types declare transitions', async () => {
    await putCi('a', { type: 'thing', name: 'a' }).expect(201);
    await service.request().delete('/api/v1/cis/a').expect(200);
    const back = await putCi('a', { type: 'thing', name: 'a', status: 'live' }).expect(422);
    expect(back.body.errors).toEqual([
      { field: 'status', message: expect.stringContaining('retired → live is not allowed') },
    ]);
    await service.request().post('/api/v1/cis/a/restore').send({ revision: 1 }).expect(200);
    await putCi('a', { type: 'thing', name: 'a', status: 'disposed' }).expect(200);
    const gone = await service.request().post('/api/v1/cis/a/restore').send({ revision: 1 }).expect(422);
    expect(gone.body.errors[0].message).toMatch(/disposed → live is not allowed: disposed is final/);

    await service
      .request()
      .put('/api/v1/types/licence')
      .send({ schema: {}, lifecycle: { transitions: { planned: ['live'], live: ['retired'] } } })
      .expect(201);
    await putCi('l1', { type: 'licence', name: 'l', status: 'planned' }).expect(201);
    const skip = await putCi('l1', { type: 'licence', name: 'l', status: 'retired' }).expect(422);
    expect(skip.body.errors).toEqual([
      { field: 'status', message: "planned → retired is not allowed by the type's lifecycle (from planned: live)" },
    ]);
    await putCi('l1', { type: 'licence', name: 'l', status: 'live' }).expect(200);
  });
});
