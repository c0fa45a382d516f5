import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { openLocalDatabase, TranscriptWriter } from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import { sortSessionFoldersFirst } from '../src/files.js';
import { rowId } from '../src/ids.js';
import { findTranscriptFiles, importTranscripts } from '../src/import.js';
import { RecordBatch } from '../src/records.js';
import { computeStats } from '../src/stats.js';
import { DEVICE, freshStore, OWN, TRANSCRIPTS, tempDir } from './helpers.js';

// Real SQLite files on a shared machine: allow for slow disks.
vi.setConfig({ testTimeout: 30_000 });

const GIT_FIXTURE = join(OWN, 'git-commit-session.jsonl');

function run(db: ReturnType<typeof freshStore>, claudeRoots: string[], codexRoots: string[] = []) {
  return importTranscripts(db.sqlite, {
    roots: { claude_code: claudeRoots, codex: codexRoots },
    deviceId: DEVICE,
    now: () => new Date('2026-11-01T00:00:00Z'),
  });
}

/** Everything an import derives, in a comparable form. */
function snapshot(db: ReturnType<typeof freshStore>) {
  return {
    turns: db.sqlite
      .prepare(
        `select id, session_id, commit_id, role, content, timestamp, tool_calls, model, message_id, request_id, is_sidechain,
                input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, speed
           from turns order by id`,
      )
      .all(),
    commits: db.sqlite
      .prepare(
        'select id, session_id, git_hash, started_at, closed_at, closed_by, files_read, files_changed, title from cognitive_commits order by id',
      )
      .all(),
    sessions: db.sqlite
      .prepare('select id, native_id, started_at, ended_at, cwd, project_id from sessions order by id')
      .all(),
  };
}

