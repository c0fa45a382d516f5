import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { rowId } from '../src/ids.js';
import { importTranscripts } from '../src/import.js';
import { DEVICE, freshStore, TRANSCRIPTS, tempDir } from './helpers.js';

// Real SQLite files on a shared machine: allow for slow disks.
vi.setConfig({ testTimeout: 60_000 });

const SPOTTER = join(TRANSCRIPTS, 'marot-spotter');
/** Real Claude Code 2.1.39 sessions whose subagent responses are in their subagent files and progress lines. */
const SESSIONS = ['ae4a77f8-aedd-4bc1-888f-c94edc91af04', '4d5611e5-241a-462a-8d15-5122611a9569'];

type Store = ReturnType<typeof freshStore>;

interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

/** One copy of a subagent response, as read independently from a transcript line. */
interface Copy {
  sessionId: string;
  messageId: string;
  requestId: string;
  agentId: string;
  uuid: string;
  timestamp: string;
  usage: Usage;
}

const total = (u: Usage) =>
  u.input_tokens + u.output_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

/** The fields of a transcript line these tests read. */
interface RawLine {
  type?: string;
  sessionId: string;
  agentId: string;
  uuid: string;
  timestamp: string;
  requestId: string;
  message?: { id: string; usage?: Usage };
  data?: {
    type?: string;
    agentId: string;
    message?: {
      type?: string;
      uuid: string;
      timestamp: string;
      requestId: string;
      message?: { id: string; usage?: Usage };
    };
  };
}

function lines(path: string): RawLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RawLine);
}

/** The subagent responses a parent transcript copies into `agent_progress` lines. */
function progressCopies(path: string): Copy[] {
  const out: Copy[] = [];
  for (const l of lines(path)) {
    if (l.type !== 'progress' || l.data?.type !== 'agent_progress') continue;
    const inner = l.data.message;
    if (inner?.type !== 'assistant' || !inner.message?.usage) continue;
    out.push({
      sessionId: l.sessionId,
      messageId: inner.message.id,
      requestId: inner.requestId,
      agentId: l.data.agentId,
      uuid: inner.uuid,
      timestamp: inner.timestamp,
      usage: inner.message.usage,
    });
  }
  return out;
}

/** The responses of a subagent file. */
function subagentCopies(path: string): Copy[] {
  return lines(path)
    .filter((l) => l.type === 'assistant' && l.message?.usage)
    .map((l) => ({
      sessionId: l.sessionId,
      messageId: l.message!.id,
      requestId: l.requestId,
      agentId: l.agentId,
      uuid: l.uuid,
      timestamp: l.timestamp,
      usage: l.message!.usage!,
    }));
}

const keyOf = (c: Copy) => `${c.messageId}|${c.requestId}`;

/** Per response: its largest usage among every copy. */
function largest(copies: Copy[]): Map<string, Usage> {
  const best = new Map<string, Usage>();
  for (const c of copies) {
    const known = best.get(keyOf(c));
    if (!known || total(c.usage) > total(known)) best.set(keyOf(c), c.usage);
  }
  return best;
}

function run(db: Store, roots: string[]) {
  return importTranscripts(db.sqlite, {
    roots: { claude_code: roots, codex: [] },
    deviceId: DEVICE,
    now: () => new Date('2026-11-01T00:00:00Z'),
  });
}

interface TurnRow {
  id: string;
  session_id: string;
  message_id: string;
  request_id: string;
  agent_id: string | null;
  is_sidechain: number;
  timestamp: string;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  version: number;
  deleted_at: string | null;
}

function assistantTurns(db: Store, live = true): TurnRow[] {
  return db.sqlite
    .prepare(
      `select id, session_id, message_id, request_id, agent_id, is_sidechain, timestamp, input_tokens, output_tokens,
              cache_creation_tokens, cache_read_tokens, version, deleted_at
         from turns where role = 'assistant' and (deleted_at is null) = ? order by id`,
    )
    .all(live ? 1 : 0) as TurnRow[];
}

const userTurns = (db: Store) =>
  db.sqlite
    .prepare("select count(*) from turns where role = 'user' and deleted_at is null")
    .pluck()
    .get() as number;

const rowUsage = (t: TurnRow): Usage => ({
  input_tokens: t.input_tokens,
  output_tokens: t.output_tokens,
  cache_creation_input_tokens: t.cache_creation_tokens,
  cache_read_input_tokens: t.cache_read_tokens,
});

/** A Claude `projects` tree holding the given files of one project, at their paths relative to the project. */
function tree(files: Record<string, string>): string {
  const root = join(tempDir(), 'projects');
  for (const [rel, text] of Object.entries(files)) {
    const to = join(root, 'spotter', rel);
    mkdirSync(join(to, '..'), { recursive: true });
    writeFileSync(to, text);
  }
  return root;
}

