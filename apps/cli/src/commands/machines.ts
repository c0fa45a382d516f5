import { computeStats } from '@agentlogs/ingest';
import { listMachineTotals } from '@agentlogs/local-store';
import type { RemoteMachine } from '@agentlogs/supabase-remote';
import type { Command, OptionsOf } from '../command.js';
import { openLoggedInProject } from '../config.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../errors.js';
import { storeError } from '../open-store.js';
import { loadPrices } from '../prices.js';
import { oneLine } from '../printable.js';
import { assertSyncEnabled, openLocalSyncStore } from '../sync/session.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

export interface MachineView {
  id: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  this_machine: boolean;
  /** When the machine last finished a sync, as the server recorded it (null: never, or not asked). */
  last_sync_at: string | null;
  /** Rows whose origin is this machine, in the local database. */
  sessions: number;
  turns: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

async function remoteMachines(
  ctx: CommandContext,
): Promise<{ machines: RemoteMachine[] | null; note: string | null }> {
  try {
    assertSyncEnabled(ctx, 'machines');
    const project = await openLoggedInProject(ctx);
    return {
      machines: await new project.remote.ProjectRpc(project.client).machines({ timeoutMs: 15_000 }),
      note: null,
    };
  } catch (error) {
    return { machines: null, note: (error as Error).message };
  }
}

export const machinesCommand: Command<OptionsOf<typeof specs.machines>> = {
  name: 'machines',
  async run(ctx, args) {
    const json = args.values.json === true;
    const local = openLocalSyncStore(ctx, 'read');
    let views: MachineView[];
    try {
      const rows = await listMachineTotals(local.database);
      const costs = new Map(
        computeStats(local.database, { by: 'machine', prices: loadPrices(ctx) }).rows.map((r) => [
          r.key,
          r.cost_usd,
        ]),
      );
      views = rows.map((r) => ({
        id: r.id,
        name: r.name,
        hostname: r.hostname,
        platform: r.platform,
        this_machine: r.id === local.machineId,
        last_sync_at: null,
        sessions: r.sessions,
        turns: r.turns,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        cost_usd: costs.get(r.name ?? r.id) ?? 0,
      }));
    } catch (error) {
      throw storeError(local.database.translateError(error));
    } finally {
      await local.database.close();
    }
    if (args.values.offline !== true) {
      const remote = await remoteMachines(ctx);
      if (remote.machines) {
        for (const m of remote.machines) {
          const view = views.find((v) => v.id === m.machineId);
          if (view) view.last_sync_at = m.lastSyncAt;
          else {
            views.push({
              id: m.machineId,
              name: m.name,
              hostname: m.hostname,
              platform: m.platform,
              this_machine: m.machineId === local.machineId,
              last_sync_at: m.lastSyncAt,
              sessions: 0,
              turns: 0,
              input_tokens: 0,
              output_tokens: 0,
              cost_usd: 0,
            });
          }
        }
      } else if (remote.note) {
        ctx.err(`agentlogs machines: last sync times unknown: ${oneLine(remote.note)}`);
      }
    }
    if (json) {
      ctx.out(JSON.stringify(views, null, 2));
      return ExitCode.ok;
    }
    if (views.length === 0) {
      ctx.out(
        "No machines yet: run 'agentlogs import' here, or 'agentlogs sync' to fetch your other machines.",
      );
      return ExitCode.ok;
    }
    const header = ['machine', 'platform', 'last sync', 'sessions', 'turns', 'cost'];
    const table = views.map((v) => [
      `${v.name ?? v.id}${v.this_machine ? ' (this one)' : ''}`,
      v.platform ?? '-',
      v.last_sync_at ? v.last_sync_at.slice(0, 16).replace('T', ' ') : 'never',
      v.sessions.toLocaleString('en-US'),
      v.turns.toLocaleString('en-US'),
      `$${v.cost_usd.toFixed(2)}`,
    ]);
    const align = ['left', 'left', 'left', 'right', 'right', 'right'] as const;
    for (const line of renderTable(table, { header, align })) ctx.out(line);
    return ExitCode.ok;
  },
};