function layout(files: string[]): { root: string; dir: string } {
  const root = join(tempDir(), 'projects');
  const dir = join(root, 'demo');
  mkdirSync(dir, { recursive: true });
  for (const f of files) cpSync(f, join(dir, f.split('/').pop()!));
  return { root, dir };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('importTranscripts', () => {
  it('is idempotent: a second run adds nothing and reports every file unchanged', () => {
    const { root } = layout([
      join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_main_transcript.jsonl'),
      join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_agent_sidechain.jsonl'),
      join(TRANSCRIPTS, 'marot-spotter/tool_heavy.jsonl'),
      GIT_FIXTURE,
    ]);
    const db = freshStore();
    const first = run(db, [root]);
    expect(first.filesRead).toBe(4);
    expect(first.turnsAdded).toBeGreaterThan(0);
    const before = snapshot(db);
    const second = run(db, [root]);
    expect(second).toMatchObject({
      filesRead: 0,
      filesUnchanged: 4,
      turnsAdded: 0,
      turnsUpdated: 0,
      sessionsAdded: 0,
      commitsAdded: 0,
    });
    expect(snapshot(db)).toEqual(before);
  });

  it('a run that finds nothing new writes nothing; the machine is seen again at most hourly', async () => {
    const { root, dir } = layout([GIT_FIXTURE]);
    // Folders last changed an hour ago, as transcript folders between two sessions are.
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const folder of [dir, root]) utimesSync(folder, hourAgo, hourAgo);
    const db = freshStore();
    const at = (iso: string) =>
      importTranscripts(db.sqlite, {
        roots: { claude_code: [root], codex: [] },
        deviceId: DEVICE,
        machine: { name: 'desk', hostname: 'desk.local', platform: 'linux' },
        now: () => new Date(iso),
      });
    const lastSeen = () =>
      (db.sqlite.prepare('select last_seen_at from machines').get() as { last_seen_at: string }).last_seen_at;
    at('2026-11-01T00:00:00Z');
    expect(lastSeen()).toBe('2026-11-01T00:00:00.000Z');
    const other = openLocalDatabase({ path: db.path });
    try {
      const version = other.sqlite.pragma('data_version', { simple: true });
      expect(at('2026-11-01T00:40:00Z').filesUnchanged).toBe(1);
      // data_version changes when another connection commits: the no-op run committed nothing.
      expect(other.sqlite.pragma('data_version', { simple: true })).toBe(version);
      expect(lastSeen()).toBe('2026-11-01T00:00:00.000Z');
      at('2026-11-01T01:30:00Z');
      expect(lastSeen()).toBe('2026-11-01T01:30:00.000Z');
      expect(other.sqlite.pragma('data_version', { simple: true })).not.toBe(version);
    } finally {
      await other.close();
    }
  });

  it('stamps every row with this device and machine', () => {
    const { root } = layout([GIT_FIXTURE]);
    const db = freshStore();
    run(db, [root]);
    const machine = rowId.machine(DEVICE);
    for (const table of ['turns', 'sessions', 'cognitive_commits', 'projects']) {
      const rows = db.sqlite.prepare(`select device_id, machine_id, version from ${table}`).all() as {
        device_id: string;
        machine_id: string;
        version: number;
      }[];
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r).toEqual({ device_id: DEVICE, machine_id: machine, version: 1 });
    }
  });

  it('never changes the transcripts (content and mtime unchanged)', () => {
    const { root, dir } = layout([GIT_FIXTURE, join(TRANSCRIPTS, 'marot-spotter/short.jsonl')]);
    const files = ['git-commit-session.jsonl', 'short.jsonl'].map((f) => join(dir, f));
    const old = new Date('2025-01-01T00:00:00Z');
    for (const f of files) utimesSync(f, old, old);
    const before = files.map((f) => [sha(f), statSync(f).mtimeMs]);
    run(freshStore(), [root]);
    expect(files.map((f) => [sha(f), statSync(f).mtimeMs])).toEqual(before);
  });

  it('resumes an appended file from its byte offset: at every cut point the result equals one full import', () => {
    const full = readFileSync(GIT_FIXTURE, 'utf8').split('\n').filter(Boolean);
    const reference = freshStore();
    run(reference, [layout([GIT_FIXTURE]).root]);
    const expected = snapshot(reference);
    for (let cut = 1; cut < full.length; cut++) {
      const { root, dir } = layout([]);
      const file = join(dir, 'git-commit-session.jsonl');
      writeFileSync(file, `${full.slice(0, cut).join('\n')}\n`);
      const db = freshStore();
      const first = run(db, [root]);
      expect(first.filesRead).toBe(1);
      appendFileSync(file, `${full.slice(cut).join('\n')}\n`);
      const second = run(db, [root]);
      expect(second.filesRead).toBe(1);
      expect(second.filesReread).toBe(0);
      expect(second.bytesRead).toBe(
        statSync(file).size - Buffer.byteLength(`${full.slice(0, cut).join('\n')}\n`),
      );
      expect(snapshot(db), `cut after line ${cut}`).toEqual(expected);
    }
  });

  it('writing in small batches (as for a very large file) gives the same rows as one batch', () => {
    // A response line written again much later (a replay with a new uuid) still belongs to its turn.
    const replay = join(tempDir(), 'replay.jsonl');
    const lines = readFileSync(GIT_FIXTURE, 'utf8').split('\n').filter(Boolean);
    writeFileSync(
      replay,
      `${[...lines, lines[2]!.replace('"uuid":"a-002"', '"uuid":"a-902"')].join('\n')}\n`,
    );
    const files = [
      GIT_FIXTURE,
      replay,
      join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_main_transcript.jsonl'),
    ];
    const whole = freshStore();
    run(whole, [layout(files).root]);
    const small = freshStore();
    importTranscripts(small.sqlite, {
      roots: { claude_code: [layout(files).root], codex: [] },
      deviceId: DEVICE,
      now: () => new Date('2026-11-01T00:00:00Z'),
      batchSize: 1,
    });
    expect(snapshot(small)).toEqual(snapshot(whole));
  });

  it('a last line still being written is left for the next run', () => {
    const full = readFileSync(GIT_FIXTURE, 'utf8').split('\n').filter(Boolean);
    const { root, dir } = layout([]);
    const file = join(dir, 'x.jsonl');
    writeFileSync(file, `${full.slice(0, 3).join('\n')}\n${full[3]!.slice(0, 40)}`);
    const db = freshStore();
    const first = run(db, [root]);
    expect(first.malformedLines).toBe(0);
    appendFileSync(file, `${full[3]!.slice(40)}\n`);
    const second = run(db, [root]);
    expect(second.malformedLines).toBe(0);
    expect(second.turnsAdded).toBe(1); // u-002
  });

  it('a file that shrank or was rewritten is read again from the start: nothing lost, nothing doubled', () => {
    const full = readFileSync(GIT_FIXTURE, 'utf8').split('\n').filter(Boolean);
    const { root, dir } = layout([GIT_FIXTURE]);
    const file = join(dir, 'git-commit-session.jsonl');
    const db = freshStore();
    run(db, [root]);
    const before = snapshot(db);

    // Shrink: the transcript was cut (e.g. compaction rewrote it shorter).
    writeFileSync(file, `${full.slice(0, 5).join('\n')}\n`);
    const shrunk = run(db, [root]);
    expect(shrunk.filesReread).toBe(1);
    expect(shrunk.turnsAdded).toBe(0);
    expect(snapshot(db).turns.map((t) => (t as { id: string }).id)).toEqual(
      before.turns.map((t) => (t as { id: string }).id),
    );

    // Rewrite before the offset with the same size: a changed first line.
    const rewritten = [full[0]!.replace('Add a parser', 'Add a PARSER'), ...full.slice(1)];
    writeFileSync(file, `${rewritten.join('\n')}\n`);
    const again = run(db, [root]);
    expect(again.filesReread).toBe(1);
    expect(again.turnsAdded).toBe(0);
    const after = snapshot(db);
    expect(after.turns).toHaveLength(before.turns.length);
    const firstTurn = after.turns.find(
      (t) => (t as { id: string }).id === rowId.claudeTurn('5b0e2f4e-1c1d-4b8e-9a53-2f6f0c2d7a10', 'u-001'),
    ) as {
      content: string;
    };
    expect(firstTurn.content).toContain('Add a PARSER');
  });

  it('a file rewritten past its first 4 KiB and then grown is read again from the start', () => {
    const full = readFileSync(GIT_FIXTURE, 'utf8').split('\n').filter(Boolean);
    expect(Buffer.byteLength(full.slice(0, 10).join('\n'))).toBeGreaterThan(4096);
    const { root, dir } = layout([]);
    const file = join(dir, 'git-commit-session.jsonl');
    writeFileSync(file, `${full.slice(0, 12).join('\n')}\n`);
    const db = freshStore();
    run(db, [root]);
    // Line 11 changes (after the first 4 KiB, before the old end), and the file grows.
    const changed = [...full];
    changed[10] = changed[10]!.replace('wip', 'WIP');
    writeFileSync(file, `${changed.join('\n')}\n`);
    const again = run(db, [root]);
    expect(again.filesReread).toBe(1);
    expect(again.malformedLines).toBe(0);
    const turn = db.sqlite.prepare('select tool_calls from turns where message_id = ?').get('msg_E') as {
      tool_calls: string;
    };
    expect(turn.tool_calls).toContain('-am WIP');
    expect(snapshot(db).turns).toHaveLength(full.length - 1); // msg_A spans two lines
  });

  it('an unreadable cursor state means a full re-read, not a failure', () => {
    const full = readFileSync(GIT_FIXTURE, 'utf8');
    const { root, dir } = layout([]);
    const file = join(dir, 'git-commit-session.jsonl');
    writeFileSync(file, full.split('\n').slice(0, 5).join('\n') + '\n');
    const db = freshStore();
    run(db, [root]);
    db.sqlite.prepare("update import_files set state = '{not json'").run();
    writeFileSync(file, full);
    const again = run(db, [root]);
    expect(again.filesFailed).toEqual([]);
    expect(again.filesReread).toBe(1);
    const reference = freshStore();
    run(reference, [layout([GIT_FIXTURE]).root]);
    expect(snapshot(db).turns).toEqual(snapshot(reference).turns);
  });

  it('never recreates or revives a tombstoned row', () => {
    const { root, dir } = layout([GIT_FIXTURE]);
    const file = join(dir, 'git-commit-session.jsonl');
    const db = freshStore();
    run(db, [root]);
    const id = rowId.claudeTurn('5b0e2f4e-1c1d-4b8e-9a53-2f6f0c2d7a10', 'u-001');
    db.sqlite
      .prepare("update turns set deleted_at = '2026-11-01T00:00:00Z', content = null where id = ?")
      .run(id);
    // Force a full re-read, then import the same transcript from a second folder too.
    writeFileSync(file, `${readFileSync(GIT_FIXTURE, 'utf8')}`.replace('Add a parser', 'Add a parzer'));
    const other = layout([GIT_FIXTURE]).root;
    run(db, [root, other]);
    const rows = db.sqlite.prepare('select deleted_at, content from turns where id = ?').all(id);
    expect(rows).toEqual([{ deleted_at: '2026-11-01T00:00:00Z', content: null }]);
  });

  it('one bad file never aborts the import', () => {
    const { root, dir } = layout([
      GIT_FIXTURE,
      join(TRANSCRIPTS, 'marot-spotter/short.jsonl'),
      join(TRANSCRIPTS, 'marot-spotter/tool_heavy.jsonl'),
    ]);
    const db = freshStore();
    const result = importTranscripts(db.sqlite, {
      roots: { claude_code: [root], codex: [] },
      deviceId: DEVICE,
      // The first file done, a transcript disappears before it is read (Claude Code deletes old ones).
      onProgress: (p) => {
        if (p.filesDone === 1) rmSync(join(dir, 'short.jsonl'), { force: true });
      },
    });
    expect(result.filesFailed).toHaveLength(1);
    expect(result.filesFailed[0]!.path).toBe(join(dir, 'short.jsonl'));
    expect(result.filesRead).toBe(2);
  });

  it('counts malformed lines with file:line and keeps the rest', () => {
    const { root, dir } = layout([join(TRANSCRIPTS, 'daaain-claude-code-log/edge_cases.jsonl')]);
    const result = run(freshStore(), [root]);
    expect(result.malformedLines).toBe(5);
    expect(result.malformed.map((m) => `${m.path}:${m.line}`)).toEqual(
      [11, 13, 14, 15, 16].map((n) => `${join(dir, 'edge_cases.jsonl')}:${n}`),
    );
    expect(result.turnsAdded).toBeGreaterThan(0);
  });

  it('subagent files join the parent session and its open segment', () => {
    const { root } = layout([
      join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_agent_sidechain.jsonl'),
      join(TRANSCRIPTS, 'oneryalcin-fasthooks/sample_main_transcript.jsonl'),
    ]);
    const db = freshStore();
    run(db, [root]);
    const sessions = db.sqlite.prepare('select native_id from sessions').all();
    expect(sessions).toEqual([{ native_id: 'c45af7b1-cb7c-4e51-93db-8cbb250a877a' }]);
    const side = db.sqlite.prepare('select commit_id from turns where is_sidechain = 1').all() as {
      commit_id: string | null;
    }[];
    expect(side).toHaveLength(2);
    for (const t of side) expect(t.commit_id).not.toBeNull();
  });

  it('Codex rollouts: every turn has the model in effect, opening messages included; no (none) row', () => {
    const codex = join(tempDir(), 'sessions');
    mkdirSync(join(codex, '2026', '06', '01'), { recursive: true });
    cpSync(join(OWN, 'codex-turn-context.jsonl'), join(codex, '2026', '06', '01', 'rollout.jsonl'));
    const db = freshStore();
    run(db, [], [codex]);
    const turns = db.sqlite
      .prepare('select role, model, input_tokens, output_tokens from turns order by timestamp')
      .all();
    expect(turns).toEqual([
      { role: 'user', model: 'gpt-5-codex', input_tokens: 0, output_tokens: 0 },
      { role: 'user', model: 'gpt-5-codex', input_tokens: 0, output_tokens: 0 },
      { role: 'assistant', model: 'gpt-5-codex', input_tokens: 0, output_tokens: 0 },
      { role: 'assistant', model: 'gpt-5-codex', input_tokens: 4000, output_tokens: 900 },
      { role: 'user', model: 'gpt-5.1-codex', input_tokens: 0, output_tokens: 0 },
      { role: 'assistant', model: 'gpt-5.1-codex', input_tokens: 0, output_tokens: 0 },
      { role: 'assistant', model: 'gpt-5.1-codex', input_tokens: 6000, output_tokens: 1100 },
    ]);
    const byModel = computeStats(db.sqlite, { by: 'model', timeZone: 'UTC' });
    expect(byModel.rows.map((r) => [r.key, r.turns, r.input_tokens, r.cache_read_tokens])).toEqual([
      ['gpt-5-codex', 4, 4000, 8000],
      ['gpt-5.1-codex', 3, 6000, 12000],
    ]);
    expect(byModel.totals.turns).toBe(7);
  });

  it('Codex rollouts: cumulative totals become per-event usage; input excludes cached input', () => {
    const codex = join(tempDir(), 'sessions');
    mkdirSync(join(codex, 'project-alpha'), { recursive: true });
    const file = join(codex, 'project-alpha', 'session-alpha.jsonl');
    const lines = readFileSync(
      join(TRANSCRIPTS, 'ccusage-fixtures/codex/sessions/project-alpha/session-alpha.jsonl'),
      'utf8',
    )
      .split('\n')
      .filter(Boolean);
    writeFileSync(file, `${lines.slice(0, 2).join('\n')}\n`);
    const db = freshStore();
    run(db, [], [codex]);
    appendFileSync(file, `${lines.slice(2).join('\n')}\n`);
    run(db, [], [codex]);
    const turns = db.sqlite
      .prepare(
        'select model, input_tokens, cache_read_tokens, output_tokens, reasoning_tokens from turns order by timestamp',
      )
      .all();
    expect(turns).toEqual([
      {
        model: 'gpt-5.2-codex',
        input_tokens: 750,
        cache_read_tokens: 250,
        output_tokens: 125,
        reasoning_tokens: 75,
      },
      {
        model: 'gpt-5.3-codex',
        input_tokens: 2000,
        cache_read_tokens: 500,
        output_tokens: 300,
        reasoning_tokens: 200,
      },
    ]);
    const session = db.sqlite.prepare('select source, native_id from sessions').get();
    expect(session).toEqual({ source: 'codex', native_id: 'project-alpha/session-alpha' });
  });
});

