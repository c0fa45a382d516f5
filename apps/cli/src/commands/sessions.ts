import { findSessionIds, getSessionView, type LocalDatabase, listSessionViews } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { loadPrices } from '../prices.js';
import { sessionFilterOf, wholeNumber } from '../reading/filters.js';
import { printPaged } from '../reading/pager.js';
import {
  type ConversationItem,
  conversation,
  formatBytes,
  readAllTurns,
  toolCallLine,
  withCosts,
} from '../reading/views.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

async function withDatabase<T>(ctx: CommandContext, fn: (database: LocalDatabase) => T): Promise<T> {
  const database = openStore(ctx, { access: 'read' });
  try {
    return fn(database);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw storeError(database.translateError(error));
  } finally {
    await database.close();
  }
}

const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const money = (usd: number) => `$${usd.toFixed(2)}`;
const count = (n: number) => n.toLocaleString('en-US');
const oneLine = (text: string | null, width: number) => {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
};

const listCommand: Command<OptionsOf<(typeof specs)['sessions list']>> = {
  name: 'sessions list',
  async run(ctx, args) {
    const v = args.values;
    const filter = sessionFilterOf(v);
    const limit = wholeNumber(v.limit, '--limit', 50);
    const { sessions, total } = await withDatabase(ctx, (database) => {
      const page = listSessionViews(database, { ...filter, limit });
      return { sessions: withCosts(database, page.sessions, loadPrices(ctx)), total: page.total };
    });
    if (v.json === true) {
      ctx.out(JSON.stringify({ total, sessions }, null, 2));
      return ExitCode.ok;
    }
    if (sessions.length === 0) {
      ctx.out(
        total === 0 && Object.keys(filter).length === 0
          ? "No sessions yet: run 'agentlogs import' (or 'agentlogs sync' to fetch your other machines')."
          : 'No sessions match these filters.',
      );
      return ExitCode.ok;
    }
    const width = Math.max(30, ((ctx.stdout as NodeJS.WriteStream).columns ?? 160) - 110);
    const header = [
      'start',
      'id',
      'machine',
      'project',
      'agent',
      'title or first prompt',
      'turns',
      'tokens',
      'cost',
    ];
    const rows = sessions.map((s) => [
      when(s.started_at),
      (s.native_id ?? s.id).slice(0, 8),
      s.machine_name ?? '-',
      oneLine(s.project_path?.split(/[\\/]/).filter(Boolean).pop() ?? '-', 20),
      s.agent === 'claude_code' ? 'claude' : (s.agent ?? '-'),
      oneLine(s.title, width) || '-',
      count(s.turns),
      count(s.tokens),
      money(s.cost_usd),
    ]);
    const align = ['left', 'left', 'left', 'left', 'left', 'left', 'right', 'right', 'right'] as const;
    const lines = renderTable(rows, { header, align });
    if (total > sessions.length)
      lines.push(`${count(sessions.length)} of ${count(total)} sessions (--limit N, 0 for all)`);
    await printPaged(ctx, lines);
    return ExitCode.ok;
  },
};

function resolveSession(database: LocalDatabase, given: string | undefined): string {
  if (!given) throw usageError('a session id is needed', "list them with 'agentlogs sessions list'");
  const ids = findSessionIds(database, given);
  if (ids.length === 1) return ids[0]!;
  throw new CliError(
    ids.length === 0 ? `no session with id ${given}` : `the id ${given} matches several sessions`,
    {
      exitCode: ExitCode.failure,
      hint: "list the ids with 'agentlogs sessions list' (the agent's session id, or 6 or more of its first characters)",
    },
  );
}

function renderConversation(items: ConversationItem[], indent: string, lines: string[]): void {
  for (const item of items) {
    if (item.kind === 'subagent') {
      const n = item.turns.length;
      lines.push(
        `${indent}  ┌ subagent ${item.agentId ?? ''} (${n} ${n === 1 ? 'entry' : 'entries'}, ${money(item.cost)})`,
      );
      renderConversation(item.turns, `${indent}  │ `, lines);
      lines.push(`${indent}  └`);
      continue;
    }
    const t = item.turn;
    const cost =
      t.role === 'assistant' ? `  ${t.cost === null ? '(unpriced)' : `$${t.cost.toFixed(4)}`}` : '';
    const who = t.role === 'assistant' ? `assistant${t.model ? ` (${t.model})` : ''}` : 'user';
    lines.push(`${indent}[${when(t.timestamp)}] ${who}${cost}`);
    const text = t.locked ? '(locked: encrypted, no key on this machine)' : (t.content ?? '');
    for (const line of text.split('\n')) if (text !== '') lines.push(`${indent}  ${line}`);
    t.tool_calls.forEach((call, i) => {
      const result = item.results[i];
      const size = result ? ` → ${formatBytes(result.content?.length ?? 0)}` : '';
      lines.push(`${indent}  ▸ ${toolCallLine(call)}${size}`);
    });
    for (const extra of item.results.slice(t.tool_calls.length)) {
      lines.push(`${indent}  ▸ result ${formatBytes(extra.content?.length ?? 0)}`);
    }
    // Images of the turn and of its tool results (screenshots), by the id 'visuals get' takes.
    for (const visual of [t, ...item.results].flatMap((turn) => turn.visuals)) {
      lines.push(
        `${indent}  ▣ image ${visual.media_type.replace(/^image\//, '')} ${formatBytes(visual.byte_size)} (agentlogs visuals get ${visual.id})`,
      );
    }
  }
}

const showCommand: Command<OptionsOf<(typeof specs)['sessions show']>> = {
  name: 'sessions show',
  async run(ctx, args) {
    if (args.positionals.length > 1) throw usageError('sessions show takes one id');
    const { session, turns } = await withDatabase(ctx, (database) => {
      const id = resolveSession(database, args.positionals[0]);
      const view = getSessionView(database, id);
      if (!view) throw new CliError(`no session with id ${id}`, { exitCode: ExitCode.failure });
      return {
        session: withCosts(database, [view], loadPrices(ctx))[0]!,
        turns: readAllTurns(database, id),
      };
    });
    if (args.values.json === true) {
      ctx.out(JSON.stringify({ session, turns }, null, 2));
      return ExitCode.ok;
    }
    const lines = [
      `session ${session.native_id ?? session.id} · ${session.agent ?? '-'} · ${session.machine_name ?? '-'} · ${session.project_path ?? '-'}`,
      `${when(session.started_at)} – ${when(session.ended_at)} · ${count(session.turns)} turns · ${count(session.tokens)} tokens · ${money(session.cost_usd)}`,
      ...(session.title ? [`title: ${oneLine(session.title, 120)}`] : []),
      '',
    ];
    renderConversation(conversation(turns), '', lines);
    await printPaged(ctx, lines);
    return ExitCode.ok;
  },
};

export const sessionsCommands: Command[] = [listCommand, showCommand] as Command[];
