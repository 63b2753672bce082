import Database from 'better-sqlite3';
import path from 'node:path';

/**
 * Exclusive use of the embedded views in a data directory, held for a
 * process's life by whoever writes them: the service (its projections) or
 * `rebuild-views`. It is an SQLite exclusive lock on `views.lock`: an OS
 * advisory lock, so it goes with the process however the process ends
 * (kill -9 included) and a restart never finds a stale lock.
 */
export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {}

  /** Takes the lock, or throws DataDirLockedError naming the lock file when another process holds it. */
  static acquire(dataDir: string): DataDirLock {
    const file = path.join(dataDir, 'views.lock');
    const db = new Database(file, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      // Creates nothing on disk beyond the empty file: the lock alone, kept until the connection closes.
      db.exec('BEGIN EXCLUSIVE');
      return new DataDirLock(db, file);
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new DataDirLockedError(file);
      throw error;
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

export class DataDirLockedError extends Error {
  constructor(readonly file: string) {
    super(
      `the views in ${path.dirname(file)} are in use by another process (a running ConfigLedger service, ` +
        `or rebuild-views), which holds the lock ${file}; stop it first, then run this again`,
    );
  }
}
