import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyFile } from '../../../src/adapters/key-file';

const KEY_FILE_JS = path.resolve(__dirname, '../../../dist/src/adapters/key-file.js');
const describeBuilt = existsSync(KEY_FILE_JS) ? describe : describe.skip;

describeBuilt('key files made on first start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cl-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every one of several processes starting together the same key, readable by the owner only', async () => {
    const file = path.join(dir, 'secret.key');
    const script = `const { keyFile } = require(${JSON.stringify(KEY_FILE_JS)});
      process.stdout.write(keyFile(${JSON.stringify(file)}, () => require('node:crypto').randomBytes(32).toString('hex')));`;
    const children = Array.from({ length: 8 }, () => spawn(process.execPath, ['-e', script]));
    const keys = await Promise.all(
      children.map(async (child) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        // 'close', not 'exit': at 'exit' the child's stdout may still hold its key (a CI run read one
        // child's output before it arrived, and saw two keys).
        const [code] = await once(child, 'close');
        expect(code).toBe(0);
        return out;
      }),
    );
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['secret.key']); // no candidate left behind
    expect(keyFile(file, () => 'never used')).toBe(keys[0]);
  });
});
