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
 *   npx tsc -p tsconfig.bench.json && node dist/bench/compare-rebuild.js /tmp/before/dist/bench/rebuild-child.js [runs] [views] [cis]
 *
 * `views` (comma-separated, or `all`) limits this build to the views the other has. The log has `cis`
 * CIs of 10 events each (30,000: 300,000 events; 100,000 is the bench's 1M-event log), generated once.
 */
async function rebuild(script: string, dir: string, file: string, views?: string): Promise<[number, number]> {
  const child = fork(script, [dir, 'rebuild', file, ...(views ? [views] : [])]);
  const [[result]] = await Promise.all([
    once(child, 'message') as Promise<[{ eventsPerSecond: number; maxRssMb: number }]>,
    once(child, 'exit'),
  ]);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(dir, file + suffix), { force: true });
  return [Math.round(result.eventsPerSecond), Math.round(result.maxRssMb)];
}

async function main() {
  const [other, runs = '3', views = 'currentCis,ciVersions,changeFeed', cis = '30000'] = process.argv.slice(2);
  if (!other || !existsSync(other)) throw new Error("give the other build's dist/bench/rebuild-child.js");
  if (!/^[1-9]\d*$/.test(cis)) throw new Error(`cis: give a whole number of CIs, not "${cis}"`);
  const dir = path.join(process.cwd(), 'bench', cis === '30000' ? '.compare-log' : `.compare-log-${cis}`);
  if (!existsSync(path.join(dir, 'events.db'))) {
    mkdirSync(dir, { recursive: true });
    await generateLog(dir, Number(cis), 10, () => undefined);
  }
  const ours = path.join(__dirname, 'rebuild-child.js');
  for (let run = 0; run < Number(runs); run++) {
    const [before, beforeRssMb] = await rebuild(other, dir, 'before.db');
    const [now, nowRssMb] = await rebuild(ours, dir, 'now.db', views);
    console.log(JSON.stringify({ run, before, now, ratio: Number((now / before).toFixed(3)), beforeRssMb, nowRssMb }));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
