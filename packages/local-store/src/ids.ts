/** Deterministic row ids (docs/data-model.md): the one UUIDv5 implementation lives in `@agentlogs/schema`. */
export { AGENTLOGS_ID_NAMESPACE, agentlogsUuid, rowId, uuidV5 } from '@agentlogs/schema';
