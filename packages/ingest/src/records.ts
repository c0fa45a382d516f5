/** The record types live in local-store (the writer consumes them); the parsers build them. */
export {
  type CommitRecord,
  type ProjectRecord,
  RecordBatch,
  type SessionRecord,
  type Source,
  type TurnRecord,
} from '@agentlogs/local-store';

/** Orders two ISO-8601 instants; plain string order when both are UTC in the same shape (the common case). */
function compareIso(a: string, b: string): number {
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return a < b ? -1 : a > b ? 1 : 0;
  return Date.parse(a) - Date.parse(b);
}

export function minIso(a: string, b: string): string {
  return compareIso(a, b) <= 0 ? a : b;
}

export function maxIso(a: string, b: string): string {
  return compareIso(a, b) >= 0 ? a : b;
}
