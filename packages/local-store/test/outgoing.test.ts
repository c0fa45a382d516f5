import type { SyncRecord } from '@agentlogs/sync-core';
import { seededRandom } from '@agentlogs/sync-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  contentColumnsOf,
  type LocalDatabase,
  openLocalDatabase,
  outgoingPayload,
  ProjectExclusion,
  SqliteSyncStore,
  type SqliteSyncStoreOptions,
  SYNCED_TABLES,
  type SyncedTable,
} from '../src/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let database: LocalDatabase;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  database = openLocalDatabase({ dir });
});
afterEach(async () => {
  await database.close();
  cleanup();
});

const ALL = [...SYNCED_TABLES];

/** Secrets built at run time from a fixed seed, so the repository holds none a scanner would flag. */
function fakeSecrets() {
  const random = seededRandom(20261204).next;
  const pick = (alphabet: string, length: number) => {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return {
    github: `ghp${'_'}${pick(alnum, 36)}`,
    aws: `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
    slack: `xoxb${'-'}${pick('0123456789', 12)}-${pick('0123456789', 13)}-${pick(alnum, 24)}`,
    dbPassword: pick(alnum, 18),
    envToken: pick(alnum, 32),
  };
}

function store(options: Partial<SqliteSyncStoreOptions> = {}) {
  return new SqliteSyncStore(database, { deviceId: 'device-a', machineId: 'machine-a', ...options });
}

function importRows(secrets: ReturnType<typeof fakeSecrets>) {
  const { sqlite } = database;
  const stamp = { updated_at: '2026-03-01T10:00:00.000Z', device_id: 'device-a', machine_id: 'machine-a' };
  const project = sqlite.prepare(
    `insert into projects (id, path, name, updated_at, device_id, machine_id) values (?, ?, ?, @updated_at, @device_id, @machine_id)`,
  );
  project.run('p-1', '/home/u/work/app', 'app', stamp);
  project.run('p-2', '/home/u/private/diary', 'diary', stamp);
  const session = sqlite.prepare(
    `insert into sessions (id, source, native_id, project_id, cwd, title, started_at, ended_at, updated_at, device_id, machine_id)
     values (?, 'claude_code', ?, ?, ?, ?, '2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z', @updated_at, @device_id, @machine_id)`,
  );
  session.run('s-1', 'native-1', 'p-1', '/home/u/work/app/sub', `fix login with ${secrets.github}`, stamp);
  session.run('s-2', 'native-2', 'p-2', '/home/u/private/diary', 'my diary', stamp);
  const commit = sqlite.prepare(
    `insert into cognitive_commits (id, session_id, project_id, project_name, started_at, closed_at, closed_by, files_read, files_changed, title, updated_at, device_id, machine_id)
     values (?, ?, ?, ?, '2026-03-01T09:00:00.000Z', '2026-03-01T09:30:00.000Z', 'git_commit', ?, '[]', 'a title', @updated_at, @device_id, @machine_id)`,
  );
  commit.run('c-1', 's-1', 'p-1', 'app', JSON.stringify(['/home/u/work/app/.env']), stamp);
  commit.run('c-2', 's-2', 'p-2', 'diary', '[]', stamp);
  const turn = sqlite.prepare(
    `insert into turns (id, session_id, commit_id, role, content, tool_calls, cwd, timestamp, model, input_tokens, output_tokens, cost_usd, updated_at, device_id, machine_id)
     values (?, ?, ?, ?, ?, ?, ?, '2026-03-01T09:00:01.000Z', 'claude-opus-4-5', 10, 20, 0.5, @updated_at, @device_id, @machine_id)`,
  );
  const toolCalls = JSON.stringify([
    {
      name: 'Bash',
      input: { command: `psql postgres://admin:${secrets.dbPassword}@db.internal:5432/app` },
      output: `AWS_ACCESS_KEY_ID=${secrets.aws}\nAPI_TOKEN=${secrets.envToken}\ndone`,
    },
  ]);
  turn.run(
    't-1',
    's-1',
    'c-1',
    'user',
    `please post with token ${secrets.slack} to the channel`,
    null,
    '/home/u/work/app/sub',
    stamp,
  );
  turn.run('t-2', 's-1', 'c-1', 'assistant', 'ran it', toolCalls, '/home/u/work/app/sub', stamp);
  turn.run('t-3', 's-2', 'c-2', 'user', 'dear diary', null, '/home/u/private/diary', stamp);
  sqlite
    .prepare(
      `insert into visuals (id, commit_id, type, path, captured_at, updated_at, device_id, machine_id)
       values ('v-2', 'c-2', 'screenshot', 'shots/v-2.png', '2026-03-01T09:30:00.000Z', @updated_at, @device_id, @machine_id)`,
    )
    .run(stamp);
}

