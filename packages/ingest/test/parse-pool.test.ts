/**
 * The import with its parse workers against the import on one thread: the same rows, counts and cursors. The
 * workers run the built module (`dist/`, what users run: a worker cannot start from TypeScript sources), so
 * build the package first (`pnpm --filter @agentlogs/ingest build`).
 */
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqliteOf } from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import { freshStore, OWN, TRANSCRIPTS, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

type Built = typeof import('../src/index.js');
const built = (await import(new URL('../dist/index.js', import.meta.url).href)) as Built;

/** A Claude Code tree of the committed transcripts (with subagent folders), plus a file with broken lines. */
function claudeTree(): string {
  const root = join(tempDir(), 'projects');
  cpSync(join(TRANSCRIPTS, 'marot-spotter'), join(root, 'spotter'), { recursive: true });
  for (const dir of ['daaain-claude-code-log', 'oneryalcin-fasthooks']) {
    cpSync(join(TRANSCRIPTS, dir), join(root, dir), { recursive: true });
  }
  mkdirSync(join(root, 'own'), { recursive: true });
  cpSync(join(OWN, 'git-commit-session.jsonl'), join(root, 'own', 'git-commit-session.jsonl'));
  const broken = join(root, 'own', 'broken.jsonl');
  writeFileSync(
    broken,
    readFileSync(join(OWN, 'git-commit-session.jsonl'), 'utf8').replaceAll(
      '"sessionId":"',
      '"sessionId":"b-',
    ),
  );
  appendFileSync(broken, '{not json\n[1,2]\n{"type":"assistant","message":{"role":"assistant"}}\n');
  return root;
}

const TABLES = {
  turns: 'select * from turns order by id',
  sessions: 'select * from sessions order by id',
  cognitive_commits: 'select * from cognitive_commits order by id',
  projects: 'select * from projects order by id',
  import_files:
    'select path, source, size, byte_offset, line_count, head_hash, session_id, state, malformed_lines from import_files order by path',
  indexes: "select name, sql from sqlite_master where tbl_name = 'turns' order by name",
  search: "select rowid from turn_search where turn_search match 'the' order by rowid",
};

function importWith(parseWorkers: number, root: string) {
  const store = freshStore();
  const result = built.importTranscripts(store, {
    roots: { claude_code: [root] },
    deviceId: '0f5c2a9e-7d0b-8c41-9e2f-3a6b5c4d2e10',
    now: () => new Date('2026-12-05T08:00:00Z'),
    parseWorkers,
    batchSize: 64,
  });
  const db = sqliteOf(store);
  const rows = Object.fromEntries(Object.entries(TABLES).map(([name, sql]) => [name, db.prepare(sql).all()]));
  return { result, rows };
}

describe('parse workers', () => {
  it('store exactly what the single-threaded import stores, malformed lines and cursors included', () => {
    const root = claudeTree();
    const alone = importWith(0, root);
    const pooled = importWith(1, root);
    const two = importWith(2, root);
    const { durationMs: _a, ...aloneCounts } = alone.result;
    const { durationMs: _b, ...pooledCounts } = pooled.result;
    const { durationMs: _c, ...twoCounts } = two.result;
    expect(aloneCounts.turnsAdded).toBeGreaterThan(500);
    expect(aloneCounts.malformedLines).toBeGreaterThanOrEqual(3);
    expect(aloneCounts.filesFailed).toEqual([]);
    expect(pooledCounts).toEqual(aloneCounts);
    expect(twoCounts).toEqual(aloneCounts);
    for (const name of Object.keys(TABLES)) {
      expect(pooled.rows[name], name).toEqual(alone.rows[name]);
      expect(two.rows[name], name).toEqual(alone.rows[name]);
    }
  });

  it('queue a large import a window at a time: every file stored, as the single-threaded import stores it', () => {
    // More files than the workers are given at once (64 per worker): the import queues the rest as they finish.
    const root = join(tempDir(), 'projects');
    const session = readFileSync(join(OWN, 'git-commit-session.jsonl'), 'utf8');
    for (let i = 0; i < 300; i++) {
      mkdirSync(join(root, `p${i % 7}`), { recursive: true });
      writeFileSync(
        join(root, `p${i % 7}`, `s${i}.jsonl`),
        session.replaceAll('"sessionId":"', `"sessionId":"w${i}-`),
      );
    }
    const alone = importWith(0, root);
    // Every file goes to the workers, each queued when there was room for it.
    const submit = built.ParsePool.prototype.submit;
    const roomAtSubmit: number[] = [];
    const spy = vi.spyOn(built.ParsePool.prototype, 'submit').mockImplementation(function (
      this: InstanceType<Built['ParsePool']>,
      ...args: Parameters<typeof submit>
    ) {
      roomAtSubmit.push(this.room);
      return submit.apply(this, args);
    });
    let two: ReturnType<typeof importWith>;
    try {
      two = importWith(2, root);
    } finally {
      spy.mockRestore();
    }
    expect(roomAtSubmit).toHaveLength(300);
    expect(Math.min(...roomAtSubmit)).toBeGreaterThan(0);
    const { durationMs: _a, ...aloneCounts } = alone.result;
    const { durationMs: _b, ...twoCounts } = two.result;
    expect(aloneCounts.filesRead).toBe(300);
    expect(twoCounts).toEqual(aloneCounts);
    for (const name of Object.keys(TABLES)) expect(two.rows[name], name).toEqual(alone.rows[name]);
    expect(new Set((two.rows.sessions as { id: string }[]).map((s) => s.id)).size).toBeGreaterThanOrEqual(
      300,
    );
  });

  it('says how many more files to queue to keep its workers busy', () => {
    const files = built.findTranscriptFiles({ claude_code: [claudeTree()] });
    const pool = new built.ParsePool(1);
    try {
      expect(pool.room).toBe(64);
      const ids = Array.from({ length: 64 }, (_, i) => {
        const f = files[i % files.length]!;
        return pool.submit(f.agent, f.path, f.size);
      });
      expect(pool.room).toBe(0);
      pool.file(ids[0]!).consume(() => {});
      expect(pool.room).toBe(1);
      pool.discard(ids[1]!);
      expect(pool.room).toBe(2);
      for (const id of ids.slice(2)) pool.discard(id);
      expect(pool.room).toBe(64);
    } finally {
      pool.close();
    }
  });

  it('a file the worker cannot read fails with its error; the next file still arrives whole', () => {
    const root = claudeTree();
    const gone = join(root, 'own', 'broken.jsonl');
    const files = built.findTranscriptFiles({ claude_code: [root] });
    expect(files.some((f) => f.path === gone)).toBe(true);
    const pool = new built.ParsePool(1);
    try {
      const id = pool.submit(files[0]!.agent, `${gone}.missing`, 1);
      expect(() => pool.file(id).consume(() => {})).toThrow(/ENOENT/);
      const ok = files.find((f) => f.path === gone)!;
      const second = pool.submit(ok.agent, ok.path, ok.size);
      let lines = 0;
      const end = pool.file(second).consume((chunk, visited) => {
        lines += visited;
        expect(chunk.every(([line]) => line >= 1)).toBe(true);
      });
      expect(end.offset).toBe(ok.size);
      expect(lines).toBe(end.line);
    } finally {
      pool.close();
    }
  });

  it('hands a worker a few files at a time: many more files than that arrive whole, in order, one skipped', () => {
    const files = built.findTranscriptFiles({ claude_code: [claudeTree()] });
    const pool = new built.ParsePool(1);
    try {
      // Far more files than a worker is handed at once (32): the rest are handed on as earlier ones are taken.
      const queued = Array.from({ length: 200 }, (_, i) => files[i % files.length]!);
      const ids = queued.map((f) => pool.submit(f.agent, f.path, f.size));
      let whole = 0;
      for (let i = 0; i < ids.length; i++) {
        if (i === 50) {
          pool.discard(ids[i]!);
          continue;
        }
        const end = pool.file(ids[i]!).consume(() => {});
        expect(end.offset).toBe(queued[i]!.size);
        whole++;
      }
      expect(whole).toBe(199);
    } finally {
      pool.close();
    }
  });
});
