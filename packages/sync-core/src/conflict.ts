/**
 * The conflict rule: one total order over the versions of a record.
 *
 * A version A beats B iff A.version > B.version; at equal versions, iff A.updatedAt is EARLIER than
 * B.updatedAt; at equal times, iff A.deviceId > B.deviceId. `updatedAt` is compared as UTC milliseconds and
 * `deviceId` as a plain string (UTF-16 code unit order, the same as Postgres `COLLATE "C"` for ASCII ids).
 * An equal triple is the same write: replaying it is a no-op.
 *
 * The edit counter orders edits made in sequence. Two writes of the same version were made concurrently
 * from the same base (two machines edited offline, or imported the same transcript): the first to claim the
 * version wins. That keeps a record with the machine that created it first (its origin), and makes a second
 * import of a transcript on another machine yield to the rows already synced.
 */
import type { SyncRecord } from './ports.js';

export type VersionStamp = Pick<SyncRecord, 'version' | 'updatedAt' | 'deviceId'>;

/** `updatedAt` as UTC milliseconds; throws on a value that is not an ISO-8601 time. */
export function timestampMillis(iso: string): number {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) {
    throw new RangeError(`not an ISO-8601 time: ${JSON.stringify(iso)}`);
  }
  return millis;
}

/** `updatedAt` normalised to `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC, milliseconds). */
export function normalizeTimestamp(iso: string): string {
  return new Date(timestampMillis(iso)).toISOString();
}

/** Negative when `a` loses to `b`, positive when `a` wins, 0 when they are the same write. */
export function compareVersions(a: VersionStamp, b: VersionStamp): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  const ta = timestampMillis(a.updatedAt);
  const tb = timestampMillis(b.updatedAt);
  // At equal versions the earlier claim wins.
  if (ta !== tb) return ta < tb ? 1 : -1;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return 0;
}

/** True when `a` and `b` are the same write of a record (equal triple). */
export function isSameWrite(a: VersionStamp, b: VersionStamp): boolean {
  return compareVersions(a, b) === 0;
}

/** The winner of two versions of one record (`incoming` on a tie, which is the same write). */
export function resolveConflict<T extends VersionStamp>(current: T, incoming: T): T {
  return compareVersions(incoming, current) >= 0 ? incoming : current;
}
