import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runServiceToFailure, serviceBuilt, startServiceProcess } from '../support/service-process';

/** Operator mistakes at start: one line naming the variable and what to do, a non-zero exit, no "listening". */
const describeBuilt = serviceBuilt ? describe : describe.skip;
if (!serviceBuilt) console.warn('start-up tests skipped: run `npm run build` first (npm test does it)');

describeBuilt('start-up and configuration errors', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cl-startup-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const expectOneLine = (output: string, pattern: RegExp) => {
    const lines = output.trim().split('\n');
    expect(lines.filter((line) => pattern.test(line))).toHaveLength(1);
    expect(output).not.toMatch(/ConfigLedger listening/);
    expect(output).not.toMatch(/^\s+at /m); // no stack trace
  };

  it.each([
    ['PORT=abc', { PORT: 'abc' }, /PORT: must be a port number from 0 to 65535, not "abc"/],
    ['PORT= (empty)', { PORT: '' }, /PORT: is empty; unset it to use 8080/],
    ['PORT=70000', { PORT: '70000' }, /PORT: must be a port number from 0 to 65535/],
    ['SSE_MAX_STREAMS=lots', { SSE_MAX_STREAMS: 'lots' }, /SSE_MAX_STREAMS: must be a whole number/],
  ])('%s', async (_what, env, message) => {
    const run = await runServiceToFailure({ DATA_DIR: dataDir, ...env });
    expect(run.code).toBe(1);
    expectOneLine(run.output, message);
  });

  it('DATA_DIR pointing at a file', async () => {
    const file = path.join(dataDir, 'not-a-dir');
    writeFileSync(file, 'x');
    const run = await runServiceToFailure({ DATA_DIR: file, PORT: '0' });
    expect(run.code).toBe(1);
    expectOneLine(run.output, /ConfigLedger cannot start: DATA_DIR: .*not-a-dir is a file, not a directory/);
  });

  it('a port already in use', async () => {
    const first = await startServiceProcess({ DATA_DIR: dataDir });
    try {
      const otherDir = mkdtempSync(path.join(tmpdir(), 'cl-startup-'));
      const run = await runServiceToFailure({ DATA_DIR: otherDir, PORT: String(first.port) });
      rmSync(otherDir, { recursive: true, force: true });
      expect(run.code).toBe(1);
      expectOneLine(run.output, new RegExp(`PORT: 127\\.0\\.0\\.1:${first.port} is already in use`));
    } finally {
      await first.stop();
    }
  });
});
