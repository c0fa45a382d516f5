/**
 * Deterministic row ids (docs/data-model.md): UUIDv5 under the agentlogs namespace. The importer derives
 * the same ids from transcripts; the migration that adopts rows of earlier releases derives them here, so a
 * transcript imported after an upgrade (or on another machine) lands on the same rows.
 */
import { createHash } from 'node:crypto';

/** UUIDv5(URL namespace, "agentlogs"). */
export const AGENTLOGS_ID_NAMESPACE = '68373618-a08f-5d8b-aded-25dc09509c33';

const namespaceBytes = Buffer.from(AGENTLOGS_ID_NAMESPACE.replaceAll('-', ''), 'hex');

/** RFC 9562 UUIDv5 of `name` under the agentlogs namespace. */
export function agentlogsUuid(name: string): string {
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
