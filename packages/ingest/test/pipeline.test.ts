import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatch, rowId, TranscriptImport } from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import type { AgentAdapter, OpenFileContext } from '../src/agents/agent.js';
import { type ImportProgress, runImport } from '../src/pipeline.js';
import { DEVICE, freshStore, tempDir } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

/**
 * An agent the importer does not ship, in one object: each line is `{"session", "at", "role", "text"}`. It shows
 * that the pipeline (discovery, offsets, state, batching, progress, malformed lines, counts) serves any adapter.
 */
function notesAgent(opened: OpenFileContext[]): AgentAdapter {
  return {
    id: 'codex',
    displayName: 'Notes',
    roots: {
      flag: 'notes-dir',
      env: 'NOTES_DIR',
      envList: false,
      envMissing: 'skip',
      defaults: () => [],
      folderHelp: '',
      defaultHelp: '',
    },
    listFiles: (root, folders) => folders.jsonlFiles(root).sort(),
    openFile(file, context) {
      opened.push(context);
      const state = { lines: 0, ...(context.state as { lines: number } | undefined) };
      let batch = new RecordBatch();
      return {
        get batch() {
          return batch;
        },
        readLine(text, line, report) {
          const o = JSON.parse(text) as { session?: unknown; at?: string; role?: string; text?: string };
          if (typeof o.session !== 'string') {
            report.malformed('no session');
            return;
          }
          if (o.role === 'boom') throw new TypeError('unexpected value');
          state.lines++;
          const sessionId = rowId.codexSession(o.session);
          batch.sessions.set(sessionId, {
            id: sessionId,
            source: 'codex',
            nativeId: o.session,
            projectId: null,
            cwd: null,
            startedAt: o.at!,
            endedAt: o.at!,
          });
          const id = rowId.codexTurn(o.session, line);
          batch.turns.set(id, {
            id,
            sessionId,
            commitId: null,
            role: o.role === 'assistant' ? 'assistant' : 'user',
            content: o.text ?? null,
            timestamp: o.at!,
            toolCalls: [],
            model: null,
            messageId: null,
            requestId: null,
            isSidechain: false,
            agentId: null,
            cwd: null,
            usage: null,
            costUsd: null,
            speed: null,
          });
        },
        takeBatch() {
          const out = batch;
          batch = new RecordBatch();
          return out;
        },
        state: () => {
          if (file.path.endsWith('broken.jsonl')) throw new Error('state cannot be kept');
          return state;
        },
      };
    },
  };
}

const line = (session: string | null, minute: number, role = 'user') =>
  `${JSON.stringify({ session, at: `2026-11-01T10:${String(minute).padStart(2, '0')}:00Z`, role, text: `note ${minute}` })}\n`;

