/**
 * `agentlogs hooks install|uninstall|status|run`: a Claude Code `SessionEnd` hook that imports each session as
 * it ends, so a transcript is kept before Claude Code's clean-up deletes it (docs/decisions/0086-…).
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Command, OptionsOf } from '../command.js';
import { type CommandContext, profileDir } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { makeDir } from '../make-dir.js';
import type { specs } from './index.js';

type Scope = 'user' | 'project';

/** What `hooks install` changed in one file, kept so that `hooks uninstall` can put the file back as it was. */
interface InstallRecord {
  /** SHA-256 of the text the install wrote. */
  wrote: string;
  /** A copy of the file before the first install, or `absent` when there was no file. */
  before: string;
  /** The containers the install created (`hooks`, `SessionEnd`). */
  created: string[];
}

interface HooksState {
  files: Record<string, InstallRecord>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function hooksDir(ctx: Pick<CommandContext, 'home'>): string {
  return path.join(ctx.home, 'hooks');
}

function stateFile(ctx: Pick<CommandContext, 'home'>): string {
  return path.join(hooksDir(ctx), 'installed.json');
}

function readState(ctx: Pick<CommandContext, 'home'>): HooksState {
  try {
    const parsed = JSON.parse(readFileSync(stateFile(ctx), 'utf8')) as HooksState;
    return parsed && typeof parsed.files === 'object' && parsed.files !== null ? parsed : { files: {} };
  } catch {
    return { files: {} };
  }
}

function writeState(ctx: Pick<CommandContext, 'home'>, state: HooksState): void {
  makeDir(hooksDir(ctx));
  writeFileSync(stateFile(ctx), `${JSON.stringify(state, null, 2)}\n`);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `text` to `file` through a temporary file and a rename (keeping the file's mode), never half. */
function writeAtomically(file: string, text: string | Buffer): void {
  makeDir(path.dirname(file));
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : undefined;
  const temp = `${file}.agentlogs-${process.pid}.tmp`;
  writeFileSync(temp, text);
  if (mode !== undefined) chmodSync(temp, mode);
  renameSync(temp, file);
}

/** Copies `file` into the data folder's `hooks/backups/` and returns the copy's path. */
function backUp(ctx: Pick<CommandContext, 'home'>, file: string): string {
  const dir = path.join(hooksDir(ctx), 'backups');
  makeDir(dir);
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const tag = sha256(file).slice(0, 8);
  let copy = path.join(dir, `${path.basename(file, '.json')}-${tag}-${stamp}.json`);
  for (let n = 2; existsSync(copy); n++)
    copy = path.join(dir, `${path.basename(file, '.json')}-${tag}-${stamp}-${n}.json`);
  copyFileSync(file, copy);
  return copy;
}

/** A path in double quotes for the shell Claude Code runs the command in. */
function quoted(p: string): string {
  return `"${p.replace(/(["\\$`])/g, '\\$1')}"`;
}

/**
 * The command the hook runs: this Node and this agentlogs, by absolute path (Claude Code may run hooks with a
 * shorter PATH than a terminal has), with the data folder and profile of this invocation.
 */
export function hookCommand(ctx: Pick<CommandContext, 'env' | 'home' | 'profile'>): string {
  const script = process.argv[1] ? realpathSync(process.argv[1]) : 'agentlogs';
  const parts = [quoted(process.execPath), quoted(script), 'hooks', 'run', '--agent', 'claude-code'];
  if (ctx.env.AGENTLOGS_HOME) parts.push('--data-dir', quoted(ctx.home));
  if (ctx.profile !== 'default') parts.push('--profile', ctx.profile);
  return parts.join(' ');
}

async function settingsModule() {
  return import('../claude-settings.js');
}

/** The settings files a scope names. */
async function settingsFiles(ctx: CommandContext, scope: Scope): Promise<string[]> {
  const s = await settingsModule();
  return scope === 'project'
    ? [s.projectSettingsFile(ctx.cwd)]
    : s.claudeConfigDirs(ctx.env).map((d) => s.userSettingsFile(d));
}

