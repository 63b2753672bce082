import { closeSync, openSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A ballast file in the data directory: space set aside while the disk has
 * room, and given back when it has none, so that the service can still start
 * and serve reads on a full disk (SQLite needs a little space to open a WAL
 * database: its shared-memory index). Writes stay refused until the disk has
 * room again, so the space given back is not eaten by new events.
 */
export class DiskReserve {
  readonly file: string;

  constructor(
    dataDir: string,
    readonly bytes: number,
  ) {
    this.file = path.join(dataDir, 'disk-reserve');
  }

  /** Bytes free for this process on the data directory's disk. */
  freeBytes(): number {
    const stats = statfsSync(path.dirname(this.file));
    return Number(stats.bavail) * Number(stats.bsize);
  }

  held(): boolean {
    return statSync(this.file, { throwIfNoEntry: false })?.size === this.bytes;
  }

  /**
   * Creates the reserve when it is missing and the disk has room for it and as
   * much again; true when the reserve is in place afterwards.
   */
  ensure(): boolean {
    if (this.bytes === 0 || this.held()) return true;
    if (this.freeBytes() < 2 * this.bytes) return false;
    const chunk = Buffer.alloc(Math.min(this.bytes, 1024 * 1024));
    const fd = openSync(this.file, 'w');
    try {
      for (let written = 0; written < this.bytes;) {
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - written));
      }
    } catch {
      closeSync(fd);
      rmSync(this.file, { force: true });
      return false;
    }
    closeSync(fd);
    return true;
  }

  /** Gives the reserve back to the disk; true when there was one. */
  release(): boolean {
    if (statSync(this.file, { throwIfNoEntry: false }) === undefined) return false;
    rmSync(this.file, { force: true });
    return true;
  }
}
