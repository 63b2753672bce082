import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateLog } from './log-generator';

/**
 * Rebuild speed of this build against another build of the project, on one
 * log, alternating runs (the machine's noise falls on both alike):
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && ln -s "$PWD/node_modules" . && npx tsc -p tsconfig.bench.json)
 *   npx tsc -p tsconfig.bench.json && node dist/bench/compare-rebuild.js /tmp/before/dist/bench/rebuild-child.js [runs] [views]
 *
 * `views` (comma-separated) limits this build to the views the other has.
 */
async function rebuild(script: string, dir: string, file: string, views?: string): Promise<number> {
  const child = fork(script, [dir, 'rebuild', file, ...(views ? [views] : [])]);
  const [[result]] = await Promise.all([
    once(child, 'message') as Promise<[{ eventsPerSecond: number }]>,
    once(child, 'exit'),
  ]);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(dir, file + suffix), { force: true });
  return Math.round(result.eventsPerSecond);
}

async function main() {
  const [other, runs = '3', views = 'currentCis,ciVersions,changeFeed'] = process.argv.slice(2);
  if (!other || !existsSync(other)) throw new Error("give the other build's dist/bench/rebuild-child.js");
  const dir = path.join(process.cwd(), 'bench', '.compare-log');
  if (!existsSync(path.join(dir, 'events.db'))) {
    mkdirSync(dir, { recursive: true });
    await generateLog(dir, 30_000, 10, () => undefined); // 300,000 events
  }
  const ours = path.join(__dirname, 'rebuild-child.js');
  for (let run = 0; run < Number(runs); run++) {
    const before = await rebuild(other, dir, 'before.db');
    const now = await rebuild(ours, dir, 'now.db', views);
    console.log(JSON.stringify({ run, before, now, ratio: Number((now / before).toFixed(3)) }));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
