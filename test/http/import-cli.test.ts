import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvMappingSchema } from '../../src/cli/csv-mapping';
import { importFile, type ImportOptions } from '../../src/cli/import';
import { createTestService, type TestService } from '../support/test-service';

/** The import CLI (issue #14): CSV with a column mapping, or NDJSON, streamed to POST /imports. */
describe('import CLI', () => {
  let service: TestService;
  let server: Server;
  let dir: string;
  let options: Omit<ImportOptions, 'file' | 'format'>;
  const out: string[] = [];
  beforeEach(async () => {
    service = await createTestService();
    server = createServer(service.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    dir = mkdtempSync(path.join(tmpdir(), 'cl-import-cli-'));
    out.length = 0;
    options = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      onError: 'skip',
      progress: false,
      changeRef: 'MIG-7',
      write: (line) => out.push(line),
    };
  });
  afterEach(async () => {
    server.close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const mapping = CsvMappingSchema.parse({
    columns: {
      Asset: 'id',
      Hostname: 'name',
      Cores: { to: 'attributes.hardware.cores', as: 'integer' },
      'Warranty until': 'attributes.warrantyEnd',
      Rack: 'relationships.runs_on',
    },
    defaults: { type: 'server' },
    ignore: ['Notes'],
  });
  const csv = (rows: string[]) => {
    const file = path.join(dir, 'servers.csv');
    writeFileSync(file, ['Asset,Hostname,Cores,Warranty until,Rack,Notes', ...rows].join('\n'));
    return file;
  };

  it('maps columns (nested by dots, typed, relationships), imports, and a re-run changes nothing', async () => {
    const file = csv([
      'srv-1,web-1,8,2027-03-31,rack-1,old box',
      'srv-2,web-2,eight,2027-04-30,,typo in cores',
      'srv-3,db-1,16,,rack-1;rack-2,',
    ]);
    const first = await importFile({ ...options, file, format: 'csv', mapping });
    expect(first).toMatchObject({ completed: true, counts: { created: 2, invalid: 0 } });
    expect(first.problems).toEqual(['row 3: column Cores: "eight" is not an integer']);
    const ci = await service.request().get('/api/v1/cis/srv-3').expect(200);
    expect(ci.body).toMatchObject({
      type: 'server',
      name: 'db-1',
      attributes: { hardware: { cores: 16 } },
      relationships: [
        { type: 'runs_on', target: 'rack-1' },
        { type: 'runs_on', target: 'rack-2' },
      ],
    });
    const head = await service.eventStore.headPosition();
    const again = await importFile({ ...options, file, format: 'csv', mapping });
    expect(again.counts).toMatchObject({ created: 0, changed: 0, unchanged: 2 });
    expect(await service.eventStore.headPosition()).toBe(head);
    expect(out.some((line) => /^imported: 0 created, 0 changed, 2 unchanged/.test(line))).toBe(true);
  });

  it('refuses a CSV with unknown columns before sending anything', async () => {
    const file = path.join(dir, 'odd.csv');
    writeFileSync(file, 'id,type,name,Colour\nx,server,x,red\n');
    await expect(importFile({ ...options, file, format: 'csv' })).rejects.toThrow(
      /columns that map to nothing: Colour\. .*Nothing was sent/,
    );
    expect(await service.eventStore.headPosition()).toBe(0);
    const ignoring = CsvMappingSchema.parse({ ignoreUnknownColumns: true });
    expect((await importFile({ ...options, file, format: 'csv', mapping: ignoring })).counts['created']).toBe(1);
  });

  it('imports NDJSON and names the file line of each refusal', async () => {
    const file = path.join(dir, 'cis.ndjson');
    writeFileSync(
      file,
      ['{"id":"a","type":"vm","name":"a"}', '', '{"id":"b","type":"vm"}', '{"id":"c","type":"vm","name":"c"}'].join(
        '\n',
      ),
    );
    const outcome = await importFile({ ...options, file, format: 'ndjson' });
    expect(outcome.counts).toMatchObject({ created: 2, invalid: 1 });
    // The blank line 2 is not sent, so the service's line 2 is the file's line 3: the CLI says line 3.
    expect(outcome.problems).toEqual([expect.stringMatching(/^line 3: invalid: name: /)]);
  });
});