function scopeOf(value: string | undefined): Scope {
  if (value === undefined || value === 'user') return 'user';
  if (value === 'project') return 'project';
  throw usageError(`--scope takes user or project, not "${value}"`);
}

interface FileOutcome {
  file: string;
  action: string;
  backup: string | null;
}

const installCommand: Command<OptionsOf<(typeof specs)['hooks install']>> = {
  name: 'hooks install',
  async run(ctx, args) {
    const scope = scopeOf(args.values.scope);
    const s = await settingsModule();
    const command = hookCommand(ctx);
    const state = readState(ctx);
    const outcomes: FileOutcome[] = [];
    for (const file of await settingsFiles(ctx, scope)) {
      const before = readText(file);
      const result = s.addSessionEndHook(file, before, command);
      if (result.action === 'unchanged') {
        outcomes.push({ file, action: 'already installed', backup: null });
        continue;
      }
      const backup = before === undefined ? null : backUp(ctx, file);
      writeAtomically(file, result.text);
      const earlier = state.files[file];
      state.files[file] =
        earlier && result.action === 'updated'
          ? { ...earlier, wrote: sha256(result.text) }
          : { wrote: sha256(result.text), before: backup ?? 'absent', created: result.created };
      writeState(ctx, state);
      outcomes.push({ file, action: result.action === 'added' ? 'installed' : 'updated', backup });
    }
    if (args.values.json === true) ctx.out(JSON.stringify({ command, files: outcomes }, null, 2));
    else {
      for (const o of outcomes) {
        ctx.out(
          `${o.action === 'already installed' ? 'Already installed' : o.action === 'updated' ? 'Updated' : 'Installed'}: SessionEnd hook in ${o.file}${o.backup ? ` (backup: ${o.backup})` : ''}`,
        );
      }
      ctx.out(
        'Claude Code now imports each session into agentlogs when it ends; failures go to hooks.log in the data folder.',
      );
    }
    return ExitCode.ok;
  },
};

const uninstallCommand: Command<OptionsOf<(typeof specs)['hooks uninstall']>> = {
  name: 'hooks uninstall',
  async run(ctx, args) {
    const scope = scopeOf(args.values.scope);
    const s = await settingsModule();
    const state = readState(ctx);
    const outcomes: FileOutcome[] = [];
    for (const file of await settingsFiles(ctx, scope)) {
      const text = readText(file);
      const record = state.files[file];
      const installed = s.findInstalledHooks(file, text);
      if (text === undefined || installed.length === 0) {
        if (record) {
          delete state.files[file];
          writeState(ctx, state);
        }
        outcomes.push({ file, action: 'not installed', backup: null });
        continue;
      }
      const backup = backUp(ctx, file);
      let restored = false;
      if (record && sha256(text) === record.wrote) {
        // Nothing changed since the install: the file goes back to exactly what it was.
        if (record.before === 'absent') rmSync(file);
        else if (existsSync(record.before)) {
          writeAtomically(file, readFileSync(record.before));
          restored = true;
        }
        restored ||= record.before === 'absent';
      }
      if (!restored) {
        // Changed since (or installed by an earlier copy): only the hook goes, the rest stays as it is now.
        writeAtomically(file, s.removeSessionEndHook(file, text, record?.created ?? []).text);
      }
      delete state.files[file];
      writeState(ctx, state);
      outcomes.push({ file, action: 'removed', backup });
    }
    if (args.values.json === true) ctx.out(JSON.stringify({ files: outcomes }, null, 2));
    else {
      for (const o of outcomes) {
        ctx.out(
          o.action === 'removed'
            ? `Removed: SessionEnd hook from ${o.file}${existsSync(o.file) ? '' : ' (the file did not exist before, so it is gone again)'} (backup: ${o.backup})`
            : `Not installed: ${o.file}`,
        );
      }
    }
    return ExitCode.ok;
  },
};

