import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adoptLegacyDatabase, agentlogsUuid, type LocalDatabase } from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import { importTranscripts } from '../src/import.js';
import { DEVICE, freshStore, OWN, projectsTree, TRANSCRIPTS, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

/** Databases written by the earlier CLI's own `import` (local-store/test/fixtures/legacy/README.md). */
const LEGACY = resolve(OWN, '../../../local-store/test/fixtures/legacy');

/** The transcripts that CLI imported, in the project folders it read them from. */
const FIRST_RUN: Record<string, string[]> = {
  '-home-dev-fasthooks': [
    join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_main_transcript.jsonl'),
    join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_agent_sidechain.jsonl'),
  ],
  '-home-dev-spotter': [
    join(TRANSCRIPTS, 'marot-spotter/tool_heavy.jsonl'),
    join(TRANSCRIPTS, 'marot-spotter/short.jsonl'),
  ],
  '-home-dev-shop': [join(OWN, 'git-commit-session.jsonl')],
  '-home-dev-project-alpha': [
    join(TRANSCRIPTS, 'ccusage-fixtures/claude/projects/project-alpha/session-alpha/chat.jsonl'),
  ],
  '-home-dev-project-beta': [
    join(TRANSCRIPTS, 'ccusage-fixtures/claude/projects/project-beta/session-beta/chat.jsonl'),
  ],
};
const CASES = [
  { file: 'cli-v6.db', projects: FIRST_RUN },
  { file: 'cli-v5.db', projects: FIRST_RUN },
  {
    file: 'cli-v5-then-v6.db',
    projects: {
      ...FIRST_RUN,
      '-home-dev-todo': [join(TRANSCRIPTS, 'daaain-claude-code-log/todowrite_examples.jsonl')],
    },
  },
];

function run(db: LocalDatabase, root: string) {
  return importTranscripts(db.sqlite, {
    roots: { claude_code: [root], codex: [] },
    deviceId: DEVICE,
    now: () => new Date('2026-11-01T00:00:00Z'),
  });
}

/**
 * A fixture database adopted into a fresh store, with two of its commits titled (as a person did with the earlier
 * studio; the adoption test shows titles in the file are kept), and the ids the earlier CLI gave its rows.
 */
function adopted(file: string) {
  const legacyPath = join(tempDir(), 'data.db');
  copyFileSync(join(LEGACY, file), legacyPath);
  const store = freshStore();
  expect(adoptLegacyDatabase({ store, legacyPath, backupDir: join(tempDir(), 'backups') })).not.toBeNull();
  const db = store.sqlite;
  const commitIds = (
    db.prepare('select legacy_id from cognitive_commits order by closed_at').all() as { legacy_id: string }[]
  ).map((r) => r.legacy_id);
  const titled = new Map<string, string>();
  for (const [i, id] of commitIds.slice(0, 2).entries()) {
    titled.set(id, `Curated title ${i}`);
    db.prepare('update cognitive_commits set title = ? where legacy_id = ?').run(`Curated title ${i}`, id);
  }
  const turnIds = (db.prepare('select legacy_id from turns').all() as { legacy_id: string }[]).map(
    (r) => r.legacy_id,
  );
  return { store, titled, turnIds, commitIds };
}

/** Live sessions, turns (ids) and token totals, per session and overall. */
function usage(db: LocalDatabase) {
  const q = (sql: string) => db.sqlite.prepare(sql).all();
  return {
    sessions: q('select id, native_id from sessions where deleted_at is null order by id'),
    turns: q('select id, session_id from turns where deleted_at is null order by id'),
    tokens: q(`select session_id, count(*) as turns, sum(input_tokens) as input, sum(output_tokens) as output,
        sum(cache_creation_tokens) as cache_write, sum(cache_read_tokens) as cache_read, sum(cost_usd) as cost
        from turns where deleted_at is null group by session_id order by session_id`),
  };
}

describe('importing the transcripts of an adopted database of the earlier CLI', () => {
  for (const { file, projects } of CASES) {
    it(`${file}: gives the sessions, turns and tokens of a fresh import; commits keep titles and turns`, () => {
      const root = projectsTree(projects);
      const fresh = freshStore();
      run(fresh, root);
      const expected = usage(fresh);
      expect(expected.turns.length).toBeGreaterThan(50);

      const legacy = adopted(file);
      const store = legacy.store;
      const before = usage(store);
      expect(before.turns.length).toBe(legacy.turnIds.length);

      const result = run(store, root);
      expect(result.legacyTurnsFolded).toBeGreaterThan(0);
      expect(usage(store)).toEqual(expected);

      const db = store.sqlite;
      // Every earlier turn id is recorded against the turn that holds it now.
      const recorded = db
        .prepare(
          `select l.legacy_id, t.id from legacy_ids l join turns t on t.id = l.id and t.deleted_at is null
            where l.table_name = 'turns'`,
        )
        .all() as { legacy_id: string; id: string }[];
      expect(new Set(recorded.map((r) => r.legacy_id))).toEqual(new Set(legacy.turnIds));

      // Every earlier commit is a live commit (its own row or the one it was folded into) that has turns.
      for (const id of legacy.commitIds) {
        const row = db
          .prepare(
            `select c.id, c.title from cognitive_commits c where c.deleted_at is null and (c.legacy_id = ?
              or c.id = (select l.id from legacy_ids l where l.table_name = 'cognitive_commits' and l.legacy_id = ?))`,
          )
          .get(id, id) as { id: string; title: string | null } | undefined;
        expect(row, id).toBeDefined();
        const turns = db
          .prepare('select count(*) as n from turns where commit_id = ? and deleted_at is null')
          .get(row!.id);
        expect(turns, id).not.toEqual({ n: 0 });
        if (legacy.titled.has(id)) expect(row!.title).toBe(legacy.titled.get(id));
      }
      // Sessions are matched by the session id inside each file, not by its name.
      const names = db
        .prepare("select legacy_id from legacy_ids where table_name = 'sessions' order by legacy_id")
        .all()
        .map((r) => (r as { legacy_id: string }).legacy_id);
      expect(names).toEqual(
        expect.arrayContaining(['git-commit-session', 'sample_main_transcript', 'short', 'tool_heavy']),
      );

      // Importing again changes nothing.
      const again = run(store, root);
      expect(again.turnsAdded + again.turnsUpdated + again.legacyTurnsFolded).toBe(0);
      expect(usage(store)).toEqual(expected);
    });
  }

  it('a store that had already imported the transcripts merges an adopted database the same way', () => {
    const root = projectsTree(FIRST_RUN);
    const fresh = freshStore();
    run(fresh, root);
    const expected = usage(fresh);

    const legacyPath = join(tempDir(), 'data.db');
    copyFileSync(join(LEGACY, 'cli-v6.db'), legacyPath);
    const store = freshStore();
    run(store, root);
    expect(adoptLegacyDatabase({ store, legacyPath, backupDir: join(tempDir(), 'backups') })).not.toBeNull();
    expect(usage(store)).not.toEqual(expected);
    // The files are unchanged since they were imported: the ones with legacy rows are read again for the fold.
    const result = run(store, root);
    expect(result.filesRead).toBe(5);
    expect(result.legacySessionsFolded).toBeGreaterThan(0);
    expect(usage(store)).toEqual(expected);
    expect(run(store, root).filesRead).toBe(0);
  });

  it('rows whose transcripts are gone stay as they are', () => {
    const { store } = adopted('cli-v6.db');
    const snapshot = (names: string[]) => {
      const marks = names.map(() => '?').join(', ');
      const q = (sql: string) => store.sqlite.prepare(sql).all(...names);
      return {
        sessions: q(`select * from sessions where legacy_id in (${marks}) order by id`),
        turns: q(
          `select * from turns where session_id in (select id from sessions where legacy_id in (${marks})) order by id`,
        ),
        commits: q(
          `select * from cognitive_commits where session_id in (select id from sessions where legacy_id in (${marks})) order by id`,
        ),
      };
    };
    const gone = ['short', 'tool_heavy'];
    const kept = snapshot(gone);
    expect(kept.turns.length).toBeGreaterThan(0);
    const { '-home-dev-spotter': _spotter, ...rest } = FIRST_RUN;
    run(store, projectsTree(rest));
    expect(snapshot(gone)).toEqual(kept);
    // The others were folded: the session the earlier CLI keyed by file name is gone.
    const byName = agentlogsUuid('claude:session:sample_main_transcript');
    expect(store.sqlite.prepare('select id from sessions where id = ?').get(byName)).toBeUndefined();
  });
});
