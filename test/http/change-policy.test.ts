import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpApprovalPolicy } from '../../src/adapters/approval/http-approval';
import { allPolicies, changeRefPolicy } from '../../src/application/change-policy';
import { createTestService, type TestService } from '../support/test-service';

/** Every change checked against a change ticket (issue #11): refused changes are 422 and append nothing. */
describe('change policy', () => {
  let service: TestService;
  afterEach(() => service?.stop());

  const server = { type: 'server', name: 'web-01' };
  const put = (ref?: string, body: object = server) => {
    const request = service.request().put('/api/v1/cis/web-01');
    if (ref !== undefined) request.set('X-Change-Ref', ref);
    return request.send(body);
  };
  async function expectRefused(res: { status: number; body: { errors: unknown[] } }, message: RegExp, head: number) {
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'X-Change-Ref', message: expect.stringMatching(message) }]);
    expect(await service.eventStore.headPosition()).toBe(head);
  }

  it('requires a change reference for CIs in the listed statuses, and one that matches the pattern', async () => {
    service = await createTestService({
      policy: changeRefPolicy({ pattern: /(CHG|INC)-\d+/, requiredFor: ['live'] }),
    });
    await expectRefused(await put(), /is live: changes to live CIs need a change reference/, 0);
    await put(undefined, { ...server, status: 'planned' }).expect(201); // a planned CI needs none
    await expectRefused(await put(undefined, { ...server, status: 'live' }), /is live/, 1); // going live does
    await expectRefused(
      await put('chg-1', { ...server, name: 'n2' }),
      /not a change reference of this organisation/,
      1,
    );
    await expectRefused(await put('XCHG-12', { ...server, name: 'n2' }), /must match/, 1); // whole, not a substring
    await put('CHG-12', { ...server, status: 'live' }).expect(200);
    // Restore and retire are changes too; the body's changeRef counts like the header.
    await expectRefused(await service.request().delete('/api/v1/cis/web-01'), /is live/, 2);
    await service.request().post('/api/v1/cis/web-01/restore').send({ revision: 1, changeRef: 'INC-7' }).expect(200);
  });

  describe('an ITSM approval check', () => {
    let itsm: Server;
    let url: string;
    const approved = new Set(['CHG-1']);
    const asked: unknown[] = [];
    beforeAll(async () => {
      itsm = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const question = JSON.parse(body) as { changeRef: string };
          asked.push(question);
          if (question.changeRef === 'CHG-SLOW') return void setTimeout(() => res.end('{"approved":true}'), 1500);
          if (question.changeRef === 'CHG-500') return void res.writeHead(500).end('oops');
          res.setHeader('Content-Type', 'application/json');
          res.end(
            JSON.stringify(
              approved.has(question.changeRef) ? { approved: true } : { approved: false, reason: 'not in CAB minutes' },
            ),
          );
        });
      }).listen(0, '127.0.0.1');
      await once(itsm, 'listening');
      url = `http://127.0.0.1:${(itsm.address() as AddressInfo).port}/approvals`;
    });
    afterAll(() => {
      itsm.closeAllConnections();
      itsm.close();
    });

    it('lets approved changes through, refuses the rest, and fails closed on errors and time-outs', async () => {
      service = await createTestService({
        policy: allPolicies([changeRefPolicy({ requiredFor: [] }), httpApprovalPolicy({ url, timeoutMs: 300 })]),
      });
      await put('CHG-1').set('X-Actor', 'dana').expect(201);
      expect(asked.at(-1)).toEqual({
        changeRef: 'CHG-1',
        ciId: 'web-01',
        eventType: 'CiRegistered',
        actor: 'dana',
        onBehalfOf: null,
        status: 'live',
      });
      await expectRefused(
        await put('CHG-2', { ...server, name: 'x' }),
        /CHG-2 is not approved for CI "web-01": not in CAB minutes/,
        1,
      );
      await expectRefused(await put(undefined, { ...server, name: 'x' }), /need an approved change reference/, 1);
      await expectRefused(await put('CHG-500', { ...server, name: 'x' }), /not approved .*HTTP 500/, 1);
      await expectRefused(await put('CHG-SLOW', { ...server, name: 'x' }), /did not answer within 300 ms/, 1);
      // Nothing to record, nothing to ask: a re-sent state appends nothing and needs no approval.
      const before = asked.length;
      await put(undefined).expect(200);
      expect(asked).toHaveLength(before);
    });

    it('refuses when the ITSM endpoint cannot be reached', async () => {
      service = await createTestService({
        policy: httpApprovalPolicy({ url: 'http://127.0.0.1:1/approvals', timeoutMs: 500 }),
      });
      await expectRefused(await put('CHG-1'), /could not be reached/, 0);
    });
  });
});
