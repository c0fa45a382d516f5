/**
 * The project's functions besides the three of sync-core's `Remote`: registering after a login
 * (`upsert_profile`, `register_machine`), the dry-run previews (`sync_push_preview`, `sync_pull_preview`) and
 * the machines list (`sync_machine_seen`, `sync_machines`), who may write (`access_list`, `access_allow`,
 * `access_deny`), the server's caps (`sync_limits`), the applied schema (`agentlogs_schema`), removing the
 * caller's records (`delete_my_cloud_data`), the user's footprint (`sync_footprint`) and pruning (`sync_prune`)
 * of supabase/migrations. Typed methods over
 * `callRpc`, so they share its timeout, cancellation and error classification.
 */
import { SyncProtocolError, type SyncRecord } from '@agentlogs/sync-core';
import type { SupabaseClient } from '@supabase/supabase-js';
import { callRpc, DEFAULT_TIMEOUT_MS, type RequestOptions } from './request.js';

/** What `sync_push` would decide for records of one table. */
export interface PushPreviewTable {
  table: string;
  /** Ids the server does not hold yet. */
  new: number;
  /** Newer versions of records the server holds. */
  update: number;
  /** The server already holds exactly this version (accepted again, nothing changes). */
  same: number;
  /** The server's copy wins under the conflict rule; the local edit would be replaced by it. */
  serverWins: number;
}

/** What a pull from a cursor would receive, per table. */
export interface PullPreview {
  /** The cursor the pull would start from (0 when the server forces a full resync). */
  cursor: number;
  fullResync: boolean;
  /** The last change_seq the server assigned for this user. */
  lastSeq: number;
  tables: { table: string; live: number; deleted: number }[];
}

export interface RemoteMachine {
  machineId: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  /** When the machine last finished a sync (ISO-8601), or null. */
  lastSyncAt: string | null;
  lastOutcome: Record<string, unknown> | null;
}

/** The signed-in user's profile as `upsert_profile` left it. */
export interface RemoteProfile {
  userId: string;
  githubLogin: string | null;
  email: string | null;
  displayName: string | null;
  avatarUrl: string | null;
  version: number;
  updatedAt: string;
}

export interface MachineRegistration {
  machineId: string;
  deviceId: string;
  name: string | null;
  hostname?: string | null;
  platform?: string | null;
}

/** The server's `machines` row of a registered machine. */
export interface RegisteredMachine {
  machineId: string;
  version: number;
  changeSeq: number;
}

/** An account allowed to write to the project (`access_list`). */
export interface AccessEntry {
  /** Lower-case GitHub login. */
  githubLogin: string;
  role: 'owner' | 'member';
  /** The account has written since it was allowed (the entry is bound to it). */
  signedIn: boolean;
  addedAt: string;
}

/** The server's caps (`sync_limits()`, the row of `private.limits`); the client keeps them too. */
export interface ServerLimits {
  maxRecordBytes: number;
  maxBatchRows: number;
  maxBatchBytes: number;
  pullPageRows: number;
  pullPageBytes: number;
  maxIdChars: number;
  maxNameChars: number;
  maxOutcomeBytes: number;
  maxArrayItems: number;
  maxVersionStep: number;
  maxVersion: number;
  minTime: string;
  maxFutureSeconds: number;
}

/**
 * The user's end-to-end encryption parameters (`content_key()`): what every machine needs to derive the same key
 * from the passphrase and to recognise a wrong one. Not secret; the key never reaches the server.
 */
export interface RemoteContentKey {
  /** The key derivation parameters (content-policy's `KdfParams`), validated by the client before use. */
  kdf: Record<string, unknown>;
  /** The key check of the current passphrase. */
  keyCheck: string;
  /** 1 when enabled, +1 per passphrase change. */
  epoch: number;
  updatedAt: string;
}