async function pending(s: SqliteSyncStore) {
  return s.pendingChanges({ tables: ALL, limit: 1000, maxBytes: 10_000_000 });
}

describe('content levels on the outgoing records', () => {
  it('redacted: no planted secret leaves, the surrounding text does, JSON columns stay JSON, the rows keep the original', async () => {
    const secrets = fakeSecrets();
    importRows(secrets);
    const records = await pending(store({ content: { level: 'redacted' } }));
    const sent = JSON.stringify(records);
    for (const secret of Object.values(secrets)) expect(sent).not.toContain(secret);
    const turn = records.find((r) => r.id === 't-1')!;
    expect(turn.payload.content).toBe('please post with token [REDACTED:slack-bot-token] to the channel');
    const calls = JSON.parse(records.find((r) => r.id === 't-2')!.payload.tool_calls as string);
    expect(calls[0].name).toBe('Bash');
    expect(calls[0].input.command).toMatch(
      /^psql postgres:\/\/admin:\[REDACTED:[a-z-]+\]@db\.internal:5432\/app$/,
    );
    expect(calls[0].output).toContain('done');
    expect(records.find((r) => r.id === 's-1')!.payload.title).toMatch(
      /^fix login with \[REDACTED:github-pat\]$/,
    );
    // The local database keeps the original text.
    const local = database.sqlite.prepare('select content from turns where id = ?').get('t-1') as {
      content: string;
    };
    expect(local.content).toContain(secrets.slack);
    expect((await store().readRecord('turns', 't-2'))!.payload.tool_calls).toContain(secrets.aws);
  });

  it('metrics: every text column is null, paths are their last component, metrics unchanged', async () => {
    importRows(fakeSecrets());
    const records = await pending(store({ content: { level: 'metrics' } }));
    const full = await pending(store());
    expect(records.map((r) => r.id)).toEqual(full.map((r) => r.id));
    for (const record of records) {
      const table = record.table as (typeof ALL)[number];
      for (const column of contentColumnsOf(table)) {
        const value = record.payload[column];
        if (value === null) continue;
        expect(typeof value).toBe('string');
        expect(value as string).not.toMatch(/[\\/]/);
      }
      const original = full.find((r) => r.id === record.id)!;
      for (const [column, value] of Object.entries(original.payload)) {
        if (!contentColumnsOf(table).includes(column) && column !== 'content_state') {
          expect(record.payload[column]).toEqual(value);
        }
      }
    }
    const turn = records.find((r) => r.id === 't-2')!.payload;
    expect(turn).toMatchObject({
      content: null,
      tool_calls: null,
      cwd: 'sub',
      model: 'claude-opus-4-5',
      input_tokens: 10,
    });
    expect(records.find((r) => r.id === 'p-1')!.payload).toMatchObject({ path: 'app', name: 'app' });
    expect(records.find((r) => r.id === 'c-1')!.payload).toMatchObject({ files_read: null, title: null });
  });

  it('full: records leave as they are stored', async () => {
    importRows(fakeSecrets());
    expect(await pending(store({ content: { level: 'full' } }))).toEqual(await pending(store()));
  });
});

