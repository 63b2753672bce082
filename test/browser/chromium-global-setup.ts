import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

function aptGet(args: string[]): { ok: boolean; output: string } {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'apt-get' : 'sudo';
  const result = spawnSync(command, asRoot ? args : ['-n', 'apt-get', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: 600_000,
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`,
  };
}

/**
 * Before the browser suites: Debian's Chromium, installed with apt-get when
 * this machine does not have it yet (a fresh machine does not). Never a
 * browser download: playwright-core drives the distribution's binary.
 */
export default function installChromium(): void {
  if (existsSync(CHROMIUM)) return;
  process.stderr.write('Installing Debian chromium for the browser tests (apt-get install chromium)…\n');
  const install = ['install', '-y', '--no-install-recommends', 'chromium'];
  let result = aptGet(install);
  if (!result.ok) {
    aptGet(['update']); // a machine whose package lists are old or missing
    result = aptGet(install);
  }
  if (!result.ok || !existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Debian's chromium at ${CHROMIUM}, and apt-get could not install it ` +
        `(run apt-get install chromium as root, then the tests again):\n${result.output.slice(-2000)}`,
    );
  }
}