describe('subagent responses in agent_progress lines', () => {
  it('a response known only from progress lines is a sidechain turn of its subagent, in the parent session', () => {
    const path = join(SPOTTER, 'subagent.jsonl');
    const copies = progressCopies(path);
    const best = largest(copies);
    // The real session copies 5 subagent responses into progress lines, and no subagent file goes with it.
    expect(best.size).toBe(5);
    const root = join(tempDir(), 'projects');
    mkdirSync(join(root, 'spotter'), { recursive: true });
    cpSync(path, join(root, 'spotter', 'subagent.jsonl'));
    const db = freshStore();
    run(db, [root]);
    const sidechain = assistantTurns(db).filter((t) => t.is_sidechain === 1);
    expect(sidechain).toHaveLength(best.size);
    for (const [key, usage] of best) {
      const first = copies.find((c) => keyOf(c) === key)!;
      const turn = sidechain.find((t) => `${t.message_id}|${t.request_id}` === key)!;
      expect(turn).toMatchObject({
        id: rowId.claudeProgressTurn(first.sessionId, first.messageId, first.requestId),
        session_id: rowId.claudeSession(first.sessionId),
        agent_id: first.agentId,
        timestamp: first.timestamp,
      });
      expect(rowUsage(turn)).toEqual({
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      });
    }
    // The subagent's tool results, also copied into progress lines, make no turns: only its responses do.
    const parentLines = lines(path);
    const parentResponses = new Set(
      parentLines.filter((l) => l.type === 'assistant').map((l) => `${l.message!.id}|${l.requestId}`),
    );
    expect(userTurns(db)).toBe(parentLines.filter((l) => l.type === 'user').length);
    expect(assistantTurns(db)).toHaveLength(parentResponses.size + best.size);
    const again = run(db, [root]);
    expect(again).toMatchObject({ filesRead: 0, turnsAdded: 0, turnsUpdated: 0 });
  });

  describe.each(SESSIONS)(
    'session %s: a response in both the subagent file and the progress lines counts once, with its largest usage',
    (SESSION) => {
      const parentPath = join(SPOTTER, `${SESSION}.jsonl`);
      const subDir = join(SPOTTER, SESSION, 'subagents');
      const subNames = readdirSync(subDir).filter((n) => n.endsWith('.jsonl'));
      const progress = progressCopies(parentPath);
      const own = subNames.flatMap((n) => subagentCopies(join(subDir, n)));
      const shared = [...new Set(progress.map(keyOf))].filter((k) => own.some((c) => keyOf(c) === k));

      // Make the two copies disagree, both ways: one response's progress copy grows, another's subagent copy.
      const [grownInProgress, grownInSubagent] = shared;
      const parentText = readFileSync(parentPath, 'utf8')
        .split('\n')
        .map((l) => {
          if (!l.includes(grownInProgress!.split('|')[0]!) || !l.includes('"agent_progress"')) return l;
          const o = JSON.parse(l);
          o.data.message.message.usage.output_tokens += 1000;
          return JSON.stringify(o);
        })
        .join('\n');
      const subTexts = Object.fromEntries(
        subNames.map((n) => [
          n,
          readFileSync(join(subDir, n), 'utf8')
            .split('\n')
            .map((l) => {
              if (!l.includes(grownInSubagent!.split('|')[0]!) || !l.includes('"type":"assistant"')) return l;
              const o = JSON.parse(l);
              o.message.usage.cache_read_input_tokens += 5000;
              return JSON.stringify(o);
            })
            .join('\n'),
        ]),
      );
      const parentFile = { [`${SESSION}.jsonl`]: parentText };
      const subFiles = Object.fromEntries(
        Object.entries(subTexts).map(([n, text]) => [`${SESSION}/subagents/${n}`, text]),
      );
      const modifiedProgress = progressCopies(
        (() => {
          const p = join(tempDir(), 'parent.jsonl');
          writeFileSync(p, parentText);
          return p;
        })(),
      );
      const modifiedOwn = Object.values(subTexts).flatMap((text) => {
        const p = join(tempDir(), 'agent.jsonl');
        writeFileSync(p, text);
        return subagentCopies(p);
      });
      const best = largest([...modifiedProgress, ...modifiedOwn]);

      /** What every import order must end with: one live turn per response, the subagent file's id, max usage. */
      function expectConverged(db: Store) {
        const live = assistantTurns(db).filter((t) => t.is_sidechain === 1);
        const keys = live.map((t) => `${t.message_id}|${t.request_id}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(keys)).toEqual(new Set(best.keys()));
        for (const t of live) {
          const key = `${t.message_id}|${t.request_id}`;
          const usage = best.get(key)!;
          expect(total(rowUsage(t))).toBe(total(usage));
          const first = modifiedOwn.find((c) => keyOf(c) === key);
          // A response the subagent file holds keeps the id that file gives it (its first line's uuid).
          if (first) expect(t.id).toBe(rowId.claudeTurn(first.sessionId, first.uuid));
        }
        return live.map(({ version: _v, ...rest }) => rest);
      }

      it('the real session has responses in both places (and the edits make each side win once)', () => {
        expect(shared.length).toBeGreaterThanOrEqual(2);
        const p = largest(modifiedProgress).get(grownInProgress!)!;
        const s = largest(modifiedOwn).get(grownInProgress!)!;
        expect(total(p)).toBeGreaterThan(total(s));
        const p2 = largest(modifiedProgress).get(grownInSubagent!)!;
        const s2 = largest(modifiedOwn).get(grownInSubagent!)!;
        expect(total(s2)).toBeGreaterThan(total(p2));
      });

      it('in one run, whichever file is read first; re-reading every file changes nothing', () => {
        const results: ReturnType<typeof expectConverged>[] = [];
        // One root: a session's subagent files are read before it. Two roots: their order decides.
        const layouts = [
          [tree({ ...parentFile, ...subFiles })],
          [tree(parentFile), tree(subFiles)],
          [tree(subFiles), tree(parentFile)],
        ];
        for (const roots of layouts) {
          const db = freshStore();
          run(db, roots);
          results.push(expectConverged(db));
          const before = assistantTurns(db);
          const tombstones = assistantTurns(db, false);
          // Forget the cursors: every file is read again from its start.
          db.sqlite.exec('delete from import_files');
          const again = run(db, roots);
          expect(again.filesRead).toBe(1 + subNames.length);
          expect(again).toMatchObject({ turnsAdded: 0, turnsUpdated: 0 });
          expect(assistantTurns(db)).toEqual(before);
          expect(assistantTurns(db, false)).toEqual(tombstones);
        }
        expect(results[1]).toEqual(results[0]);
        expect(results[2]).toEqual(results[0]);
      });

      it('a parent file read in two parts, cut inside a response, ends like one import of it', () => {
        const parentLines = parentText.split('\n');
        const progressAt = parentLines
          .map((l, i) => (l.includes('"agent_progress"') && l.includes('"usage":{') ? i : -1))
          .filter((i) => i >= 0);
        const whole = freshStore();
        run(whole, [tree({ ...parentFile, ...subFiles })]);
        const expected = expectConverged(whole);
        // Just after the first progress line of a response, and just before its last one.
        for (const cut of [progressAt[0]! + 1, progressAt[progressAt.length - 1]!]) {
          for (const subFirst of [true, false]) {
            const head = `${parentLines.slice(0, cut).join('\n')}\n`;
            const root = tree(
              subFirst ? { ...subFiles, [`${SESSION}.jsonl`]: head } : { [`${SESSION}.jsonl`]: head },
            );
            const db = freshStore();
            run(db, [root]);
            writeFileSync(join(root, 'spotter', `${SESSION}.jsonl`), parentText);
            for (const [rel, text] of Object.entries(subFiles)) {
              mkdirSync(join(root, 'spotter', rel, '..'), { recursive: true });
              writeFileSync(join(root, 'spotter', rel), text);
            }
            run(db, [root]);
            expect(expectConverged(db)).toEqual(expected);
          }
        }
      });

      it('a subagent turn deleted by the user stays deleted when its progress copy is read', () => {
        const root = tree(subFiles);
        const db = freshStore();
        run(db, [root]);
        const victim = assistantTurns(db).find((t) => `${t.message_id}|${t.request_id}` === grownInProgress)!;
        db.sqlite
          .prepare("update turns set deleted_at = '2026-10-01T00:00:00Z', version = version + 1 where id = ?")
          .run(victim.id);
        writeFileSync(join(root, 'spotter', `${SESSION}.jsonl`), parentText);
        run(db, [root]);
        const live = assistantTurns(db).map((t) => `${t.message_id}|${t.request_id}`);
        expect(live).not.toContain(grownInProgress);
        // The other responses in both places still merged into their subagent turns.
        expect(live).toContain(grownInSubagent);
        expect(new Set(live).size).toBe(live.length);
      });

      it('in separate runs, parent first or subagent first', () => {
        const orders = [
          [parentFile, subFiles],
          [subFiles, parentFile],
        ];
        const results: ReturnType<typeof expectConverged>[] = [];
        for (const [first, second] of orders) {
          const root = tree(first!);
          const db = freshStore();
          run(db, [root]);
          for (const [rel, text] of Object.entries(second!)) {
            mkdirSync(join(root, 'spotter', rel, '..'), { recursive: true });
            writeFileSync(join(root, 'spotter', rel), text);
          }
          run(db, [root]);
          results.push(expectConverged(db));
          // Parent first: the progress-only turns the subagent file replaced are tombstoned, not deleted.
          const tombstones = assistantTurns(db, false);
          if (first === parentFile) {
            expect(tombstones.length).toBeGreaterThan(0);
            for (const t of tombstones) {
              expect(t.id).toBe(rowId.claudeProgressTurn(SESSION, t.message_id, t.request_id));
              expect(t.version).toBe(2);
            }
          } else expect(tombstones).toEqual([]);
          const again = run(db, [root]);
          expect(again).toMatchObject({ filesRead: 0, turnsAdded: 0, turnsUpdated: 0 });
        }
        expect(results[1]).toEqual(results[0]);
      });
    },
  );
});