describe('excluded projects', () => {
  it('keep their project, sessions, turns, commits and visuals on the machine, not even metrics', async () => {
    importRows(fakeSecrets());
    const s = store({ content: { level: 'metrics', exclude: ['/home/u/private/**'] } });
    const ids = (await pending(s)).map((r) => r.id).sort();
    expect(ids).toEqual(['c-1', 'machine-a', 'p-1', 's-1', 't-1', 't-2'].filter((id) => id !== 'machine-a'));
    expect(await s.pendingCounts(ALL)).toEqual({
      machines: 0,
      projects: 1,
      sessions: 1,
      cognitive_commits: 1,
      turns: 2,
      visuals: 0,
    });
    expect(s.excludedSessionCount()).toBe(1);
    expect(store().excludedSessionCount()).toBe(0);
  });

  it('match a directory and everything under it, with * inside one component', () => {
    const exclusion = new ProjectExclusion(['/home/*/private', '**/secret-*']);
    expect(exclusion.matches('/home/u/private')).toBe(true);
    expect(exclusion.matches('/home/u/private/deep/er')).toBe(true);
    expect(exclusion.matches('/home/u/privateer')).toBe(false);
    expect(exclusion.matches('/home/a/b/private')).toBe(false);
    expect(exclusion.matches('/srv/x/secret-plans/src')).toBe(true);
    expect(exclusion.matches('/srv/x/plans')).toBe(false);
    expect(exclusion.matches(null)).toBe(false);
  });
});

describe('redaction preview', () => {
  it('names the rule, record and column with a masked excerpt, and never the secret', async () => {
    const secrets = fakeSecrets();
    importRows(secrets);
    const preview = await store({ content: { level: 'redacted' } }).previewRedaction(ALL);
    expect(preview.records).toBe(10);
    const rules = preview.findings.map((f) => `${f.table}/${f.id}/${f.column}:${f.rule}`);
    expect(rules).toContain('turns/t-1/content:slack-bot-token');
    expect(rules).toContain('sessions/s-1/title:github-pat');
    expect(preview.findings.filter((f) => f.id === 't-2').length).toBeGreaterThanOrEqual(3);
    const shown = JSON.stringify(preview);
    for (const secret of Object.values(secrets)) expect(shown).not.toContain(secret);
    expect(preview.findings.find((f) => f.id === 't-1')!.excerpt).toContain('token');
  });
});

