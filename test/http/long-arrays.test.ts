import { createTestService, type TestService } from '../support/test-service';

/** A server listing its installed packages, as a discovery tool sends it; `bumped` packages have a new version. */
function server(bumped: ReadonlySet<number>) {
  return {
    type: 'server',
    name: 'srv-1',
    attributes: { packages: Array.from({ length: 3_000 }, (_, i) => `pkg-${i}-1.${bumped.has(i) ? 1 : 0}`) },
  };
}

// Every hundredth package, from the 8th: 30 of 3,000 (rfc6902's own array diff ran the heap out on this).
const bumped = new Set(Array.from({ length: 30 }, (_, k) => k * 100 + 7));

describe('a CI whose document holds a long array', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await createTestService();
    await service.request().put('/api/v1/cis/srv-1').set('X-Actor', 'discovery').send(server(new Set())).expect(201);
    await service.request().put('/api/v1/cis/srv-1').set('X-Actor', 'discovery').send(server(bumped)).expect(200);
  });
  afterEach(async () => {
    await service.stop();
  });

  const replacements = [...bumped].map((i) => ({
    op: 'replace',
    path: `/attributes/packages/${i}`,
    value: `pkg-${i}-1.1`,
  }));

  it('a PUT records only the elements that changed, as history and diff show', async () => {
    const history = await service.request().get('/api/v1/cis/srv-1/history').expect(200);
    expect(history.body.items[1]).toEqual(expect.objectContaining({ revision: 2, patch: replacements }));
    const diff = await service.request().get('/api/v1/cis/srv-1/diff?from=1').expect(200);
    expect(diff.body.patch).toEqual(replacements);
  });

  it('restoring the earlier revision brings every element back', async () => {
    await service
      .request()
      .post('/api/v1/cis/srv-1/restore')
      .set('X-Actor', 'alice')
      .send({ revision: 1, reason: 'the upgrade is rolled back' })
      .expect(200);
    const now = await service.request().get('/api/v1/cis/srv-1').expect(200);
    expect(now.body.revision).toBe(3);
    expect(now.body.attributes.packages).toEqual(server(new Set()).attributes.packages);
  });
});
