/** `agentlogs export`, `restore` and `backup`: copies of the local database and merging them back. */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  type BackupProgressOptions,
  exportJsonLines,
  isLocalStoreError,
  restoreBackup,
  snapshotDatabase,
} from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { makeDir } from '../make-dir.js';
import { openStore, storeError } from '../open-store.js';
import { formatBytes, ProgressBar } from '../progress.js';
import { dataDir } from '../settings.js';
import type { specs } from './index.js';

const int = (n: number) => n.toLocaleString('en-US');
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function counted(tables: Record<string, number>): string {
  return `${int(tables.sessions ?? 0)} sessions, ${int(sum(tables))} records`;
}

/**
 * A progress bar for a long backup step, on a terminal only and never with --json (as the other commands' bars):
 * the options to pass to local-store, and `done()` to clear the bar before the summary.
 */
function progressBar(
  ctx: CommandContext,
  label: string,
  json: boolean,
): { options: BackupProgressOptions; done(): void } {
  const bar = new ProgressBar(ctx.stderr, label);
  if (json || !bar.enabled) return { options: {}, done: () => {} };
  return {
    options: {
      onProgress: (p) =>
        bar.update(
          p.done,
          p.total,
          p.unit === 'bytes'
            ? `${p.step} ${formatBytes(p.done)}/${formatBytes(p.total)}`
            : `${p.step} ${int(p.done)}/${int(p.total)} records`,
        ),
    },
    done: () => bar.done(),
  };
}

export const exportCommand: Command<OptionsOf<typeof specs.export>> = {
  name: 'export',
  async run(ctx, args) {
    const [target] = args.positionals;
    if (!target || args.positionals.length > 1) throw usageError('export needs one FILE');
    const format = args.values.format ?? 'sqlite';
    if (format !== 'sqlite' && format !== 'jsonl')
      throw usageError(`--format must be sqlite or jsonl, not "${format}"`);
    const file = path.resolve(ctx.cwd, target);
    if (existsSync(file)) {
      throw new CliError(`${file} exists already`, {
        exitCode: ExitCode.usage,
        hint: 'choose another name, or remove it first',
      });
    }
    const db = openStore(ctx, { access: 'read' });
    const bar = progressBar(ctx, 'exporting', args.values.json === true);
    let result: { tables: Record<string, number> };
    try {
      result =
        format === 'sqlite'
          ? await snapshotDatabase(db, file, bar.options)
          : await exportJsonLines(db, file, bar.options);
    } catch (error) {
      throw storeError(db.translateError(error));
    } finally {
      bar.done();
      await db.close();
    }
    const size = statSync(file).size;
    if (args.values.json === true)
      ctx.out(JSON.stringify({ file, format, bytes: size, tables: result.tables }, null, 2));
    else
      ctx.out(
        `Exported ${counted(result.tables)} to ${file} (${format === 'sqlite' ? 'SQLite' : 'gzipped JSON lines'}, ${formatBytes(size)}).`,
      );
    return ExitCode.ok;
  },
};

export const restoreCommand: Command<OptionsOf<typeof specs.restore>> = {
  name: 'restore',
  async run(ctx, args) {
    const [source] = args.positionals;
    if (!source || args.positionals.length > 1) throw usageError('restore needs one FILE');
    const file = path.resolve(ctx.cwd, source);
    try {
      statSync(file);
    } catch {
      throw new CliError(`${file} does not exist`, { exitCode: ExitCode.fileSystem });
    }
    const db = openStore(ctx);
    const bar = progressBar(ctx, 'restoring', args.values.json === true);
    let result: Awaited<ReturnType<typeof restoreBackup>>;
    try {
      result = await restoreBackup(db, file, bar.options);
    } catch (error) {
      if (isLocalStoreError(error) && error.code === 'DATABASE_OPEN_FAILED') {
        throw new CliError(`${file} is not an agentlogs database or export`, {
          exitCode: ExitCode.usage,
          hint: "pass a file written by 'agentlogs export' or 'agentlogs backup'",
        });
      }
      throw storeError(db.translateError(error));
    } finally {
      bar.done();
      await db.close();
    }
    const total = (key: 'added' | 'updated' | 'kept') =>
      Object.values(result.tables).reduce((n, t) => n + t[key], 0);
    if (args.values.json === true) ctx.out(JSON.stringify({ file, tables: result.tables }, null, 2));
    else
      ctx.out(
        `Restored from ${file}: ${int(total('added'))} records added, ${int(total('updated'))} replaced by a newer version, ${int(total('kept'))} kept (the local copy was as new or newer).`,
      );
    return ExitCode.ok;
  },
};