describe('the import pipeline with an adapter of its own', () => {
  it('reads, resumes from the stored offset and state, reports bad lines and counts, for any agent', () => {
    const db = freshStore();
    const root = join(tempDir(), 'notes');
    mkdirSync(join(root, 'a'), { recursive: true });
    const file = join(root, 'a', 'one.jsonl');
    writeFileSync(file, line('s1', 0) + line(null, 1) + line('s1', 2, 'assistant') + line('s1', 3, 'boom'));
    const opened: OpenFileContext[] = [];
    const agent = notesAgent(opened);
    const progress: ImportProgress[] = [];
    const listings: boolean[] = [];
    const run = (now: string) =>
      runImport(
        new TranscriptImport(db.sqlite, { deviceId: DEVICE, machineId: rowId.machine(DEVICE), now }),
        {
          agents: [{ agent, roots: [root] }],
          now,
          batchSize: 1,
          onProgress: (p) => progress.push(p),
          onListing: (first) => listings.push(first),
        },
      );

    const first = run('2026-11-01T11:00:00Z');
    expect(first).toMatchObject({
      filesFound: 1,
      filesRead: 1,
      linesRead: 4,
      turnsAdded: 2,
      sessionsAdded: 1,
      malformedLines: 2,
      filesFailed: [],
    });
    expect(first.malformed).toEqual([
      { path: file, line: 2, reason: 'no session' },
      { path: file, line: 4, reason: 'could not be read (TypeError)' },
    ]);
    expect(opened[0]).toMatchObject({ resumed: false, state: undefined, batchSize: 1 });
    // batchSize 1: progress within the file after each written line, then after the file
    expect(progress.map((p) => p.filesDone)).toEqual([0, 0, 1]);

    appendFileSync(file, line('s1', 4, 'assistant'));
    const second = run('2026-11-01T12:00:00Z');
    expect(second).toMatchObject({
      filesRead: 1,
      linesRead: 1,
      turnsAdded: 1,
      sessionsAdded: 0,
      malformedLines: 0,
    });
    expect(opened[1]).toMatchObject({ resumed: true, state: { lines: 2 } });
    const turns = db.sqlite.prepare('select count(*) from turns where deleted_at is null').pluck().get();
    expect(turns).toBe(3);
    const cursor = db.sqlite
      .prepare('select line_count, malformed_lines, state, source from import_files')
      .get();
    expect(cursor).toEqual({ line_count: 5, malformed_lines: 2, state: '{"lines":3}', source: 'codex' });

    const third = run('2026-11-01T13:00:00Z');
    expect(third).toMatchObject({ filesRead: 0, filesUnchanged: 1, turnsAdded: 0 });
    expect(opened).toHaveLength(2);
    // Once per run, before listing: only the first run found no stored folder listing.
    expect(listings).toEqual([true, false, false]);
  });

  it('rolls back a failing file with its counts and reports it; the other files stay imported', () => {
    const db = freshStore();
    const root = join(tempDir(), 'notes');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'a.jsonl'), line('s1', 0) + line(null, 1));
    writeFileSync(join(root, 'broken.jsonl'), line('s2', 0) + line(null, 1) + line('s2', 2));
    writeFileSync(join(root, 'c.jsonl'), line('s3', 0));
    const now = '2026-11-01T11:00:00Z';
    const result = runImport(
      new TranscriptImport(db.sqlite, { deviceId: DEVICE, machineId: rowId.machine(DEVICE), now }),
      { agents: [{ agent: notesAgent([]), roots: [root] }], now, batchSize: 2000 },
    );
    expect(result).toMatchObject({
      filesFound: 3,
      filesRead: 2,
      linesRead: 3,
      turnsAdded: 2,
      sessionsAdded: 2,
      malformedLines: 1,
      filesFailed: [{ path: join(root, 'broken.jsonl'), error: 'state cannot be kept' }],
    });
    expect(result.malformed.map((m) => m.path)).toEqual([join(root, 'a.jsonl')]);
    const sessions = db.sqlite.prepare('select native_id from sessions order by native_id').pluck().all();
    expect(sessions).toEqual(['s1', 's3']);
    const cursors = db.sqlite.prepare('select path from import_files order by path').pluck().all();
    expect(cursors).toEqual([join(root, 'a.jsonl'), join(root, 'c.jsonl')]);
  });

  it('writes a file of 512 KB or more in a transaction of its own; when it fails, it alone rolls back', () => {
    const db = freshStore();
    const root = join(tempDir(), 'notes');
    mkdirSync(root, { recursive: true });
    // Nine lines of 64 KB: 576 KB.
    const large = (session: string) =>
      Array.from(
        { length: 9 },
        (_, minute) =>
          `${JSON.stringify({ session, at: `2026-11-01T10:0${minute}:00Z`, role: 'user', text: 'x'.repeat(65_536) })}\n`,
      ).join('');
    writeFileSync(join(root, 'a.jsonl'), line('s1', 0));
    writeFileSync(join(root, 'b-large.jsonl'), large('s2'));
    writeFileSync(join(root, 'broken.jsonl'), large('s3'));
    writeFileSync(join(root, 'c.jsonl'), line('s4', 0));
    const now = '2026-11-01T11:00:00Z';
    const store = new TranscriptImport(db.sqlite, {
      deviceId: DEVICE,
      machineId: rowId.machine(DEVICE),
      now,
    });
    // Whether each file was written inside the open group (as a savepoint) or in a transaction of its own.
    const inGroup: boolean[] = [];
    const inFile = store.inFile.bind(store);
    store.inFile = <T>(write: () => T): T => {
      inGroup.push(db.sqlite.inTransaction);
      return inFile(write);
    };
    const result = runImport(store, {
      agents: [{ agent: notesAgent([]), roots: [root] }],
      now,
      batchSize: 2000,
      parseWorkers: 0,
    });
    expect(inGroup).toEqual([true, false, false, true]);
    expect(result).toMatchObject({
      filesFound: 4,
      filesRead: 3,
      linesRead: 11,
      turnsAdded: 11,
      sessionsAdded: 3,
      filesFailed: [{ path: join(root, 'broken.jsonl'), error: 'state cannot be kept' }],
    });
    expect(db.sqlite.inTransaction).toBe(false);
    const sessions = db.sqlite.prepare('select native_id from sessions order by native_id').pluck().all();
    expect(sessions).toEqual(['s1', 's2', 's4']);
    const stored = db.sqlite
      .prepare('select count(*) from turns where length(content) = 65536')
      .pluck()
      .get();
    expect(stored).toBe(9);
    const cursors = db.sqlite.prepare('select path from import_files order by path').pluck().all();
    expect(cursors).toEqual([join(root, 'a.jsonl'), join(root, 'b-large.jsonl'), join(root, 'c.jsonl')]);
  });
});
