import { createHash } from 'node:crypto';

/** The agentlogs namespace for UUIDv5 ids: UUIDv5(URL namespace, "agentlogs"). */
export const AGENTLOGS_NAMESPACE = '68373618-a08f-5d8b-aded-25dc09509c33';

const namespaceBytes = Buffer.from(AGENTLOGS_NAMESPACE.replaceAll('-', ''), 'hex');

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 9562 UUIDv5 of `name` under `namespace` (default: the agentlogs namespace). */
export function uuidV5(name: string, namespace: string = AGENTLOGS_NAMESPACE): string {
  const ns =
    namespace === AGENTLOGS_NAMESPACE ? namespaceBytes : Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return formatUuid(hash);
}

/** Deterministic row ids (docs/data-model.md). */
export const rowId = {
  machine: (deviceId: string) => uuidV5(`machine:${deviceId}`),
  project: (cwd: string) => uuidV5(`project:${cwd}`),
  claudeSession: (sessionId: string) => uuidV5(`claude:session:${sessionId}`),
  codexSession: (rolloutId: string) => uuidV5(`codex:session:${rolloutId}`),
  claudeTurn: (sessionId: string, firstUuid: string) => uuidV5(`claude:turn:${sessionId}:${firstUuid}`),
  codexTurn: (rolloutId: string, n: number) => uuidV5(`codex:turn:${rolloutId}:${n}`),
  commit: (sessionRowId: string, firstTurnId: string) => uuidV5(`commit:${sessionRowId}:${firstTurnId}`),
};
