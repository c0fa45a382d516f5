/**
 * `agentlogs statusline` as Claude Code runs it after every response, dispatched by bin.ts before the command
 * table, the argument parser and most of the store are loaded (docs/decisions/0102-fast-statusline-and-hook.md).
 * It opens the database read-only as it lies (`openCurrentReadOnly`: the current schema version, no migration)
 * and answers from the turns' session index (`usageNow`) exactly as the full command does. Whatever it does not
 * handle itself — a database missing, older or newer than this agentlogs, one from an earlier release to adopt,
 * a bad profile name, input that is not JSON, any error — it hands over, with the stdin it read, to the full
 * command, which migrates, adopts or reports as every command does.
 */
import { existsSync, readSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isatty } from 'node:tty';
import { type UsageNow, usageNow } from '@agentlogs/ingest';
import { DATABASE_FILE_NAME, LEGACY_DATABASE_PATH, openCurrentReadOnly } from '@agentlogs/local-store';
import { profileNameProblem, resolveHome } from './context.js';
import { loadPrices } from './prices.js';
import {
  handOverStdin,
  inputSessionId,
  parseStatuslineInput,
  readToEnd,
  statuslineText,
} from './statusline-line.js';
import { noticeOldNode } from './version.js';

/** The line's exit code once printed, or undefined to hand the run over to the full command. */
export async function fastStatusline(env: NodeJS.ProcessEnv): Promise<number | undefined> {
  // Read and written through the file descriptors: creating process.stdin and process.stdout as streams costs
  // more than the rest of the run.
  const text = await readInput();
  if (text === undefined) return undefined;
  const handOver = () => {
    handOverStdin(text);
    return undefined;
  };
  const input = parseStatuslineInput(text);
  const profile = env.AGENTLOGS_PROFILE || 'default';
  if (!input || profileNameProblem(profile)) return handOver();
  const home = resolveHome(env);
  const dir = profile === 'default' ? home : path.join(home, 'profiles', profile);
  // The default profile adopts an earlier release's database on its first open (open-store.ts).
  const legacy = path.join(env.HOME || env.USERPROFILE || os.homedir(), LEGACY_DATABASE_PATH);
  if (profile === 'default' && existsSync(legacy)) return handOver();
  const ctx = {
    home,
    stderr: { isTTY: isatty(2) },
    err: (line: string) => writeSync(2, `${line}\n`),
  };
  const db = openCurrentReadOnly(path.join(dir, DATABASE_FILE_NAME));
  if (!db) return handOver();
  let figures: UsageNow;
  try {
    figures = usageNow(db, { sessionId: inputSessionId(input), prices: loadPrices(ctx) });
  } catch {
    return handOver();
  } finally {
    db.close();
  }
  noticeOldNode(ctx);
  writeSync(1, `${statuslineText(input, figures)}\n`);
  return 0;
}

/**
 * stdin to its end; '' from a terminal (where it would wait for input that never comes); undefined when it
 * cannot be read, which the full command reports.
 */
async function readInput(): Promise<string | undefined> {
  if (isatty(0)) return '';
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      const n = readSync(0, buffer);
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return undefined;
    // A non-blocking descriptor with nothing more to read yet: the rest as a stream.
    chunks.push(await readToEnd(process.stdin));
  }
  return Buffer.concat(chunks).toString('utf8');
}