export interface HookStatus {
  file: string;
  scope: Scope;
  installed: boolean;
  command: string | null;
  /** The Node and agentlogs the command names still exist. */
  runnable: boolean | null;
  error: string | null;
}

/** The paths a hook command names in double quotes (Node and the agentlogs script). */
function quotedPaths(command: string): string[] {
  return [...command.matchAll(/"((?:[^"\\]|\\.)*)"/g)].slice(0, 2).map((m) => m[1]!.replace(/\\(.)/g, '$1'));
}

/** Whether the agentlogs hook is in each settings file of both scopes (for `hooks status` and `doctor`). */
export async function hookStatuses(ctx: CommandContext): Promise<HookStatus[]> {
  const s = await settingsModule();
  const out: HookStatus[] = [];
  for (const scope of ['user', 'project'] as const) {
    for (const file of await settingsFiles(ctx, scope)) {
      let text: string | undefined;
      try {
        text = readText(file);
      } catch (error) {
        out.push({
          file,
          scope,
          installed: false,
          command: null,
          runnable: null,
          error: (error as Error).message,
        });
        continue;
      }
      if (scope === 'project' && text === undefined) continue;
      try {
        const found = s.findInstalledHooks(file, text);
        const command = found[0]?.command ?? null;
        const paths = command ? quotedPaths(command) : [];
        out.push({
          file,
          scope,
          installed: found.length > 0,
          command,
          runnable: command ? paths.length === 2 && paths.every((p) => existsSync(p)) : null,
          error: null,
        });
      } catch (error) {
        out.push({
          file,
          scope,
          installed: false,
          command: null,
          runnable: null,
          error: (error as Error).message,
        });
      }
    }
  }
  return out;
}

/** The hook's log: one line per run, in the profile's data folder. */
export function hookLogFile(ctx: Pick<CommandContext, 'home' | 'profile'>): string {
  return path.join(profileDir(ctx.home, ctx.profile), 'hooks.log');
}

function lastLogLine(file: string): string | null {
  const text = readText(file);
  if (!text) return null;
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? null;
}

const statusCommand: Command<OptionsOf<(typeof specs)['hooks status']>> = {
  name: 'hooks status',
  async run(ctx, args) {
    const statuses = await hookStatuses(ctx);
    const log = hookLogFile(ctx);
    const last = lastLogLine(log);
    if (args.values.json === true) {
      ctx.out(JSON.stringify({ files: statuses, log, last_run: last }, null, 2));
    } else {
      for (const st of statuses) {
        const what = st.error
          ? `unreadable: ${st.error}`
          : st.installed
            ? st.runnable === false
              ? "installed, but the Node or agentlogs it names is gone: run 'agentlogs hooks install' again"
              : 'installed'
            : 'not installed';
        ctx.out(`${st.scope === 'user' ? 'User' : 'Project'}: ${st.file}: ${what}`);
      }
      ctx.out(`Last run:  ${last ?? 'none yet'} (${log})`);
    }
    const broken = statuses.some((st) => st.error !== null || st.runnable === false);
    return broken || !statuses.some((st) => st.installed) ? ExitCode.failure : ExitCode.ok;
  },
};

/** How long the hook's import waits for another process's database lock. */
const HOOK_BUSY_TIMEOUT_MS = 1000;

/** Keeps the hook log short: past this size only its newer half is kept. */
const LOG_MAX_BYTES = 256 * 1024;

function appendLog(file: string, line: string): void {
  try {
    makeDir(path.dirname(file));
    if (existsSync(file) && statSync(file).size > LOG_MAX_BYTES) {
      const text = readFileSync(file, 'utf8');
      const keep = text.slice(text.length - LOG_MAX_BYTES / 2);
      writeFileSync(file, keep.slice(keep.indexOf('\n') + 1));
    }
    appendFileSync(file, `${line}\n`);
  } catch {
    // Nowhere to say it: the hook must still end quietly.
  }
}

