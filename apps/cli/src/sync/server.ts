/**
 * The project's functions behind `--dry-run`, `sync status` and `machines`
 * (supabase/migrations/*_cli_sync_support.sql), called through supabase-js `rpc()` with the user's session.
 */
import type { ProjectClient } from '@agentlogs/supabase-remote';
import { type SyncError, SyncProtocolError, type SyncRecord, syncErrorFrom } from '@agentlogs/sync-core';

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

/** What a pull from the stored cursor would receive, per table. */
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

const PREVIEW_BATCH = 2000;

export class ProjectQueries {
  constructor(private readonly client: ProjectClient) {}

  private async call(fn: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    let response: { data: unknown; error: { message: string; code?: string } | null; status: number };
    try {
      const request = this.client.rpc(fn, args);
      response = await (signal ? request.abortSignal(signal) : request);
    } catch (error) {
      throw syncErrorFrom({
        message: `${fn}: ${(error as Error)?.message ?? error}`,
        network: true,
        cause: error,
      });
    }
    if (response.error) {
      throw syncErrorFrom({
        status: response.status === 0 ? undefined : response.status,
        code: response.error.code || undefined,
        message: `${fn}: ${response.error.message}`,
        network: response.status === 0,
        cause: response.error,
      }) satisfies SyncError;
    }
    return response.data;
  }

  /** Evaluates records against the server's copies under the conflict rule, writing nothing. */
  async pushPreview(
    records: SyncRecord[],
    deviceId: string,
    signal?: AbortSignal,
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
      const data = await this.call('sync_push_preview', { batch: { deviceId, records: batch } }, signal);
      if (!Array.isArray(data)) throw new SyncProtocolError('sync_push_preview: expected an array');
      for (const item of data as Record<string, unknown>[]) {
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

  async pullPreview(cursor: number, signal?: AbortSignal): Promise<PullPreview> {
    const data = (await this.call('sync_pull_preview', { cursor }, signal)) as Record<string, unknown> | null;
    if (!data || !Array.isArray(data.tables))
      throw new SyncProtocolError('sync_pull_preview: malformed answer');
    return {
      cursor: Number(data.cursor),
      fullResync: data.fullResync === true,
      lastSeq: Number(data.lastSeq),
      tables: (data.tables as Record<string, unknown>[]).map((t) => ({
        table: String(t.table),
        live: Number(t.live),
        deleted: Number(t.deleted),
      })),
    };
  }

  /** Tells the server this machine finished a sync (what `agentlogs machines` shows as last sync). */
  async machineSeen(machineId: string, outcome: Record<string, unknown>): Promise<void> {
    await this.call('sync_machine_seen', { machine_id: machineId, outcome });
  }

  async machines(signal?: AbortSignal): Promise<RemoteMachine[]> {
    const data = await this.call('sync_machines', {}, signal);
    if (!Array.isArray(data)) throw new SyncProtocolError('sync_machines: expected an array');
    return (data as Record<string, unknown>[]).map((m) => ({
      machineId: String(m.machineId),
      name: typeof m.name === 'string' ? m.name : null,
      hostname: typeof m.hostname === 'string' ? m.hostname : null,
      platform: typeof m.platform === 'string' ? m.platform : null,
      lastSyncAt: typeof m.lastSyncAt === 'string' ? m.lastSyncAt : null,
      lastOutcome:
        m.lastOutcome && typeof m.lastOutcome === 'object'
          ? (m.lastOutcome as Record<string, unknown>)
          : null,
    }));
  }
}
