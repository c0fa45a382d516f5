/**
 * Deterministic row ids (docs/data-model.md): UUIDv5 under the agentlogs namespace, the one UUIDv5
 * implementation of the workspace. The importer derives the ids of transcript rows here, the CLI its
 * machine's row id, and the local store's migration that adopts rows of earlier releases the same ids, so a
 * transcript imported after an upgrade (or on another machine) lands on the same rows. Uses only `node:crypto`.
 */
import * as crypto from 'node:crypto';

/** The agentlogs namespace for UUIDv5 ids: UUIDv5(URL namespace, "agentlogs"). */
export const AGENTLOGS_ID_NAMESPACE = '68373618-a08f-5d8b-aded-25dc09509c33';

const namespaceBytes = Buffer.from(AGENTLOGS_ID_NAMESPACE.replaceAll('-', ''), 'hex');

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** One-shot SHA-1 (`crypto.hash`, Node ≥ 20.12): about half the cost of a `createHash` object per id. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'buffer') => Buffer })
  .hash;
/** Namespace bytes followed by the name, reused for every agentlogs id short enough to fit. */
const scratch = Buffer.allocUnsafe(16 + 4096);
namespaceBytes.copy(scratch, 0);

function sha1(ns: Buffer, name: string): Buffer {
  if (oneShotHash && ns === namespaceBytes && name.length <= 1024) {
    // A UTF-16 code unit is at most 3 bytes of UTF-8, so 1,024 of them always fit in the scratch buffer.
    const length = 16 + scratch.write(name, 16, 'utf8');
    return oneShotHash('sha1', scratch.subarray(0, length), 'buffer');
  }
  return crypto.createHash('sha1').update(ns).update(name, 'utf8').digest();
}

/** RFC 9562 UUIDv5 of `name` under `namespace` (default: the agentlogs namespace). */
export function uuidV5(name: string, namespace: string = AGENTLOGS_ID_NAMESPACE): string {
  const ns =
    namespace === AGENTLOGS_ID_NAMESPACE ? namespaceBytes : Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = sha1(ns, name);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return formatUuid(hash);
}

/** RFC 9562 UUIDv5 of `name` under the agentlogs namespace. */
export function agentlogsUuid(name: string): string {
  return uuidV5(name);
}

/** Deterministic row ids (docs/data-model.md). */
export const rowId = {
  machine: (deviceId: string) => uuidV5(`machine:${deviceId}`),
  project: (cwd: string) => uuidV5(`project:${cwd}`),
  claudeSession: (sessionId: string) => uuidV5(`claude:session:${sessionId}`),
  codexSession: (rolloutId: string) => uuidV5(`codex:session:${rolloutId}`),
  claudeTurn: (sessionId: string, firstUuid: string) => uuidV5(`claude:turn:${sessionId}:${firstUuid}`),
  /** A subagent response known from the parent's `agent_progress` lines only (see docs/data-model.md). */
  claudeProgressTurn: (sessionId: string, messageId: string, requestId: string | null) =>
    uuidV5(`claude:turn:${sessionId}:progress:${messageId}:${requestId ?? ''}`),
  codexTurn: (rolloutId: string, n: number) => uuidV5(`codex:turn:${rolloutId}:${n}`),
  commit: (sessionRowId: string, firstTurnId: string) => uuidV5(`commit:${sessionRowId}:${firstTurnId}`),
  /** A session of any other agent: its `source` and the agent's own session id. */
  agentSession: (source: string, sessionId: string) => uuidV5(`${source}:session:${sessionId}`),
  /** A turn of any other agent: its `source`, the agent's session id and the message's own id in it. */
  agentTurn: (source: string, sessionId: string, messageId: string) =>
    uuidV5(`${source}:turn:${sessionId}:${messageId}`),
  /** An image of a transcript turn, by the turn's row id and the image's SHA-256. */
  visual: (turnRowId: string, sha256: string) => uuidV5(`visual:${turnRowId}:${sha256}`),
};
