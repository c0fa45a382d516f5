/**
 * An in-memory `LocalStore`, plus the host-side edit functions a real store offers (write, delete).
 * It is the executable definition of the `LocalStore` contract.
 */
import { systemClock } from '../clock.js';
import { compareVersions } from '../conflict.js';
import { summarizeRecords } from '../digest.js';
import type {
  AcceptedRecord,
  ApplyResult,
  Clock,
  DeadLetter,
  LocalStore,
  ServerRecord,
  SyncRecord,
  TableSummary,
} from '../ports.js';
import { recordByteSize } from '../size.js';

interface Row {
  record: SyncRecord;
  /** The current version is the one the server has (acknowledged). */
  acknowledged: boolean;
  /** Marked by `beginFullResync`, cleared when the server sends the record again. */
  unconfirmed: boolean;
}

const key = (table: string, id: string) => `${table}\u0000${id}`;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function toLocal(record: SyncRecord): SyncRecord {
  return {
    table: record.table,
    id: record.id,
    version: record.version,
    updatedAt: record.updatedAt,
    deletedAt: record.deletedAt,
    deviceId: record.deviceId,
    payload: clone(record.payload),
  };
}

export interface MemoryLocalStoreOptions {
  deviceId: string;
  /** The device's clock (may be skewed): `updatedAt` / `deletedAt` of local edits. */
  clock?: Clock;
}

/** Thrown by `write`/`remove` when asked to edit a tombstoned record (deletion is sticky). */
export class TombstonedRecordError extends Error {
  override readonly name = 'TombstonedRecordError';
}

export class MemoryLocalStore implements LocalStore {
  private readonly device: string;
  private readonly clock: Clock;
  private readonly rows = new Map<string, Row>();
  private readonly letters = new Map<string, DeadLetter>();
  private cursor = 0;

  constructor(options: MemoryLocalStoreOptions) {
    this.device = options.deviceId;
    this.clock = options.clock ?? systemClock;
  }

  // ------------------------------------------------------------ host-side edits

  /** Creates the record (version 1) or edits it (version + 1), stamped with this device and clock. */
  write(table: string, id: string, payload: Record<string, unknown>): SyncRecord {
    const row = this.rows.get(key(table, id));
    if (row?.record.deletedAt) throw new TombstonedRecordError(`${table}/${id} is deleted`);
    return this.put({
      table,
      id,
      version: (row?.record.version ?? 0) + 1,
      updatedAt: new Date(this.clock.now()).toISOString(),
      deletedAt: null,
      deviceId: this.device,
      payload,
    });
  }

  /** Deletes the record: a new version with `deletedAt` set (payload kept). */
  remove(table: string, id: string): SyncRecord {
    const row = this.rows.get(key(table, id));
    if (!row) throw new RangeError(`${table}/${id} does not exist`);
    if (row.record.deletedAt) throw new TombstonedRecordError(`${table}/${id} is deleted`);
    const now = new Date(this.clock.now()).toISOString();
    return this.put({
      ...row.record,
      version: row.record.version + 1,
      updatedAt: now,
      deletedAt: now,
      deviceId: this.device,
    });
  }

  /** Stores a record exactly as given, as a pending local edit. */
  put(record: SyncRecord): SyncRecord {
    const k = key(record.table, record.id);
    const row = this.rows.get(k);
    const stored = toLocal(record);
    this.rows.set(k, {
      record: stored,
      acknowledged: false,
      unconfirmed: row?.unconfirmed ?? false,
    });
    this.letters.delete(k);
    return clone(stored);
  }

  get(table: string, id: string): SyncRecord | null {
    const row = this.rows.get(key(table, id));
    return row ? clone(row.record) : null;
  }

  /** Every record held (live and tombstones). */
  all(): SyncRecord[] {
    return [...this.rows.values()].map((row) => clone(row.record));
  }

