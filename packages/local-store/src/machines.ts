/**
 * The `machines` table as the CLI needs it: this machine's row kept current, and every machine with the
 * totals of the rows it recorded.
 */
import type { LocalDatabase } from './open.js';
import type { SqliteSyncStore } from './sync-store.js';

export interface MachineIdentity {
  /** `machines.id` (derived from the device id). */
  id: string;
  deviceId: string;
  name: string;
  hostname: string | null;
  platform: string | null;
}

/**
 * Creates this machine's `machines` row, or renames it (a new version, synced) when its name changed. A
 * deleted row stays deleted. Returns what it did.
 */
export async function recordMachine(
  store: SqliteSyncStore,
  machine: MachineIdentity,
  now: Date = new Date(),
): Promise<'created' | 'renamed' | 'unchanged'> {
  const db = await store.database.kysely();
  const row = await db
    .selectFrom('machines')
    .select(['name', 'deleted_at'])
    .where('id', '=', machine.id)
    .executeTakeFirst();
  if (!row) {
    const at = now.toISOString();
    await db
      .insertInto('machines')
      .values({
        id: machine.id,
        name: machine.name,
        hostname: machine.hostname,
        platform: machine.platform,
        last_seen_at: at,
        version: 1,
        updated_at: at,
        device_id: machine.deviceId,
        machine_id: machine.id,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return 'created';
  }
  if (row.deleted_at === null && row.name !== machine.name) {
    await store.editRecord('machines', machine.id, { name: machine.name });
    return 'renamed';
  }
  return 'unchanged';
}

/** A live machine and the live rows whose origin it is (`machine_id`). */
export interface MachineTotals {
  id: string;
  name: string | null;
  hostname: string | null;
  platform: string | null;
  sessions: number;
  turns: number;
  input_tokens: number;
  output_tokens: number;
}

/** Every live machine with its totals, by name then id. */
export async function listMachineTotals(database: LocalDatabase): Promise<MachineTotals[]> {
  const db = await database.kysely();
  const rows = await db
    .selectFrom('machines as m')
    .select((eb) => [
      'm.id',
      'm.name',
      'm.hostname',
      'm.platform',
      eb
        .selectFrom('sessions as s')
        .whereRef('s.machine_id', '=', 'm.id')
        .where('s.deleted_at', 'is', null)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('sessions'),
      eb
        .selectFrom('turns as t')
        .whereRef('t.machine_id', '=', 'm.id')
        .where('t.deleted_at', 'is', null)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('turns'),
      eb
        .selectFrom('turns as t')
        .whereRef('t.machine_id', '=', 'm.id')
        .where('t.deleted_at', 'is', null)
        .select((e) => e.fn.coalesce(e.fn.sum<number>('t.input_tokens'), e.lit(0)).as('n'))
        .as('input_tokens'),
      eb
        .selectFrom('turns as t')
        .whereRef('t.machine_id', '=', 'm.id')
        .where('t.deleted_at', 'is', null)
        .select((e) => e.fn.coalesce(e.fn.sum<number>('t.output_tokens'), e.lit(0)).as('n'))
        .as('output_tokens'),
    ])
    .where('m.deleted_at', 'is', null)
    .orderBy('m.name')
    .orderBy('m.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    platform: row.platform,
    sessions: Number(row.sessions ?? 0),
    turns: Number(row.turns ?? 0),
    input_tokens: Number(row.input_tokens ?? 0),
    output_tokens: Number(row.output_tokens ?? 0),
  }));
}
