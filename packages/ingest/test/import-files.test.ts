import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pendingSearchTurns, searchTurns } from '@agentlogs/local-store';
import { describe, expect, it, vi } from 'vitest';
import { claudeCode } from '../src/agents/index.js';
import { importTranscripts } from '../src/import.js';
import { claudeSessionFiles, importTranscriptFiles } from '../src/import-files.js';
import { DEVICE, freshStore, OTHER, SESSION, TRANSCRIPTS, tempDir, spotterTree as tree } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

const now = () => new Date('2026-11-01T00:00:00Z');

function sessionRows(db: ReturnType<typeof freshStore>, nativeId: string) {
  return db.sqlite
    .prepare(
      `select t.id, t.role, t.model, t.input_tokens, t.output_tokens, t.cache_creation_tokens, t.cache_read_tokens,
              t.is_sidechain, t.commit_id
         from turns t join sessions s on s.id = t.session_id where s.native_id = ? order by t.id`,
    )
    .all(nativeId);
}

describe('importTranscriptFiles', () => {
  it('lists a session’s subagent files before its transcript, under the projects root', () => {
    const { root, dir } = tree();
    const { root: found, paths } = claudeSessionFiles(join(dir, `${SESSION}.jsonl`));
    expect(found).toBe(root);
    expect(paths.at(-1)).toBe(join(dir, `${SESSION}.jsonl`));
    expect(paths.slice(0, -1).sort()).toEqual([
      join(dir, SESSION, 'subagents', 'agent-aac57f5.jsonl'),
      join(dir, SESSION, 'subagents', 'agent-acompact-946d2b.jsonl'),
    ]);
  });

  it('imports one session exactly as a whole-folder import stores it, and nothing else', () => {
    const { root, dir } = tree();
    const one = freshStore();
    const set = claudeSessionFiles(join(dir, `${SESSION}.jsonl`));
    const result = importTranscriptFiles(one.sqlite, {
      files: [{ agent: claudeCode, ...set }],
      deviceId: DEVICE,
      now,
    });
    expect(result).toMatchObject({ filesFound: 3, filesRead: 3, filesFailed: [] });
    expect(result.sessionsAdded).toBeGreaterThan(0);
    const whole = freshStore();
    importTranscripts(whole.sqlite, { roots: { claude_code: [root] }, deviceId: DEVICE, now });
    const rows = sessionRows(one, SESSION);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toEqual(sessionRows(whole, SESSION));
    expect(sessionRows(one, OTHER)).toEqual([]);
  });

  it('is incremental: a second call reads only what was appended', () => {
    const { dir } = tree();
    const db = freshStore();
    const transcript = join(dir, `${SESSION}.jsonl`);
    const run = () =>
      importTranscriptFiles(db.sqlite, {
        files: [{ agent: claudeCode, ...claudeSessionFiles(transcript) }],
        deviceId: DEVICE,
        now,
      });
    run();
    expect(run()).toMatchObject({ filesRead: 0, filesUnchanged: 3 });
    const extra = readFileSync(join(TRANSCRIPTS, 'marot-spotter', 'short.jsonl'));
    appendFileSync(transcript, extra);
    const grown = run();
    expect(grown).toMatchObject({ filesRead: 1, filesUnchanged: 2, filesReread: 0 });
    expect(grown.bytesRead).toBe(extra.length);
  });

  it('skips a named file that does not exist', () => {
    const db = freshStore();
    const missing = join(tempDir(), 'projects', 'demo', 'gone.jsonl');
    const result = importTranscriptFiles(db.sqlite, {
      files: [{ agent: claudeCode, ...claudeSessionFiles(missing) }],
      deviceId: DEVICE,
      now,
    });
    expect(result).toMatchObject({ filesFound: 0, filesRead: 0, filesFailed: [] });
  });

  it('deferred: the turns wait in the search queue and the WAL stays for the next import, which catches both up', () => {
    const { dir } = tree();
    const db = freshStore();
    const deferred = importTranscriptFiles(db.sqlite, {
      files: [{ agent: claudeCode, ...claudeSessionFiles(join(dir, `${SESSION}.jsonl`)) }],
      deviceId: DEVICE,
      now,
      deferred: true,
    });
    expect(deferred.turnsAdded).toBeGreaterThan(0);
    expect(pendingSearchTurns(db.sqlite)).toBe(deferred.turnsAdded);
    expect(statSync(`${db.path}-wal`).size).toBeGreaterThan(0);
    const after = importTranscriptFiles(db.sqlite, {
      files: [{ agent: claudeCode, ...claudeSessionFiles(join(dir, `${OTHER}.jsonl`)) }],
      deviceId: DEVICE,
      now,
    });
    expect(after.turnsAdded).toBeGreaterThan(0);
    expect(pendingSearchTurns(db.sqlite)).toBe(0);
    expect(statSync(`${db.path}-wal`).size).toBe(0);
    // Both sessions are found by search.
    const found = new Set(searchTurns(db, 'the', { limit: 10_000 }).hits.map((h) => h.session_native_id));
    expect(found.has(SESSION) && found.has(OTHER)).toBe(true);
  });
});
