import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cloneDatabase,
  findProjectRoot,
  type PostgresCluster,
  pushMigrations,
  SHARED_CLUSTER_URL_ENV,
  SHARED_TEMPLATE_ENV,
  startPostgres,
} from '@agentlogs/test-backend';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossCheckServerSchema, formatProblem, parsePullDefinition } from './schema-check.js';

// The server schema that `supabase db push` made of supabase/migrations (the template of this run, pushed by the
// real Supabase CLI) against the schema spec, and the conflict rule stated once in SQL.
let cluster: PostgresCluster;
let template: string;

beforeAll(async () => {
  const url = process.env[SHARED_CLUSTER_URL_ENV];
  const name = process.env[SHARED_TEMPLATE_ENV];
  if (!url || !name) throw new Error('the globalSetup of this package sets up the migrated template');
  cluster = await startPostgres({ url });
  template = name;
});

afterAll(async () => {
  await cluster?.stop();
});

/** A throwaway copy of the migrated template, connected; `extra` migrations are pushed with the Supabase CLI. */
async function withCopy<T>(extra: Record<string, string>, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const copy = await cloneDatabase(cluster, template);
  const project = mkdtempSync(join(tmpdir(), 'agentlogs-schema-'));
  const db = new pg.Client({ connectionString: copy.url });
  try {
    if (Object.keys(extra).length > 0) {
      const source = join(findProjectRoot(), 'supabase');
      cpSync(join(source, 'config.toml'), join(project, 'supabase', 'config.toml'));
      cpSync(join(source, 'migrations'), join(project, 'supabase', 'migrations'), { recursive: true });
      for (const [file, sql] of Object.entries(extra)) {
        writeFileSync(join(project, 'supabase', 'migrations', file), sql);
      }
      await pushMigrations(copy.url, { projectRoot: project });
    }
    await db.connect();
    return await fn(db);
  } finally {
    await db.end().catch(() => {});
    await copy.drop();
    rmSync(project, { recursive: true, force: true });
  }
}

/** A migration file name later than every migration of the project. */
function laterMigration(name: string): string {
  const latest = readdirSync(join(findProjectRoot(), 'supabase', 'migrations'))
    .map((file) => file.slice(0, 14))
    .sort()
    .at(-1)!;
  return `${String(BigInt(latest) + 1n)}_${name}.sql`;
}

describe('the server schema and the schema spec (@agentlogs/schema)', () => {
  it('agree: every synced table and column, their types, and what sync_push and sync_pull carry', async () => {
    const problems = await withCopy({}, crossCheckServerSchema);
    expect(problems.map(formatProblem)).toEqual([]);
  });

  it('reads the payload of every table out of the generated sync_pull', async () => {
    await withCopy({}, async (db) => {
      const { rows } = await db.query<{ def: string }>(
        `select pg_get_functiondef('public.sync_pull(bigint, integer)'::regprocedure) as def`,
      );
      const pulled = parsePullDefinition(rows[0]!.def);
      expect([...pulled.keys()].sort()).toEqual(
        ['cognitive_commits', 'machines', 'projects', 'sessions', 'turns', 'visuals'].sort(),
      );
      expect(pulled.get('turns')!.map((item) => item.key)).toContain('timestamp');
      expect(pulled.get('turns')!.find((item) => item.key === 'timestamp')!.source).toBe('timestamp');
    });
  });

  it('reports exactly the synced column a later migration drops', async () => {
    const problems = await withCopy(
      {
        [laterMigration('drop_turns_speed')]:
          'alter table public.turns drop column speed;\nselect private.define_sync_pull();\n',
      },
      crossCheckServerSchema,
    );
    expect(problems.length).toBeGreaterThan(0);
    expect(new Set(problems.map((p) => `${p.table}.${p.column}`))).toEqual(new Set(['turns.speed']));
    expect(problems.map(formatProblem)).toContain('turns.speed: missing on the server');
    expect(problems.map(formatProblem)).toContain('turns.speed: not carried by sync_pull');
  });

  it('reports a dropped column that sync_pull still reads when the migration forgets to regenerate it', async () => {
    const problems = await withCopy(
      { [laterMigration('drop_visuals_caption')]: 'alter table public.visuals drop column caption;\n' },
      crossCheckServerSchema,
    );
    expect(new Set(problems.map((p) => `${p.table}.${p.column}`))).toEqual(new Set(['visuals.caption']));
    expect(problems.map(formatProblem)).toContain(
      'visuals.caption: read by sync_pull but missing on the server',
    );
  });

  it('reports a server column the spec does not know', async () => {
    const problems = await withCopy(
      {
        [laterMigration('add_projects_color')]:
          'alter table public.projects add column color text;\nselect private.define_sync_pull();\n',
      },
      crossCheckServerSchema,
    );
    expect(problems.map(formatProblem)).toEqual(['projects.color: on the server but not in the spec']);
  });
});

describe('the conflict rule in SQL', () => {
  it('is stated once: private.beats, called by every function that decides between two versions', async () => {
    await withCopy({}, async (db) => {
      const { rows } = await db.query<{ fn: string; def: string; volatility: string; config: string[] }>(
        `select p.pronamespace::regnamespace::text || '.' || p.proname as fn, pg_get_functiondef(p.oid) as def,
                p.provolatile as volatility,
                p.proconfig as config
           from pg_proc p where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)`,
      );
      const beats = rows.find((row) => row.fn === 'private.beats');
      expect(beats, 'private.beats exists').toBeDefined();
      expect(beats!.volatility).toBe('i');
      expect(beats!.config).toContain('search_path=""');
      // A row comparison by order (`(…) > (…)`, `(…) < (…)`) spelling the rule out anywhere else.
      const spelled = rows
        .filter((row) => row !== beats && /\)\s*(<|>|<=|>=)\s*\(/.test(row.def))
        .map((row) => row.fn);
      expect(spelled).toEqual([]);
      const callers = rows
        .filter((row) => row !== beats && row.def.includes('private.beats('))
        .map((row) => row.fn);
      expect(callers.sort()).toEqual(['private.apply_push', 'public.sync_push_preview']);
    });
  });

  it('decides as decision 0030 says', async () => {
    await withCopy({}, async (db) => {
      const beats = async (a: [number, string, string], b: [number, string, string]) =>
        (
          await db.query<{ wins: boolean }>('select private.beats($1, $2, $3, $4, $5, $6) as wins', [
            ...a,
            ...b,
          ])
        ).rows[0]!.wins;
      const t0 = '2026-01-01T00:00:00.000Z';
      const t1 = '2026-01-01T00:00:00.001Z';
      expect(await beats([2, t1, 'a'], [1, t0, 'z'])).toBe(true); // higher version
      expect(await beats([1, t0, 'z'], [2, t1, 'a'])).toBe(false);
      expect(await beats([1, t0, 'a'], [1, t1, 'z'])).toBe(true); // equal versions: the earlier time
      expect(await beats([1, t1, 'z'], [1, t0, 'a'])).toBe(false);
      expect(await beats([1, t0, 'b'], [1, t0, 'a'])).toBe(true); // equal times: the greater device id
      expect(await beats([1, t0, 'B'], [1, t0, 'a'])).toBe(false); // compared byte-wise, as JavaScript does
      expect(await beats([1, t0, 'a'], [1, t0, 'a'])).toBe(false); // the same write: neither beats
    });
  });
});
