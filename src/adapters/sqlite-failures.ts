/**
 * What the embedded stores share about failing to write: which SQLite error
 * codes mean "this file cannot be written here" (full disk, read-only file
 * system, no permission) rather than "this file is broken", how to say so,
 * and the WAL size both keep after a checkpoint.
 */

/** Error codes after which a store opens read-only instead of failing. */
export const CANNOT_WRITE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;

/** After a checkpoint, a WAL file is cut back to this size rather than kept at its peak. */
export const WAL_SIZE_LIMIT = 16 * 1024 * 1024;

export function cannotWrite(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && CANNOT_WRITE.test(code);
}

/** `SQLITE_FULL: database or disk is full; is the disk full?` */
export function describeSqliteError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code !== 'string') return message;
  const hint = code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') ? '; is the disk full?' : '';
  return `${code}: ${message}${hint}`;
}
