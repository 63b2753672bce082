import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * The contents of a key file in the data directory, made with `make()` on
 * first use. Several instances may start together on one data directory: the
 * key is written whole to a file of its own, then linked into place, which
 * fails if another got there first; the loser reads the winner's key, so all
 * share one (a half-written file is never seen).
 */
export function keyFile(file: string, make: () => string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const candidate = `${file}.${randomUUID()}.tmp`;
  writeFileSync(candidate, make(), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(candidate, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(candidate);
  }
  return readFileSync(file, 'utf8');
}