describe('folder listings', () => {
  /** A tree whose folders last changed an hour ago, imported once. */
  function listedTree() {
    const { root, dir } = layout([GIT_FIXTURE]);
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000); // whole seconds: exact on every FS
    for (const folder of [dir, root]) utimesSync(folder, hourAgo, hourAgo);
    const db = freshStore();
    expect(run(db, [root]).filesRead).toBe(1);
    return { root, dir, db, hourAgo };
  }
  const stored = (db: ReturnType<typeof freshStore>) =>
    db.sqlite.prepare('select path, folders, files from import_folders order by path').all();

  it('are stored, and a new file in a folder is found: adding it changes the folder', () => {
    const { root, dir, db } = listedTree();
    expect(stored(db)).toEqual([
      { path: root, folders: '["demo"]', files: '[]' },
      { path: dir, folders: '[]', files: `["${GIT_FIXTURE.split('/').pop()}"]` },
    ]);
    cpSync(join(TRANSCRIPTS, 'marot-spotter/short.jsonl'), join(dir, 'short.jsonl'));
    const next = run(db, [root]);
    expect(next).toMatchObject({ filesFound: 2, filesRead: 1, filesUnchanged: 1 });
  });

  it('a folder whose mtime is unchanged is not read again; one that changed is', () => {
    const { root, dir, db, hourAgo } = listedTree();
    // A file slipped in while the folder's mtime is put back: the stored listing is trusted, so it is not seen
    // (which shows the folder was not read) ...
    cpSync(join(TRANSCRIPTS, 'marot-spotter/short.jsonl'), join(dir, 'short.jsonl'));
    utimesSync(dir, hourAgo, hourAgo);
    expect(run(db, [root])).toMatchObject({ filesFound: 1, filesUnchanged: 1 });
    // ... and as soon as the folder's mtime is another one, it is read and the file found, even when that
    // mtime is older still (a folder restored from a backup with its times).
    const older = new Date(hourAgo.getTime() - 60_000);
    utimesSync(dir, older, older);
    expect(run(db, [root])).toMatchObject({ filesFound: 2, filesRead: 1 });
  });

  it('a listing taken within 2 s of the folder changing is read again, in case it missed an entry', () => {
    const { root, dir } = layout([GIT_FIXTURE]);
    // The folder changed within the last second (whole seconds, so it can be put back exactly).
    const secondAgo = new Date(Math.floor(Date.now() / 1000) * 1000);
    utimesSync(dir, secondAgo, secondAgo);
    const db = freshStore();
    run(db, [root]);
    cpSync(join(TRANSCRIPTS, 'marot-spotter/short.jsonl'), join(dir, 'short.jsonl'));
    utimesSync(dir, secondAgo, secondAgo); // as if the file came in the same clock tick
    expect(statSync(dir).mtimeMs).toBe(secondAgo.getTime());
    expect(run(db, [root])).toMatchObject({ filesFound: 2, filesRead: 1 });
  });
});

