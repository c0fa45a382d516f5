import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import packageJson from '../package.json' with { type: 'json' };

/** The version of the `agentlogs` package, from its package.json (bundled into dist at build time). */
export const version: string = packageJson.version;

/**
 * The one-line notice for a Node.js release past its end of life (20 and below, and 21 and 23, which were
 * never long-term releases), or undefined for a supported one. Pure: the version is a parameter.
 */
export function nodeEndOfLifeNotice(nodeVersion: string): string | undefined {
  const major = Number(nodeVersion.match(/^v?(\d+)\./)?.[1]);
  if (!Number.isInteger(major) || (major >= 22 && major !== 23)) return undefined;
  return `agentlogs: Node.js ${major} is past its end of life; agentlogs still runs on it, but use Node.js 22 or 24 (long-term support releases).`;
}

/** The file in the data directory that records the day the notice was last shown. */
export const NODE_NOTICE_FILE = 'node-notice';

/**
 * Says once a day, on stderr and only when it is a terminal, that this Node.js is past its end of life.
 * The day is kept in `<data dir>/node-notice`; failing to read or write it never fails a command.
 */
export function noticeOldNode(
  ctx: { home: string; stderr: { isTTY?: boolean }; err(line: string): void },
  options: { nodeVersion?: string; now?: Date } = {},
): void {
  const notice = nodeEndOfLifeNotice(options.nodeVersion ?? process.version);
  if (!notice || !ctx.stderr.isTTY) return;
  const marker = path.join(ctx.home, NODE_NOTICE_FILE);
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  try {
    if (readFileSync(marker, 'utf8').trim() === today) return;
  } catch {
    // no marker yet, or unreadable: show the notice
  }
  ctx.err(notice);
  try {
    writeFileSync(marker, `${today}\n`, { mode: 0o600 });
  } catch {
    // a data directory that does not exist yet or cannot be written: the notice shows again next time
  }
}
