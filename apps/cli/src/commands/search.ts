import { flushSearchIndex, pendingSearchTurns, searchTurns, toMatchQuery } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { sessionFilterOf, wholeNumber } from '../reading/filters.js';
import { printPaged } from '../reading/pager.js';
import type { specs } from './index.js';

/** The snippet with its matches marked: bold on a terminal (unless NO_COLOR), `**` around them otherwise. */
function marked(snippet: string, matches: [number, number][], color: boolean): string {
  const [open, close] = color ? ['\u001b[1;33m', '\u001b[0m'] : ['**', '**'];
  let out = '';
  let at = 0;
  for (const [start, end] of matches) {
    out += snippet.slice(at, start) + open + snippet.slice(start, end) + close;
    at = end;
  }
  return out + snippet.slice(at);
}

export const searchCommand: Command<OptionsOf<typeof specs.search>> = {
  name: 'search',
  async run(ctx, args) {
    const text = args.positionals.join(' ').trim();
    if (!text)
      throw usageError('search needs words to look for', 'e.g. agentlogs search "fix the migration"');
    const query = toMatchQuery(text);
    if (!query) throw usageError('the query has no letters or digits to look for');
    const v = args.values;
    const filter = sessionFilterOf(v);
    const limit = wholeNumber(v.limit, '--limit', 20, 1);
    const database = openStore(ctx, { access: 'read' });
    let result: ReturnType<typeof searchTurns>;
    try {
      // Turns a writer left unindexed (none, normally) are indexed first when this user may write.
      if (!database.readonly && pendingSearchTurns(database.sqlite) > 0) {
        database.sqlite.transaction(() => flushSearchIndex(database.sqlite)).immediate();
      }
      result = searchTurns(database, query, { ...filter, limit });
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw storeError(database.translateError(error));
    } finally {
      await database.close();
    }
    if (v.json === true) {
      ctx.out(JSON.stringify({ query: text, ...result }, null, 2));
      return ExitCode.ok;
    }
    const color = (ctx.stdout as NodeJS.WriteStream).isTTY === true && !ctx.env.NO_COLOR;
    const lines: string[] = [];
    if (result.total === 0) lines.push('No turn matches.');
    for (const hit of result.hits) {
      const project = hit.project_path?.split(/[\\/]/).filter(Boolean).pop() ?? '-';
      lines.push(
        `${hit.timestamp.slice(0, 16).replace('T', ' ')}  ${(hit.session_native_id ?? hit.session_id).slice(0, 8)}  ${hit.machine_name ?? '-'}  ${project}  ${hit.role}${hit.field === 'tool_calls' ? ' (tool call)' : ''}`,
      );
      lines.push(`  ${marked(hit.snippet, hit.matches, color)}`);
    }
    if (result.total > 0) {
      lines.push(
        `${result.hits.length} of ${result.total.toLocaleString('en-US')} matching turns in ${result.sessions.toLocaleString('en-US')} sessions; 'agentlogs sessions show ID' shows one`,
      );
    }
    if (result.locked_sessions > 0) {
      lines.push(
        `${result.locked_sessions} sessions hold locked text (encrypted, no key on this machine) and were not searched there`,
      );
    }
    await printPaged(ctx, lines);
    return ExitCode.ok;
  },
};
