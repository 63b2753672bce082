import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STARTER_TYPES } from '../../src/catalogue/starter-types';
import { loadTypes } from '../../src/cli/types';
import { createTestService, type TestService } from '../support/test-service';

/** The starter catalogue (issue #13), loaded the way `npm run types -- load --starter` does, over HTTP. */
describe('starter catalogue', () => {
  let service: TestService;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    service = await createTestService();
    server = createServer(service.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await service.stop();
  });

  it('loads every type once; a re-run changes nothing', async () => {
    const lines: string[] = [];
    const failed = await loadTypes(STARTER_TYPES, { url, write: (line) => lines.push(line) });
    expect(lines).toEqual(Object.keys(STARTER_TYPES).map((type) => `${type}: defined (revision 1)`));
    expect(failed).toBe(0);
    expect(lines).toEqual(Object.keys(STARTER_TYPES).map((type) => `${type}: defined (revision 1)`));
    expect(Object.keys(STARTER_TYPES).sort()).toEqual(
      ['application', 'contract', 'database', 'licence', 'network-device', 'server', 'virtual-machine'].sort(),
    );
    const again: string[] = [];
    expect(await loadTypes(STARTER_TYPES, { url, write: (line) => again.push(line) })).toBe(0);
    expect(again.every((line) => line.endsWith('(revision 1)'))).toBe(true);
  });

  it('takes a realistic estate and refuses what breaks its rules', async () => {
    const put = (id: string, body: object) => service.request().put(`/api/v1/cis/${id}`).send(body);
    await put('ctr-1', {
      type: 'contract',
      name: 'HW support',
      attributes: { supplier: 'Acme', supportEnd: '2027-03-31' },
    }).expect(201);
    await put('lic-1', {
      type: 'licence',
      name: 'DB licence',
      status: 'planned',
      attributes: { product: 'pg-enterprise', licenceEnd: '2027-01-31', licenceKey: 'K-123' },
    }).expect(201);
    await put('srv-1', {
      type: 'server',
      name: 'srv-1',
      attributes: {
        serialNumber: 'SN1',
        owner: 'infra',
        warrantyEnd: '2027-06-30',
        managementIp: '10.0.0.5',
        bmcPassword: 'calvin',
      },
      relationships: [{ type: 'covered_by', target: 'ctr-1' }],
    }).expect(201);
    await put('vm-1', {
      type: 'virtual-machine',
      name: 'vm-1',
      attributes: { owner: 'infra' },
      relationships: [{ type: 'runs_on', target: 'srv-1' }],
    }).expect(201);
    await put('db-1', {
      type: 'database',
      name: 'orders',
      attributes: { engine: 'postgres', owner: 'dba' },
      relationships: [
        { type: 'runs_on', target: 'vm-1' },
        { type: 'licensed_by', target: 'lic-1' },
      ],
    }).expect(201);
    await put('app-1', {
      type: 'application',
      name: 'shop',
      attributes: { owner: 'web', criticality: 'high' },
      relationships: [
        { type: 'depends_on', target: 'db-1' },
        { type: 'runs_on', target: 'vm-1' },
      ],
    }).expect(201);
    await put('sw-1', {
      type: 'network-device',
      name: 'core switch',
      attributes: { role: 'switch', owner: 'net' },
    }).expect(201);

    const secret = await service.request().get('/api/v1/cis/lic-1').expect(200);
    expect(secret.body.attributes.licenceKey).toEqual({ $secret: expect.stringMatching(/^hmac-sha256:/) });
    const bad = await put('srv-2', {
      type: 'server',
      name: 'srv-2',
      attributes: { owner: '', warrantyEnd: '30/06/2027', managementIp: 'not-an-ip' },
      relationships: [{ type: 'runs_on', target: 'vm-1' }],
    }).expect(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'attributes.managementIp',
      'attributes.owner',
      'attributes.serialNumber',
      'attributes.warrantyEnd',
      'relationships[0].type',
    ]);
    // The licence lifecycle: planned cannot jump to retired.
    await put('lic-1', {
      type: 'licence',
      name: 'DB licence',
      status: 'retired',
      attributes: { product: 'pg-enterprise', licenceEnd: '2027-01-31' },
    }).expect(422);
  });
});