/** The migrations applied to the project's database (`agentlogs_schema()`), oldest first. */
export interface ServerSchema {
  versions: string[];
  latest: string | null;
}

/** Rows removed per table by `delete_my_cloud_data()`. */
export type DeletedCloudRows = Record<string, number>;

/** Records per `sync_push_preview` request. */
const PREVIEW_BATCH = 2000;

/** What this user's data takes on the server (`sync_footprint`). */
export interface Footprint {
  /** Rows and bytes (pg_column_size of each row, summed) per table. */
  tables: { table: string; rows: number; bytes: number }[];
  /** Objects and bytes in the `visuals` bucket. */
  storage: { objects: number; bytes: number };
}

/** How many records `sync_prune` emptied of their text, per table. */
export interface PruneResult {
  turns: number;
  sessions: number;
  cognitive_commits: number;
}

type Json = Record<string, unknown>;

export class ProjectRpc {
  readonly #client: SupabaseClient;
  readonly #timeoutMs: number;

  /** `client` carries the user's session; `timeoutMs` applies to each call unless a call sets its own. */
  constructor(client: SupabaseClient, options: { timeoutMs?: number } = {}) {
    this.#client = client;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  #call(fn: string, args: Json, options: RequestOptions): Promise<unknown> {
    return callRpc(this.#client, fn, args, { timeoutMs: this.#timeoutMs, ...options });
  }

  /** Creates or refreshes the caller's profile from their GitHub identity. */
  async upsertProfile(options: RequestOptions = {}): Promise<RemoteProfile> {
    const data = object(await this.#call('upsert_profile', {}, options), 'upsert_profile');
    return {
      userId: String(data.userId),
      githubLogin: text(data.githubLogin),
      email: text(data.email),
      displayName: text(data.displayName),
      avatarUrl: text(data.avatarUrl),
      version: Number(data.version),
      updatedAt: String(data.updatedAt),
    };
  }

  /** Records (or refreshes) this machine as a new version of the caller's `machines` row. */
  async registerMachine(
    machine: MachineRegistration,
    options: RequestOptions = {},
  ): Promise<RegisteredMachine> {
    const data = object(
      await this.#call(
        'register_machine',
        {
          machine_id: machine.machineId,
          device_id: machine.deviceId,
          name: machine.name,
          hostname: machine.hostname ?? null,
          platform: machine.platform ?? null,
        },
        options,
      ),
      'register_machine',
    );
    return { machineId: String(data.id), version: Number(data.version), changeSeq: Number(data.changeSeq) };
  }

  /** Evaluates records against the server's copies under the conflict rule, writing nothing. */
  async pushPreview(
    records: SyncRecord[],
    deviceId: string,
    options: RequestOptions = {},
  ): Promise<PushPreviewTable[]> {
    const totals = new Map<string, PushPreviewTable>();
    for (let i = 0; i < records.length; i += PREVIEW_BATCH) {
      const batch = records.slice(i, i + PREVIEW_BATCH).map((r) => ({
        table: r.table,
        id: r.id,
        version: r.version,
        updatedAt: r.updatedAt,
        deviceId: r.deviceId,
      }));
      const data = await this.#call('sync_push_preview', { batch: { deviceId, records: batch } }, options);
      if (!Array.isArray(data)) throw new SyncProtocolError('sync_push_preview: expected an array');
      for (const item of data as Json[]) {
        const table = String(item.table);
        const t = totals.get(table) ?? { table, new: 0, update: 0, same: 0, serverWins: 0 };
        t.new += Number(item.new);
        t.update += Number(item.update);
        t.same += Number(item.same);
        t.serverWins += Number(item.serverWins);
        totals.set(table, t);
      }
    }
    return [...totals.values()];
  }

  /** What a pull from `cursor` would receive (writes nothing). */
  async pullPreview(cursor: number, options: RequestOptions = {}): Promise<PullPreview> {
    const data = (await this.#call('sync_pull_preview', { cursor }, options)) as Json | null;
    if (!data || !Array.isArray(data.tables))
      throw new SyncProtocolError('sync_pull_preview: malformed answer');
    return {
      cursor: Number(data.cursor),
      fullResync: data.fullResync === true,
      lastSeq: Number(data.lastSeq),
      tables: (data.tables as Json[]).map((t) => ({
        table: String(t.table),
        live: Number(t.live),
        deleted: Number(t.deleted),
      })),
    };
  }

  /** Tells the server this machine finished a sync (what `sync_machines` reports as its last sync). */
  async machineSeen(
    machineId: string,
    outcome: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<void> {
    await this.#call('sync_machine_seen', { machine_id: machineId, outcome }, options);
  }

  /** The server's caps. */
  async limits(options: RequestOptions = {}): Promise<ServerLimits> {
    const data = object(await this.#call('sync_limits', {}, options), 'sync_limits');
    const number = (key: string): number => {
      const value = Number(data[key]);
      if (!Number.isFinite(value)) throw new SyncProtocolError(`sync_limits: ${key} is missing`);
      return value;
    };
    return {
      maxRecordBytes: number('maxRecordBytes'),
      maxBatchRows: number('maxBatchRows'),
      maxBatchBytes: number('maxBatchBytes'),
      pullPageRows: number('pullPageRows'),
      pullPageBytes: number('pullPageBytes'),
      maxIdChars: number('maxIdChars'),
      maxNameChars: number('maxNameChars'),
      maxOutcomeBytes: number('maxOutcomeBytes'),
      maxArrayItems: number('maxArrayItems'),
      maxVersionStep: number('maxVersionStep'),
      maxVersion: number('maxVersion'),
      minTime: String(data.minTime),
      maxFutureSeconds: number('maxFutureSeconds'),
    };
  }

  /**
   * The migrations applied to the project (callable with the anon key alone). Undefined when the project's
   * schema predates `agentlogs_schema()` or was never applied (PostgREST: no such function).
   */
  async schema(options: RequestOptions = {}): Promise<ServerSchema | undefined> {
    let data: unknown;
    try {
      data = await this.#call('agentlogs_schema', {}, options);
    } catch (error) {
      if ((error as { serverCode?: string }).serverCode === 'PGRST202') return undefined;
      throw error;
    }
    const value = object(data, 'agentlogs_schema');
    if (!Array.isArray(value.versions)) throw new SyncProtocolError('agentlogs_schema: versions is missing');
    return { versions: value.versions.map(String), latest: text(value.latest) };
  }

  /** Removes every synced record, the profile and the machine sync times of the caller; rows per table. */
  async deleteMyCloudData(options: RequestOptions = {}): Promise<DeletedCloudRows> {
    const data = object(await this.#call('delete_my_cloud_data', {}, options), 'delete_my_cloud_data');
    return Object.fromEntries(Object.entries(data).map(([table, n]) => [table, Number(n)]));
  }

  /** This user's rows per table and objects in Storage, as the database measures them. */
  async footprint(options: RequestOptions = {}): Promise<Footprint> {
    const data = object(await this.#call('sync_footprint', {}, options), 'sync_footprint');
    if (!Array.isArray(data.tables)) throw new SyncProtocolError('sync_footprint: malformed answer');
    const storage = object(data.storage, 'sync_footprint');
    return {
      tables: (data.tables as Json[]).map((t) => ({
        table: String(t.table),
        rows: Number(t.rows),
        bytes: Number(t.bytes),
      })),
      storage: { objects: Number(storage.objects), bytes: Number(storage.bytes) },
    };
  }

  /** Removes the text of this user's records older than `before` from the server (metrics stay). */
  async prune(before: string, options: RequestOptions = {}): Promise<PruneResult> {
    const data = object(await this.#call('sync_prune', { before }, options), 'sync_prune');
    return {
      turns: Number(data.turns),
      sessions: Number(data.sessions),
      cognitive_commits: Number(data.cognitive_commits),
    };
  }

  /** Owner only: the accounts allowed to write. */
  async accessList(options: RequestOptions = {}): Promise<AccessEntry[]> {
    const data = await this.#call('access_list', {}, options);
    if (!Array.isArray(data)) throw new SyncProtocolError('access_list: expected an array');
    return (data as Json[]).map(accessEntry);
  }

  /** Owner only: allows a GitHub login to write; returns its entry (unchanged if it was allowed already). */
  async accessAllow(githubLogin: string, options: RequestOptions = {}): Promise<AccessEntry> {
    return accessEntry(
      object(await this.#call('access_allow', { github_login: githubLogin }, options), 'access_allow'),
    );
  }

  /** Owner only: the login may no longer write (its records stay). False when it was not allowed. */
  async accessDeny(githubLogin: string, options: RequestOptions = {}): Promise<boolean> {
    return (await this.#call('access_deny', { github_login: githubLogin }, options)) === true;
  }

  /** The caller's content key parameters (`content_key`), or null when encryption is off. */
  async contentKey(options: RequestOptions = {}): Promise<RemoteContentKey | null> {
    const data = await this.#call('content_key', {}, options);
    return data === null || data === undefined ? null : contentKeyRow(object(data, 'content_key'));
  }

  /**
   * Stores new content key parameters: `previousCheck` null enables encryption (refused when it is on already),
   * otherwise it must be the current key check (a passphrase change). A row changed meanwhile is a permanent
   * error with code PT409.
   */
  async setContentKey(
    kdf: Record<string, unknown>,
    keyCheck: string,
    previousCheck: string | null,
    options: RequestOptions = {},
  ): Promise<RemoteContentKey> {
    const data = await this.#call(
      'set_content_key',
      { kdf, key_check: keyCheck, previous_check: previousCheck },
      options,
    );
    return contentKeyRow(object(data, 'set_content_key'));
  }

  /**
   * Turns encryption off for the account (`clear_content_key`): removes the key parameters when `keyCheck` is the
   * current key check. Encryption already off, or a passphrase changed meanwhile, is a permanent error with code
   * PT409.
   */
  async clearContentKey(keyCheck: string, options: RequestOptions = {}): Promise<void> {
    await this.#call('clear_content_key', { key_check: keyCheck }, options);
  }

  /** The caller's machines with their last finished sync. */
  async machines(options: RequestOptions = {}): Promise<RemoteMachine[]> {
    const data = await this.#call('sync_machines', {}, options);
    if (!Array.isArray(data)) throw new SyncProtocolError('sync_machines: expected an array');
    return (data as Json[]).map((m) => ({
      machineId: String(m.machineId),
      name: text(m.name),
      hostname: text(m.hostname),
      platform: text(m.platform),
      lastSyncAt: text(m.lastSyncAt),
      lastOutcome: m.lastOutcome && typeof m.lastOutcome === 'object' ? (m.lastOutcome as Json) : null,
    }));
  }
}

function object(value: unknown, fn: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SyncProtocolError(`${fn}: expected an object`);
  }
  return value as Json;
}

function contentKeyRow(value: Json): RemoteContentKey {
  if (typeof value.keyCheck !== 'string' || value.kdf === null || typeof value.kdf !== 'object') {
    throw new SyncProtocolError('content_key: malformed answer');
  }
  return {
    kdf: value.kdf as Record<string, unknown>,
    keyCheck: value.keyCheck,
    epoch: Number(value.epoch),
    updatedAt: String(value.updatedAt),
  };
}

function accessEntry(value: Json): AccessEntry {
  return {
    githubLogin: String(value.githubLogin),
    role: value.role === 'owner' ? 'owner' : 'member',
    signedIn: value.signedIn === true,
    addedAt: String(value.addedAt),
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