  isPending(table: string, id: string): boolean {
    const row = this.rows.get(key(table, id));
    return row !== undefined && this.pending(key(table, id), row);
  }

  // ------------------------------------------------------------ LocalStore

  async deviceId(): Promise<string> {
    return this.device;
  }

  private pending(k: string, row: Row): boolean {
    if (row.acknowledged) return false;
    const letter = this.letters.get(k);
    return !(letter && letter.version === row.record.version);
  }

  async pendingChanges(options: {
    tables: readonly string[];
    limit: number;
    maxBytes: number;
    skip?: (table: string, id: string) => boolean;
  }): Promise<SyncRecord[]> {
    const order = new Map(options.tables.map((table, index) => [table, index]));
    const candidates = [...this.rows.entries()]
      .filter(([k, row]) => order.has(row.record.table) && this.pending(k, row))
      .map(([, row]) => row.record)
      .sort((a, b) => {
        const byTable = (order.get(a.table) as number) - (order.get(b.table) as number);
        return byTable !== 0 ? byTable : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      });
    const out: SyncRecord[] = [];
    let bytes = 0;
    let skipped = 0;
    for (const record of candidates) {
      if (out.length + skipped >= options.limit) break;
      if (options.skip?.(record.table, record.id)) {
        skipped += 1;
        continue;
      }
      const size = recordByteSize(record);
      if (out.length > 0 && bytes + size > options.maxBytes) break;
      out.push(clone(record));
      bytes += size;
    }
    return out;
  }

  async pendingCounts(tables: readonly string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = Object.fromEntries(tables.map((table) => [table, 0]));
    for (const [k, row] of this.rows) {
      if (row.record.table in counts && this.pending(k, row))
        counts[row.record.table] = (counts[row.record.table] ?? 0) + 1;
    }
    return counts;
  }

  async markPushed(accepted: AcceptedRecord[]): Promise<void> {
    for (const entry of accepted) {
      const k = key(entry.table, entry.id);
      const row = this.rows.get(k);
      if (row && row.record.version === entry.version) {
        row.acknowledged = true;
        this.letters.delete(k);
      }
    }
  }

  async applyServerRecords(records: ServerRecord[], cursor?: number): Promise<ApplyResult> {
    let applied = 0;
    let keptLocal = 0;
    for (const incoming of records) {
      const k = key(incoming.table, incoming.id);
      const row = this.rows.get(k);
      const order = row ? compareVersions(incoming, row.record) : 1;
      if (order > 0 || !row) {
        this.rows.set(k, { record: toLocal(incoming), acknowledged: true, unconfirmed: false });
        this.letters.delete(k);
        applied += 1;
      } else if (order === 0) {
        row.acknowledged = true;
        row.unconfirmed = false;
        this.letters.delete(k);
        applied += 1;
      } else {
        row.unconfirmed = false;
        keptLocal += 1;
      }
    }
    if (cursor !== undefined) this.cursor = cursor;
    return { applied, keptLocal };
  }

  async getCursor(): Promise<number> {
    return this.cursor;
  }

  async beginFullResync(): Promise<void> {
    for (const row of this.rows.values()) {
      if (row.acknowledged) row.unconfirmed = true;
    }
  }

  async finishFullResync(): Promise<void> {
    for (const [k, row] of this.rows) {
      if (row.unconfirmed && row.acknowledged) {
        this.rows.delete(k);
        this.letters.delete(k);
      }
    }
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      const k = key(letter.table, letter.id);
      if (this.rows.get(k)?.record.version === letter.version) this.letters.set(k, { ...letter });
    }
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    return [...this.letters.values()].map((letter) => ({ ...letter }));
  }

  async retryDeadLetters(): Promise<number> {
    const count = this.letters.size;
    this.letters.clear();
    return count;
  }

  async summarize(tables: readonly string[]): Promise<TableSummary[]> {
    return summarizeRecords(
      tables,
      [...this.rows.values()].map((row) => row.record),
    );
  }
}