/** The fields of Claude Code's hook input that the import needs. */
interface HookInput {
  session_id?: unknown;
  transcript_path?: unknown;
  hook_event_name?: unknown;
}

/**
 * Imports the session a Claude Code hook names. Always exits 0 and prints nothing: a hook must never hold up
 * or disturb the agent. What happened goes to the log, one line per run.
 */
const runCommand: Command<OptionsOf<(typeof specs)['hooks run']>> = {
  name: 'hooks run',
  async run(baseCtx, args) {
    if (args.values.agent !== undefined && args.values.agent !== 'claude-code')
      throw usageError(`--agent takes claude-code, not "${args.values.agent}"`);
    if (process.stdin.isTTY) {
      throw usageError(
        "'hooks run' reads the JSON Claude Code writes to a hook's stdin",
        "it is what 'agentlogs hooks install' sets up; to import by hand, run 'agentlogs import'",
      );
    }
    const ctx = args.values['data-dir']
      ? { ...baseCtx, home: path.resolve(args.values['data-dir']) }
      : baseCtx;
    const log = hookLogFile(ctx);
    const started = performance.now();
    const at = new Date().toISOString();
    let session = '?';
    try {
      let input: HookInput;
      try {
        input = JSON.parse(readFileSync(0, 'utf8')) as HookInput;
      } catch {
        // (the parser's message quotes the input)
        throw new CliError('the hook input on stdin is not JSON');
      }
      if (typeof input !== 'object' || input === null)
        throw new CliError('the hook input is not a JSON object');
      if (typeof input.session_id === 'string') session = input.session_id;
      const transcript = input.transcript_path;
      if (typeof transcript !== 'string' || !transcript.endsWith('.jsonl'))
        throw new CliError('the hook input names no .jsonl transcript_path');
      if (!existsSync(transcript)) throw new CliError(`transcript not found: ${transcript}`);
      const [
        { claudeCode, claudeSessionFiles, importTranscriptFiles },
        { openStore, storeError },
        { loadDevice },
        { ProfileConfig },
      ] = await Promise.all([
        import('@agentlogs/ingest'),
        import('../open-store.js'),
        import('../device.js'),
        import('../settings.js'),
      ]);
      let machineName: string | undefined;
      try {
        machineName = new ProfileConfig({ ...ctx, err: () => {} }).get('machine.name').value;
      } catch {
        machineName = undefined; // a bad setting is reported by the commands that use it
      }
      const device = loadDevice(ctx.home, ctx.env, machineName);
      // Another import holding the lock (`sync --watch`) makes the hook give up after a second, not wait: that
      // import or the next one reads the session.
      const store = openStore({ ...ctx, err: () => {} }, { busyTimeoutMs: HOOK_BUSY_TIMEOUT_MS });
      try {
        const result = importTranscriptFiles(store, {
          files: [{ agent: claudeCode, ...claudeSessionFiles(path.resolve(transcript)) }],
          // Search indexing and the WAL checkpoint are left to the next import, pull or search: adding to a
          // large search index can take seconds.
          deferred: true,
          deviceId: device.deviceId,
          machine: { name: device.name, hostname: device.hostname, platform: device.platform },
        });
        const ms = Math.round(performance.now() - started);
        const failed = result.filesFailed.map((f) => `${f.path}: ${f.error}`).join('; ');
        appendLog(
          log,
          `${at} ${failed ? 'failed' : 'ok'} ${session}: ${result.filesRead} of ${result.filesFound} files read, ${result.turnsAdded} new turns, ${result.turnsUpdated} updated (${ms} ms)${failed ? `: ${failed}` : ''}`,
        );
      } catch (error) {
        throw storeError(store.translateError(error));
      } finally {
        await store.close();
      }
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      const message = error instanceof Error ? error.message : String(error);
      appendLog(log, `${at} failed ${session}: ${message.split('\n')[0]} (${ms} ms)`);
    }
    return ExitCode.ok;
  },
};

export const hooksCommands = [installCommand, uninstallCommand, statusCommand, runCommand];
