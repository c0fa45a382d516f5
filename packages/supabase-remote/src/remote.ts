import {
  type AcceptedRecord,
  type CallOptions,
  type PullPage,
  type PullRequest,
  type PushBatch,
  type PushResult,
  type RejectedRecord,
  type Remote,
  type RemoteLimits,
  type ServerRecord,
  SyncProtocolError,
  type TableSummary,
} from '@agentlogs/sync-core';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { fetchWithEncodedBodies } from './body.js';
import { callRpc, DEFAULT_TIMEOUT_MS } from './request.js';

/** The RPC names and argument names of the agentlogs schema (supabase/migrations). */
export const SYNC_RPC = {
  push: 'sync_push',
  pull: 'sync_pull',
  summary: 'sync_summary',
  limits: 'sync_limits',
} as const;

export interface SupabaseRemoteOptions {
  /** Milliseconds before a call is abandoned with a transient timeout error (default 60 s). */
  timeoutMs?: number;
}

/**
 * sync-core's `Remote` over a Supabase project: three supabase-js `rpc()` calls (`sync_push`, `sync_pull`,
 * `sync_summary`). The client carries the user's session (or access token); the server decides everything
 * for `auth.uid()`. Failures are thrown as sync-core errors (transient / permanent), never returned.
 */
export class SupabaseRemote implements Remote {
  readonly #client: SupabaseClient;
  readonly #timeoutMs: number;

  constructor(client: SupabaseClient, options: SupabaseRemoteOptions = {}) {
    this.#client = client;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async push(batch: PushBatch, options: CallOptions = {}): Promise<PushResult> {
    if (batch.records.length === 0) return { accepted: [], rejected: [] };
    const data = await this.#call(SYNC_RPC.push, { batch }, options);
    const result = asObject(data, 'sync_push result');
    const accepted = asArray(result.accepted, 'sync_push accepted').map(readAccepted);
    const rejected = asArray(result.rejected, 'sync_push rejected').map(readRejected);
    if (accepted.length + rejected.length !== batch.records.length) {
      throw new SyncProtocolError(
        `sync_push answered for ${accepted.length + rejected.length} of ${batch.records.length} records`,
      );
    }
    return { accepted, rejected };
  }

  async pull(request: PullRequest, options: CallOptions = {}): Promise<PullPage> {
    const data = await this.#call(SYNC_RPC.pull, { cursor: request.cursor, lim: request.limit }, options);
    const page = asObject(data, 'sync_pull result');
    if (typeof page.hasMore !== 'boolean') throw new SyncProtocolError('sync_pull: hasMore is missing');
    return {
      records: asArray(page.records, 'sync_pull records').map(readServerRecord),
      nextCursor: asSeq(page.nextCursor, 'nextCursor'),
      hasMore: page.hasMore,
      oldestRetainedSeq: asSeq(page.oldestRetainedSeq, 'oldestRetainedSeq'),
    };
  }

  async limits(options: CallOptions = {}): Promise<RemoteLimits> {
    const data = asObject(await this.#call(SYNC_RPC.limits, {}, options), 'sync_limits result');
    return {
      maxRecordBytes: asSeq(data.maxRecordBytes, 'maxRecordBytes'),
      maxBatchRows: asSeq(data.maxBatchRows, 'maxBatchRows'),
      maxBatchBytes: asSeq(data.maxBatchBytes, 'maxBatchBytes'),
    };
  }

  async summarize(tables: string[], options: CallOptions = {}): Promise<TableSummary[]> {
    const data = await this.#call(SYNC_RPC.summary, { tables }, options);
    return asArray(data, 'sync_summary result').map((item) => {
      const row = asObject(item, 'summary');
      return {
        table: asString(row.table, 'summary table'),
        count: asSeq(row.count, 'count'),
        deleted: asSeq(row.deleted, 'deleted'),
        checksum: asSeq(row.checksum, 'checksum'),
      };
    });
  }

  #call(fn: string, args: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    return callRpc(this.#client, fn, args, {
      signal: options.signal,
      timeoutMs: this.#timeoutMs,
      retryClosedConnection: true,
    });
  }
}

export interface SupabaseRemoteConfig extends SupabaseRemoteOptions {
  /** Project URL, e.g. `https://abcd.supabase.co`. */
  url: string;
  /** The project's anon (publishable) key. */
  anonKey: string;
  /** The signed-in user's current access token (called before every request). */
  accessToken: () => Promise<string | null>;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** A `SupabaseRemote` on a client of its own that sends `accessToken()` with every call. */
export function createSupabaseRemote(config: SupabaseRemoteConfig): SupabaseRemote {
  const hasNativeWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
  const client = createClient(config.url, config.anonKey, {
    accessToken: config.accessToken,
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(hasNativeWebSocket ? {} : { realtime: { transport: WebSocket as never } }),
    global: { fetch: fetchWithEncodedBodies(config.fetch) },
  });
  return new SupabaseRemote(client, config);
}

type Json = Record<string, unknown>;

function asObject(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SyncProtocolError(`${what}: expected an object`);
  }
  return value as Json;
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new SyncProtocolError(`${what}: expected an array`);
  return value;
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new SyncProtocolError(`${what}: expected a string`);
  return value;
}

/** Postgres bigints may arrive as numbers or strings; both become safe integers. */
function asSeq(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new SyncProtocolError(`${what}: expected an integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

function readAccepted(value: unknown): AcceptedRecord {
  const row = asObject(value, 'accepted record');
  return {
    table: asString(row.table, 'accepted table'),
    id: asString(row.id, 'accepted id'),
    version: asSeq(row.version, 'accepted version'),
    changeSeq: asSeq(row.changeSeq, 'accepted changeSeq'),
  };
}

function readRejected(value: unknown): RejectedRecord {
  const row = asObject(value, 'rejected record');
  return {
    table: asString(row.table, 'rejected table'),
    id: asString(row.id, 'rejected id'),
    version: asSeq(row.version, 'rejected version'),
    winner: readServerRecord(row.winner),
  };
}

function readServerRecord(value: unknown): ServerRecord {
  const row = asObject(value, 'record');
  const deletedAt = row.deletedAt;
  if (deletedAt !== null && typeof deletedAt !== 'string') {
    throw new SyncProtocolError('record deletedAt: expected a string or null');
  }
  return {
    table: asString(row.table, 'record table'),
    id: asString(row.id, 'record id'),
    version: asSeq(row.version, 'record version'),
    updatedAt: asString(row.updatedAt, 'record updatedAt'),
    deletedAt,
    deviceId: asString(row.deviceId, 'record deviceId'),
    changeSeq: asSeq(row.changeSeq, 'record changeSeq'),
    payload: asObject(row.payload ?? {}, 'record payload'),
  };
}
