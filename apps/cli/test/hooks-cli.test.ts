import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLocalDatabase, pendingSearchTurns } from '@agentlogs/local-store';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Spawns the built CLI (and the hook command through a shell) several times: allow for a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'dist', 'bin.js');
const FIXTURES = path.join(here, '..', '..', '..', 'fixtures', 'transcripts');
const SESSION = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentlogs-hooks-cli-'));
  temps.push(dir);
  return dir;
}

function cli(home: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AGENTLOGS_HOME: path.join(home, 'data'),
      TZ: 'UTC',
      ...options.env,
    },
    cwd: options.cwd,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `~/.claude/projects/demo/` holding one session of the fixtures with its subagent files. */
function claudeHome(home: string): string {
  const dir = path.join(home, '.claude', 'projects', 'demo');
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(FIXTURES, 'marot-spotter', `${SESSION}.jsonl`), path.join(dir, `${SESSION}.jsonl`));
  cpSync(path.join(FIXTURES, 'marot-spotter', SESSION), path.join(dir, SESSION), { recursive: true });
  return path.join(dir, `${SESSION}.jsonl`);
}

/** The SessionEnd commands of a settings file. */
function sessionEndCommands(file: string): string[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
    hooks?: { SessionEnd?: { hooks: { type: string; command: string; timeout?: number }[] }[] };
  };
  return (parsed.hooks?.SessionEnd ?? []).flatMap((g) => g.hooks.map((h) => h.command));
}