describe('findTranscriptFiles', () => {
  it('names files as path.join does, however the root is written, so cursors keep matching', () => {
    const root = join(tempDir(), 'projects');
    mkdirSync(join(root, 'p', 'sub', 'subagents'), { recursive: true });
    for (const f of ['p/a.jsonl', 'p/sub/b.jsonl', 'p/sub/subagents/agent-c.jsonl', 'p/notes.txt']) {
      writeFileSync(join(root, f), '{}\n');
    }
    const expected = ['p/a.jsonl', 'p/sub/b.jsonl', 'p/sub/subagents/agent-c.jsonl'].map((f) =>
      join(root, f),
    );
    for (const spelled of [root, `${root}/`, `${root}/./`, `${root}/p/..`]) {
      expect(findTranscriptFiles({ claude_code: [spelled] }).map((f) => f.path)).toEqual(expected);
    }
  });
});

describe('sortSessionFoldersFirst', () => {
  it("puts a session's folder before its file, and sorts the rest by name", () => {
    const paths = [
      '/t/p/b.jsonl',
      '/t/p/a.jsonl',
      '/t/p/a/subagents/agent-2.jsonl',
      '/t/p/a-b.jsonl',
      '/t/p/a/subagents/agent-1.jsonl',
      '/t/p/ab.jsonl',
      '/t/p/a/notes.json',
      '/t/p/é.jsonl',
      '/t/p2/z.jsonl',
      '/t/p/a',
    ];
    // The rule written as a comparison of keys, the way it reads.
    const key = (p: string) => (p.endsWith('.jsonl') ? `${p.slice(0, -6)}/\uffff` : p);
    const expected = [...paths].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
    sortSessionFoldersFirst(paths);
    expect(paths).toEqual(expected);
    expect(paths.indexOf('/t/p/a/subagents/agent-1.jsonl')).toBeLessThan(paths.indexOf('/t/p/a.jsonl'));
    expect(paths.slice(0, 3)).toEqual(['/t/p/a', '/t/p/a-b.jsonl', '/t/p/a/notes.json']);
  });
});

