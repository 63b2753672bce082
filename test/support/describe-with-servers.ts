/**
 * `describe` for suites that need real servers: runs when every variable is
 * set and is otherwise skipped, saying so (jest prints nothing for a file
 * whose tests are all skipped, so the reason is written to stderr too).
 */
export function describeWithServers(variables: readonly string[], name: string, suite: () => void): void {
  const missing = variables.filter((variable) => !process.env[variable]);
  if (missing.length === 0) {
    describe(`${name} (${variables.map((variable) => `${variable}=${process.env[variable]}`).join(', ')})`, suite);
    return;
  }
  const reason = `set ${missing.join(' and ')} to run`;
  process.stderr.write(`SKIPPED: ${name}: ${reason}\n`);
  describe.skip(`${name} — skipped: ${reason}`, suite);
}