/** Runs a hook command the way Claude Code does: through a shell, with the event's JSON on stdin. */
function fireSessionEnd(command: string, home: string, transcript: string, cwd: string) {
  const input = JSON.stringify({
    session_id: SESSION,
    transcript_path: transcript,
    cwd,
    hook_event_name: 'SessionEnd',
    reason: 'prompt_input_exit',
  });
  const started = performance.now();
  const r = spawnSync('/bin/sh', ['-c', command], {
    input,
    env: { PATH: process.env.PATH, HOME: home },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
}

function sessionsIn(home: string): string[] {
  const r = cli(home, ['stats', '--by', 'session', '--json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { rows: { key: string }[] }).rows.map((row) => row.key);
}

const OTHER_HOOKS =
  '{\n    "model": "opus",\n    "cleanupPeriodDays": 60,\n    "hooks": {\n        "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "echo hi" } ] } ],\n        "SessionEnd": [\n            {\n                "matcher": "clear",\n                "hooks": [ { "type": "command", "command": "notify-send bye" } ]\n            }\n        ]\n    }\n}\n';

describe('agentlogs hooks', () => {
  it('install, a SessionEnd call imports that session, uninstall leaves settings byte for byte as before', async () => {
    const home = temp();
    const transcript = claudeHome(home);
    const settings = path.join(home, '.claude', 'settings.json');
    writeFileSync(settings, OTHER_HOOKS);

    const installed = cli(home, ['hooks', 'install']);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain(`Installed: SessionEnd hook in ${settings}`);
    const commands = sessionEndCommands(settings);
    expect(commands[0]).toBe('notify-send bye');
    expect(commands).toHaveLength(2);
    const command = commands[1]!;
    expect(command).toContain('hooks run --agent claude-code');
    // A backup of the file as it was.
    const backups = readdirSync(path.join(home, 'data', 'hooks', 'backups'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(path.join(home, 'data', 'hooks', 'backups', backups[0]!), 'utf8')).toBe(OTHER_HOOKS);

    // Install twice = once.
    const afterFirst = readFileSync(settings, 'utf8');
    const again = cli(home, ['hooks', 'install']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already installed');
    expect(readFileSync(settings, 'utf8')).toBe(afterFirst);

    expect(sessionsIn(home)).toEqual([]);
    const fired = fireSessionEnd(command, home, transcript, home);
    expect(fired.code).toBe(0);
    expect(fired.stdout).toBe('');
    expect(sessionsIn(home)).toEqual([SESSION]);
    const log = readFileSync(path.join(home, 'data', 'hooks.log'), 'utf8');
    expect(log).toMatch(new RegExp(`ok ${SESSION}: 3 of 3 files read, \\d+ new turns`));
    // The hook leaves its turns to the search index's queue; the next search indexes them and finds the session.
    const database = openLocalDatabase({ dir: path.join(home, 'data') });
    expect(pendingSearchTurns(database.sqlite)).toBeGreaterThan(0);
    await database.close();
    const found = cli(home, ['search', 'spotter-4te', '--json']);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain(SESSION);
    // The same import as a whole-folder import: nothing new for it afterwards.
    const folder = cli(home, ['import', '--json']);
    expect(JSON.parse(folder.stdout)).toMatchObject({ filesFound: 3, filesUnchanged: 3, turnsAdded: 0 });

    const status = cli(home, ['hooks', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).files[0]).toMatchObject({
      file: settings,
      installed: true,
      runnable: true,
    });

    const removed = cli(home, ['hooks', 'uninstall']);
    expect(removed.code).toBe(0);
    expect(readFileSync(settings, 'utf8')).toBe(OTHER_HOOKS);
    expect(cli(home, ['hooks', 'status']).code).toBe(1);
  });

  it('a missing settings file is created by install and gone again after uninstall', () => {
    const home = temp();
    claudeHome(home);
    const settings = path.join(home, '.claude', 'settings.json');
    expect(cli(home, ['hooks', 'install']).code).toBe(0);
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({
      hooks: { SessionEnd: [{ hooks: [{ type: 'command', command: expect.any(String), timeout: 30 }] }] },
    });
    expect(cli(home, ['hooks', 'uninstall']).code).toBe(0);
    expect(existsSync(settings)).toBe(false);
  });

  it('uninstall after other edits takes out only the hook and keeps the edits', () => {
    const home = temp();
    claudeHome(home);
    const settings = path.join(home, '.claude', 'settings.json');
    writeFileSync(settings, OTHER_HOOKS);
    expect(cli(home, ['hooks', 'install']).code).toBe(0);
    writeFileSync(settings, readFileSync(settings, 'utf8').replace('"model": "opus"', '"model": "sonnet"'));
    expect(cli(home, ['hooks', 'uninstall']).code).toBe(0);
    expect(readFileSync(settings, 'utf8')).toBe(OTHER_HOOKS.replace('"model": "opus"', '"model": "sonnet"'));
  });

  it('honours CLAUDE_CONFIG_DIR, and --scope project writes .claude/settings.local.json', () => {
    const home = temp();
    const config = path.join(home, 'elsewhere');
    mkdirSync(config);
    const env = { CLAUDE_CONFIG_DIR: config };
    expect(cli(home, ['hooks', 'install'], { env }).code).toBe(0);
    expect(sessionEndCommands(path.join(config, 'settings.json'))).toHaveLength(1);
    expect(existsSync(path.join(home, '.claude', 'settings.json'))).toBe(false);

    const project = path.join(home, 'project');
    mkdirSync(path.join(project, '.claude'), { recursive: true });
    const shared = path.join(project, '.claude', 'settings.json');
    writeFileSync(shared, '{ "model": "opus" }\n');
    expect(cli(home, ['hooks', 'install', '--scope', 'project'], { cwd: project }).code).toBe(0);
    expect(sessionEndCommands(path.join(project, '.claude', 'settings.local.json'))).toHaveLength(1);
    expect(readFileSync(shared, 'utf8')).toBe('{ "model": "opus" }\n');
    expect(cli(home, ['hooks', 'uninstall', '--scope', 'project'], { cwd: project }).code).toBe(0);
    expect(existsSync(path.join(project, '.claude', 'settings.local.json'))).toBe(false);
    expect(cli(home, ['hooks', 'install', '--scope', 'team']).code).toBe(2);
  });

  it('refuses a settings file that is not JSON in one line and leaves it alone', () => {
    const home = temp();
    const settings = path.join(home, '.claude', 'settings.json');
    mkdirSync(path.dirname(settings), { recursive: true });
    writeFileSync(settings, '{ "model": ');
    const r = cli(home, ['hooks', 'install']);
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')[0]).toBe(`agentlogs hooks install: ${settings}: is not valid JSON`);
    expect(readFileSync(settings, 'utf8')).toBe('{ "model": ');
  });

  it('the hook never fails the agent: bad input or a missing transcript exit 0 quietly and go to the log', () => {
    const home = temp();
    expect(cli(home, ['hooks', 'install']).code).toBe(0);
    const command = sessionEndCommands(path.join(home, '.claude', 'settings.json'))[0]!;
    const missing = fireSessionEnd(command, home, path.join(home, 'gone.jsonl'), home);
    expect(missing).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const garbage = spawnSync('/bin/sh', ['-c', command], {
      input: 'secret-token not json',
      encoding: 'utf8',
    });
    expect(garbage.status).toBe(0);
    expect(garbage.stdout).toBe('');
    const log = readFileSync(path.join(home, 'data', 'hooks.log'), 'utf8')
      .trim()
      .split('\n');
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/ failed ae4a77f8-[^:]+: transcript not found: /);
    expect(log[1]).toMatch(/ failed \?: the hook input on stdin is not JSON/);
    expect(log[1]).not.toContain('secret-token');
  });

  it('a database locked by another import makes the hook give up within seconds, exit 0, and log it', async () => {
    const home = temp();
    const transcript = claudeHome(home);
    expect(cli(home, ['hooks', 'install']).code).toBe(0);
    // Create the database, then hold its write lock as a running import would.
    const other = path.join(home, 'other', 'projects');
    mkdirSync(other, { recursive: true });
    expect(cli(home, ['import', '--claude-dir', other]).code).toBe(0);
    const holder = openLocalDatabase({ dir: path.join(home, 'data') });
    holder.sqlite.exec('BEGIN IMMEDIATE');
    try {
      const command = sessionEndCommands(path.join(home, '.claude', 'settings.json'))[0]!;
      const fired = fireSessionEnd(command, home, transcript, home);
      expect(fired).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(fired.ms).toBeLessThan(5000);
    } finally {
      holder.sqlite.exec('ROLLBACK');
      await holder.close();
    }
    const log = readFileSync(path.join(home, 'data', 'hooks.log'), 'utf8')
      .trim()
      .split('\n');
    expect(log.at(-1)).toMatch(new RegExp(`failed ${SESSION}: .*lock`, 'i'));
    // The next import reads the session.
    expect(cli(home, ['import']).code).toBe(0);
    expect(sessionsIn(home)).toEqual([SESSION]);
  });
});