describe('field states', () => {
  it('travel in content_state: the columns that are not plain, null at full', async () => {
    importRows(fakeSecrets());
    const at = async (level: 'metrics' | 'redacted' | 'full') =>
      (await pending(store({ content: { level } }))).find((r) => r.id === 't-2')!.payload.content_state;
    expect(JSON.parse((await at('metrics')) as string)).toEqual({
      content: 'withheld',
      cwd: 'redacted',
      tool_calls: 'withheld',
    });
    // At redacted, only what redaction changed is marked: the rest is the whole text.
    expect(JSON.parse((await at('redacted')) as string)).toEqual({ tool_calls: 'redacted' });
    expect(await at('full')).toBeNull();
  });

  it('a pulled copy that is less full never overwrites local text; metrics still update; a fuller copy does', async () => {
    const secrets = fakeSecrets();
    importRows(secrets);
    const s = store();
    const [turn] = (await pending(s)).filter((r) => r.id === 't-1');
    const original = turn!.payload;
    await s.markPushed([{ table: 'turns', id: 't-1', version: 1, changeSeq: 1 }]);
    const redacted = outgoingFrom(turn!, 'redacted');
    await s.applyServerRecords([
      {
        ...turn!,
        version: 2,
        deviceId: 'device-b',
        payload: { ...redacted, input_tokens: 99 },
        changeSeq: 2,
      },
    ]);
    let local = (await s.readRecord('turns', 't-1'))!;
    expect(local.version).toBe(2);
    expect(local.payload).toMatchObject({ content: original.content, cwd: original.cwd, input_tokens: 99 });
    expect(local.payload.content_state).toBeNull();
    expect(await s.pendingCounts(['turns'])).toMatchObject({ turns: 2 }); // t-2 and t-3: t-1 is acknowledged
    // A withheld copy keeps the text too.
    await s.applyServerRecords([
      {
        ...turn!,
        version: 3,
        deviceId: 'device-b',
        payload: { ...outgoingFrom(turn!, 'metrics'), output_tokens: 7 },
        changeSeq: 3,
      },
    ]);
    local = (await s.readRecord('turns', 't-1'))!;
    expect(local.payload).toMatchObject({ content: original.content, output_tokens: 7 });
    // A machine that only holds the redacted copy takes it, and then takes the full one when it comes.
    await s.applyServerRecords([
      { ...turn!, id: 't-9', version: 1, deviceId: 'device-b', payload: redacted, changeSeq: 4 },
    ]);
    expect((await s.readRecord('turns', 't-9'))!.payload.content).not.toContain(secrets.slack);
    await s.applyServerRecords([
      { ...turn!, id: 't-9', version: 2, deviceId: 'device-b', payload: original, changeSeq: 5 },
    ]);
    local = (await s.readRecord('turns', 't-9'))!;
    expect(local.payload.content).toContain(secrets.slack);
    expect(local.payload.content_state).toBeNull();
  });

  it('an edit here makes the edited column plain again, and it replaces the other copies', async () => {
    importRows(fakeSecrets());
    const s = store({ content: { level: 'redacted' } });
    const [session] = (await pending(store())).filter((r) => r.id === 's-1');
    await s.applyServerRecords([
      {
        ...session!,
        id: 's-7',
        deviceId: 'device-b',
        payload: outgoingFrom(session!, 'redacted'),
        changeSeq: 1,
      },
    ]);
    expect(JSON.parse((await s.readRecord('sessions', 's-7'))!.payload.content_state as string)).toEqual({
      title: 'redacted',
    });
    await s.editRecord('sessions', 's-7', { title: 'a better title' });
    const sent = (await pending(s)).find((r) => r.id === 's-7')!;
    expect(sent.payload).toMatchObject({ title: 'a better title', content_state: null });
  });

  it('a record held redacted is never sent as plain, whatever the level', async () => {
    importRows(fakeSecrets());
    const s = store({ content: { level: 'full' } });
    const [turn] = (await pending(store())).filter((r) => r.id === 't-1');
    await s.applyServerRecords([
      { ...turn!, id: 't-8', deviceId: 'device-b', payload: outgoingFrom(turn!, 'metrics'), changeSeq: 1 },
    ]);
    await s.editRecord('turns', 't-8', { input_tokens: 5 });
    const sent = (await pending(s)).find((r) => r.id === 't-8')!;
    expect(JSON.parse(sent.payload.content_state as string)).toMatchObject({ content: 'withheld' });
  });

  it('a change of level queues every uploaded record of this machine again; the local text stays', async () => {
    const secrets = fakeSecrets();
    importRows(secrets);
    const s = store({ content: { level: 'full' } });
    expect(await s.recordContentLevel('full')).toBe(0);
    const records = await pending(s);
    await s.markPushed(records.map((r) => ({ table: r.table, id: r.id, version: r.version, changeSeq: 1 })));
    expect(Object.values(await s.pendingCounts(ALL)).reduce((a, b) => a + b)).toBe(0);
    s.setContentPolicy({ level: 'metrics' });
    const queued = await s.recordContentLevel('metrics');
    expect(queued).toBe(records.filter((r) => r.table !== 'machines').length);
    const again = await pending(s);
    expect(again.every((r) => r.version === 2)).toBe(true);
    expect(JSON.stringify(again)).not.toContain('please post');
    expect((await s.readRecord('turns', 't-1'))!.payload.content).toContain(secrets.slack);
    const pushedAgain = await pending(s);
    await s.markPushed(
      pushedAgain.map((r) => ({ table: r.table, id: r.id, version: r.version, changeSeq: 2 })),
    );
    // Going back to a fuller level queues them again too: the server's copy holds less than this level sends.
    s.setContentPolicy({ level: 'full' });
    expect(await s.recordContentLevel('full')).toBe(queued);
    expect((await pending(s)).find((r) => r.id === 't-1')!.payload.content).toContain(secrets.slack);
    // The same level again queues nothing.
    expect(await s.recordContentLevel('full')).toBe(0);
  });
});

function outgoingFrom(record: SyncRecord, level: 'metrics' | 'redacted' | 'full') {
  return outgoingPayload(record.table as SyncedTable, record.id, record.payload, level).payload;
}
