import type Database from 'better-sqlite3';
import { GENESIS_HASH, chainHash } from '../../ports/event-chain';
import type { ChainHead, ChainUpgrade } from '../../ports/event-store';

/**
 * The hash chain's storage in the embedded log: two columns on `events`, the
 * head anchor (rewritten in the same transaction as every commit, so a log
 * cut short no longer matches it) and the record of upgrades that chained a
 * log written before chaining existed.
 */
export const CHAIN_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chain_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL,
    hash     TEXT    NOT NULL
  );
  CREATE TABLE IF NOT EXISTS chain_upgrades (
    chained_at     TEXT    NOT NULL,
    first_position INTEGER NOT NULL,
    last_position  INTEGER NOT NULL,
    events         INTEGER NOT NULL
  );
`;

/** A row of `events` as the statements read it. */
export interface EventRow {
  prev_hash: string | null;
  hash: string | null;
  position: number;
  event_id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

/** Adds the chain columns to a log made before them (a no-op when present). */
export function addChainColumns(db: Database.Database): void {
  const columns = new Set((db.pragma('table_info(events)') as Array<{ name: string }>).map((column) => column.name));
  if (!columns.has('prev_hash')) db.exec('ALTER TABLE events ADD COLUMN prev_hash TEXT');
  if (!columns.has('hash')) db.exec('ALTER TABLE events ADD COLUMN hash TEXT');
  db.exec(CHAIN_SCHEMA);
}

/**
 * The upgrade: chains every event that has no hash yet, oldest first, after
 * the last chained one, in one transaction, and records that it did so (an
 * auditor sees which events were chained when, rather than at their append).
 * Returns the upgrade, or undefined when every event was chained already.
 */
export function chainUnchainedEvents(db: Database.Database, now: Date): ChainUpgrade | undefined {
  // Every event up to the recorded head is chained (appends and this upgrade move the head in the
  // transaction that chains): only those after it are looked at, so opening a long log does not
  // read all of it. A log from before the chain has no head and is read once, to be chained.
  const head = readChainHead(db)?.position ?? 0;
  const unchained = db
    .prepare<[number], EventRow>('SELECT * FROM events WHERE position > ? AND hash IS NULL ORDER BY position')
    .all(head);
  if (unchained.length === 0) return undefined;
  const update = db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE position = ?');
  const upgrade: ChainUpgrade = {
    chainedAt: now.toISOString(),
    firstPosition: unchained[0]!.position,
    lastPosition: unchained.at(-1)!.position,
    events: unchained.length,
  };
  db.transaction(() => {
    const before = db
      .prepare<[number], { hash: string }>(
        'SELECT hash FROM events WHERE position < ? AND hash IS NOT NULL ORDER BY position DESC LIMIT 1',
      )
      .get(upgrade.firstPosition);
    let prev = before?.hash ?? GENESIS_HASH;
    for (const row of unchained) {
      const hash = chainHash(prev, {
        id: row.event_id,
        streamName: row.stream,
        revision: row.revision,
        type: row.type,
        data: JSON.parse(row.data),
        metadata: JSON.parse(row.metadata),
        recordedAt: row.recorded_at,
      });
      update.run(prev, hash, row.position);
      prev = hash;
    }
    const last = db.prepare<[], ChainHead>('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1').get()!;
    db.prepare('INSERT OR REPLACE INTO chain_head (id, position, hash) VALUES (1, ?, ?)').run(last.position, last.hash);
    db.prepare('INSERT INTO chain_upgrades VALUES (?, ?, ?, ?)').run(
      upgrade.chainedAt,
      upgrade.firstPosition,
      upgrade.lastPosition,
      upgrade.events,
    );
  })();
  return upgrade;
}

export function readChainHead(db: Database.Database): ChainHead | undefined {
  return db.prepare<[], ChainHead>('SELECT position, hash FROM chain_head WHERE id = 1').get();
}

export function readChainUpgrades(db: Database.Database): ChainUpgrade[] {
  return db
    .prepare<[], { chained_at: string; first_position: number; last_position: number; events: number }>(
      'SELECT * FROM chain_upgrades ORDER BY first_position',
    )
    .all()
    .map((row) => ({
      chainedAt: row.chained_at,
      firstPosition: row.first_position,
      lastPosition: row.last_position,
      events: row.events,
    }));
}