describe('the transcript writer', () => {
  it('counts each project and session once, however many it writes in a run', () => {
    // More ids than the writer keeps as known (4,096): those it forgot are looked up, never counted again.
    const db = freshStore();
    const writer = new TranscriptWriter(db.sqlite, DEVICE, rowId.machine(DEVICE), '2026-11-01T00:00:00Z');
    const writeAll = () => {
      for (let from = 0; from < 6000; from += 100) {
        const batch = new RecordBatch();
        for (let i = from; i < from + 100; i++) {
          const cwd = `/work/p${i % 50}`;
          const projectId = rowId.project(cwd);
          batch.touchProject(cwd, projectId);
          batch.sessions.set(`s${i}`, {
            id: `s${i}`,
            source: 'claude_code',
            nativeId: `s${i}`,
            projectId,
            cwd,
            startedAt: '2026-10-01T00:00:00.000Z',
            endedAt: '2026-10-01T00:00:00.000Z',
          });
        }
        db.sqlite.transaction(() => writer.write(batch))();
      }
    };
    writeAll();
    writeAll();
    expect(writer.counts.sessionsAdded).toBe(6000);
    expect(writer.counts.projectsAdded).toBe(50);
    expect(db.sqlite.prepare('select count(*) from sessions').pluck().get()).toBe(6000);
  });
});
