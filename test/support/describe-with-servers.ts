/**
 * `describe` for suites that need real servers, skipped on condition: it runs
 * when every variable is set and is otherwise skipped, saying so (jest prints
 * nothing for a file whose tests are all skipped, so the reason is written to
 * stderr too).
 */
export function describeWithServers(variables: readonly string[], name: string, suite: () => void): void {
  const missing = variables.filter((variable) => !process.env[variable]);
  const runnable = missing.length === 0;
  const reason = `set ${missing.join(' and ')} to run`;
  if (!runnable) process.stderr.write(`SKIPPED: ${name}: ${reason}\n`);
  const describeIfServers = runnable ? describe : describe.skip;
  const title = runnable
    ? `${name} (${variables.map((variable) => `${variable}=${process.env[variable]}`).join(', ')})`
    : `${name} — skipped: ${reason}`;
  describeIfServers(title, suite);
}
