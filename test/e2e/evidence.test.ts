import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyPackText } from '../../src/application/evidence-pack';
import { createTestService, type TestService } from '../support/test-service';

/** Signed evidence packs (issue #11): made by GET /evidence, checked offline by the CLI with the public key alone. */
const cli = path.resolve(__dirname, '../../dist/src/cli/evidence.js');

describe('evidence packs', () => {
  let service: TestService;
  let dir: string;
  let asOf: string;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-evidence-'));
    service = await createTestService();
    const write = (id: string, body: object) =>
      service
        .request()
        .put(`/api/v1/cis/${id}`)
        .send(body)
        .expect((r) => expect(r.status).toBeLessThan(300));
    await write('web-01', { type: 'server', name: 'web-01', attributes: { cpu: 2 } });
    await write('db-01', { type: 'database', name: 'db-01' });
    service.clock.advance(60_000);
    await write('web-01', { type: 'server', name: 'web-01', attributes: { cpu: 4 } });
    asOf = new Date(service.clock.now().getTime() + 1000).toISOString();
    service.clock.advance(60_000);
    await write('web-01', { type: 'server', name: 'web-01', attributes: { cpu: 8 } }); // after T: not in the pack
    await write('web-02', { type: 'server', name: 'web-02' }); // born after T: not in the pack
  });
  afterEach(async () => {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the state as of T, the history up to T, the verified log head and a signature', async () => {
    const pack = (await service.request().get(`/api/v1/evidence?asOf=${asOf}&type=server`).expect(200)).body;
    expect(pack).toMatchObject({
      format: 'configledger-evidence/v1',
      asOf,
      selector: { ciId: null, type: 'server' },
      log: { chain: 'global', verifiedEvents: 5, head: { position: 5, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      cis: [{ id: 'web-01', revision: 2, document: { attributes: { cpu: 4 } } }],
      signature: { algorithm: 'Ed25519', value: expect.any(String) },
    });
    expect(pack.events.map((event: { position: number }) => event.position)).toEqual([1, 3]);
    const key = (await service.request().get('/api/v1/evidence/public-key').expect(200)).body;
    expect(verifyPackText(JSON.stringify(pack), key.publicKey)).toEqual([]);
    expect(key.keyId).toBe(pack.signature.keyId);
  });

  it('fails to verify when any one byte of the pack is changed', async () => {
    const text = (await service.request().get(`/api/v1/evidence?asOf=${asOf}&ciId=db-01`).expect(200)).text;
    const publicKey = (await service.request().get('/api/v1/evidence/public-key')).body.publicKey as string;
    expect(verifyPackText(text, publicKey)).toEqual([]);
    let checked = 0;
    for (let index = 0; index < text.length; index++) {
      const changed = `${text.slice(0, index)}${text[index] === 'x' ? 'y' : 'x'}${text.slice(index + 1)}`;
      expect([index, verifyPackText(changed, publicKey).length > 0]).toEqual([index, true]);
      checked += 1;
    }
    expect(checked).toBe(text.length);
  });

  it('is checked offline by the CLI with only the pack and the public key', async () => {
    const text = (await service.request().get(`/api/v1/evidence?asOf=${asOf}`).expect(200)).text;
    const publicKey = (await service.request().get('/api/v1/evidence/public-key')).body.publicKey as string;
    const packFile = path.join(dir, 'pack.json');
    const keyFile = path.join(dir, 'configledger.pem');
    writeFileSync(packFile, text);
    writeFileSync(keyFile, publicKey);
    if (!existsSync(cli)) return void console.warn('evidence CLI not built: run `npm run build` (npm test does it)');
    const valid = spawnSync(process.execPath, [cli, 'verify', packFile, '--public-key', keyFile], { encoding: 'utf8' });
    expect(valid.stdout).toMatch(/^VALID .*: 2 CIs as of .*, 3 events, log head 5:/);
    expect(valid.status).toBe(0);

    writeFileSync(packFile, text.replace('"cpu":4', '"cpu":5'));
    const tampered = spawnSync(process.execPath, [cli, 'verify', packFile, '--public-key', keyFile], {
      encoding: 'utf8',
    });
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/INVALID[\s\S]*signature does not verify/);
  });

  it('is refused, naming the event, when the log does not verify', async () => {
    // Simulated by a store whose chain was broken: the events' content changed after they were hashed.
    const raw = service.eventStore as unknown as { db: { exec(sql: string): void } };
    raw.db.exec(`UPDATE events SET data = replace(data, '"cpu":2', '"cpu":3') WHERE position = 1`);
    const res = await service.request().get(`/api/v1/evidence?asOf=${asOf}`).expect(409);
    expect(res.body.detail).toMatch(/does not verify at position 1/);
  });
});