export interface BackupFile {
  file: string;
  /** When it was taken (from its name). */
  at: Date;
}

/** `agentlogs-<UTC time>.db`, with `-2`, `-3`… for more snapshots taken within the same second. */
const BACKUP_NAME = /^agentlogs-(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-(\d+))?\.db$/;

export function backupDir(ctx: Pick<CommandContext, 'home' | 'profile'>): string {
  return path.join(dataDir(ctx), 'backups');
}

export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, m: BACKUP_NAME.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({
      file: path.join(dir, name),
      at: new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)),
      n: Number(m[7] ?? 1),
    }))
    .sort((a, b) => b.at.getTime() - a.at.getTime() || b.n - a.n)
    .map(({ file, at }) => ({ file, at }));
}

/** The Monday (UTC) of a date's week, as YYYY-MM-DD. */
function weekOf(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/**
 * Which backups retention keeps: the newest of each of the `daily` most recent days that have one, and the newest
 * of each of the `weekly` most recent weeks (Monday to Sunday, UTC) that have one. The rest may go.
 */
export function retained(backups: readonly BackupFile[], daily: number, weekly: number): Set<string> {
  const keep = new Set<string>();
  const newest = [...backups].sort((a, b) => b.at.getTime() - a.at.getTime());
  const days = new Set<string>();
  const weeks = new Set<string>();
  for (const b of newest) {
    const day = b.at.toISOString().slice(0, 10);
    if (!days.has(day) && days.size < daily) {
      days.add(day);
      keep.add(b.file);
    }
    const week = weekOf(b.at);
    if (!weeks.has(week) && weeks.size < weekly) {
      weeks.add(week);
      keep.add(b.file);
    }
  }
  return keep;
}

function count(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usageError(`${flag} must be a whole number, not "${value}"`);
  return n;
}

/** Takes a snapshot into the profile's backups folder and prunes by retention. */
export async function takeBackup(
  ctx: CommandContext,
  options: { daily: number; weekly: number; now?: Date; progress?: BackupProgressOptions },
): Promise<{ file: string; tables: Record<string, number>; removed: string[] }> {
  const dir = backupDir(ctx);
  makeDir(dir);
  const now = options.now ?? new Date();
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = `agentlogs-${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}${stamp.slice(8)}`;
  let file = path.join(dir, `${name}.db`);
  for (let n = 2; existsSync(file); n++) file = path.join(dir, `${name}-${n}.db`);
  const db = openStore(ctx, { access: 'read' });
  let tables: Record<string, number>;
  try {
    tables = (await snapshotDatabase(db, file, options.progress)).tables;
  } catch (error) {
    throw storeError(db.translateError(error));
  } finally {
    await db.close();
  }
  const all = listBackups(dir);
  const keep = retained(all, Math.max(1, options.daily), options.weekly);
  keep.add(file);
  const removed: string[] = [];
  for (const b of all) {
    if (!keep.has(b.file)) {
      rmSync(b.file, { force: true });
      removed.push(b.file);
    }
  }
  return { file, tables, removed };
}

export const backupCommand: Command<OptionsOf<typeof specs.backup>> = {
  name: 'backup',
  async run(ctx, args) {
    const daily = count(args.values['keep-daily'], '--keep-daily', 7);
    const weekly = count(args.values['keep-weekly'], '--keep-weekly', 4);
    if (args.values.list === true) {
      const list = listBackups(backupDir(ctx));
      if (args.values.json === true)
        ctx.out(
          JSON.stringify(
            list.map((b) => ({ file: b.file, at: b.at.toISOString(), bytes: statSync(b.file).size })),
            null,
            2,
          ),
        );
      else if (list.length === 0) ctx.out(`No backups in ${backupDir(ctx)}.`);
      else
        for (const b of list)
          ctx.out(`${b.at.toISOString()}  ${formatBytes(statSync(b.file).size).padStart(10)}  ${b.file}`);
      return ExitCode.ok;
    }
    const bar = progressBar(ctx, 'backing up', args.values.json === true);
    let result: Awaited<ReturnType<typeof takeBackup>>;
    try {
      result = await takeBackup(ctx, { daily, weekly, progress: bar.options });
    } finally {
      bar.done();
    }
    if (args.values.json === true) ctx.out(JSON.stringify(result, null, 2));
    else {
      ctx.out(`Backed up ${counted(result.tables)} to ${result.file}.`);
      if (result.removed.length > 0)
        ctx.out(
          `Removed ${result.removed.length} older backup${result.removed.length === 1 ? '' : 's'} (keeping ${daily} daily, ${weekly} weekly).`,
        );
    }
    return ExitCode.ok;
  },
};

export const backupCommands = [exportCommand, restoreCommand, backupCommand];
