/**
 * Example: a statusline cost tracker that syncs through sync-core.
 *
 * Each machine records what its coding sessions cost, one row per machine per day (`daily_costs`), so
 * two machines never edit the same row; the statusline shows today's total over every machine.
 * The tool brings its own database (anything implementing `LocalStore` plus a way to write rows) and
 * its own server (anything implementing `Remote`); sync-core does the rest.
 */
import {
  type SyncEngine as Engine,
  type LocalStore,
  type Remote,
  SyncEngine,
  type SyncRecord,
} from '@agentlogs/sync-core';

/** The tool's one synced table. */
export const COST_TABLES = ['daily_costs'] as const;

export interface DailyCost {
  day: string; // YYYY-MM-DD
  machine: string;
  usd: number;
  sessions: number;
}

/** What the tracker needs from its database: the sync port, plus reading and writing rows. */
export interface CostStore extends LocalStore {
  /** Creates or edits a row as a local change (new version, this device, now). */
  write(table: string, id: string, payload: Record<string, unknown>): SyncRecord;
  get(table: string, id: string): SyncRecord | null;
  all(): SyncRecord[];
}

export class CostTracker {
  readonly engine: Engine;

  constructor(
    private readonly store: CostStore,
    remote: Remote,
    private readonly machine: string,
  ) {
    this.engine = new SyncEngine({ store, remote, tables: COST_TABLES });
  }

  /** Adds the cost of one finished session to today's row of this machine. */
  async record(day: string, usd: number): Promise<void> {
    const id = `${await this.store.deviceId()}:${day}`;
    const row = this.store.get('daily_costs', id)?.payload as DailyCost | undefined;
    const next: DailyCost = {
      day,
      machine: this.machine,
      usd: Math.round(((row?.usd ?? 0) + usd) * 100) / 100,
      sessions: (row?.sessions ?? 0) + 1,
    };
    this.store.write('daily_costs', id, { ...next });
    this.engine.notifyLocalChange(); // in continuous mode: sync 500 ms after the last change
  }

  /** One line for the statusline, from whatever this machine has synced so far. */
  statusline(day: string): string {
    const rows = this.store
      .all()
      .filter((r) => r.table === 'daily_costs' && r.deletedAt === null)
      .map((r) => r.payload as unknown as DailyCost)
      .filter((c) => c.day === day);
    const total = rows.reduce((sum, c) => sum + c.usd, 0);
    const machines = new Set(rows.map((c) => c.machine)).size;
    return `$${total.toFixed(2)} today on ${machines} machine${machines === 1 ? '' : 's'}`;
  }

  /** One-shot sync for a `cost sync` command: pull, push, pull until quiet, retrying blips. */
  sync() {
    return this.engine.sync({ retries: 2 });
  }

  /** Background sync for a long-running statusline process. */
  start(): void {
    this.engine.start();
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }
}
