/** Deterministic row ids: the one UUIDv5 implementation of the workspace (`@agentlogs/schema`). */
export { AGENTLOGS_ID_NAMESPACE as AGENTLOGS_NAMESPACE, rowId, uuidV5 } from '@agentlogs/schema';
