import {
  type BillingBlock,
  computeBlocks,
  computeStats,
  STATS_GROUPINGS,
  type StatsFigures,
  type StatsGrouping,
  type StatsRow,
} from '@agentlogs/ingest';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { ExitCode, usageError } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { loadPrices, pricesLine } from '../prices.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

/** `YYYY-MM-DD`, or ccusage's `YYYYMMDD`. */
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;

/** A `--since`/`--until` day as YYYY-MM-DD, from YYYY-MM-DD or YYYYMMDD. */
export function parseDay(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const m = DATE.exec(text);
  const day = m && (text.length === 8 || text.length === 10) ? `${m[1]}-${m[2]}-${m[3]}` : '';
  const parsed = new Date(`${day}T00:00:00Z`);
  if (!day || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) {
    throw usageError(`${flag} must be a date written YYYY-MM-DD or YYYYMMDD, got "${text}"`);
  }
  return day;
}

export function validTimeZone(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value;
  } catch {
    throw usageError(`unknown time zone "${value}"`, 'use an IANA name such as Europe/Berlin or UTC');
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number) => `$${n.toFixed(2)}`;

/** `2026-12-04 20:13` in the time zone (default: the process's). */
export function localTime(ms: number, timeZone: string | undefined): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (timeZone === undefined) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** `4h 36m`, `12m`, `3d 2h`. */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m >= 24 * 60) return `${Math.floor(m / 1440)}d ${Math.floor((m % 1440) / 60)}h`;
  if (m >= 60) return `${Math.floor(m / 60)}h ${m % 60}m`;
  return `${m}m`;
}

function figures(f: StatsFigures): string[] {
  return [
    int(f.input_tokens),
    int(f.output_tokens),
    int(f.cache_creation_tokens),
    int(f.cache_read_tokens),
    usd(f.cost_usd) + (f.unpriced_models.length > 0 ? '*' : ''),
  ];
}

/** A table whose first `left` columns are text and the rest numbers, with a rule above the last (total) line. */
function tableWithTotal(header: string[], rows: string[][], left: number): string[] {
  const lines = renderTable(rows, { header, align: header.map((_, i) => (i < left ? 'left' : 'right')) });
  lines.splice(lines.length - 1, 0, lines[1]!);
  return lines;
}

function statsTable(
  by: StatsGrouping,
  rows: StatsRow[],
  totals: StatsFigures,
  tz: string | undefined,
): string[] {
  const session = by === 'session';
  const header = session
    ? [
        'session',
        'project',
        'agent',
        'last activity',
        'input',
        'output',
        'cache write',
        'cache read',
        'cost',
        'turns',
      ]
    : [by, 'input', 'output', 'cache write', 'cache read', 'cost', 'sessions', 'turns'];
  const lead = (key: string, r?: StatsRow) =>
    session
      ? [
          key,
          r ? (r.project ?? '(unknown)') : '',
          r ? (r.agent ?? '(unknown)') : '',
          r?.last_activity ? localTime(Date.parse(r.last_activity), tz) : '',
        ]
      : [key];
  const tail = (f: StatsFigures) => (session ? [int(f.turns)] : [int(f.sessions), int(f.turns)]);
  const cells: string[][] = [];
  for (const r of rows) {
    cells.push([...lead(r.key, r), ...figures(r), ...tail(r)]);
    for (const m of r.models ?? []) {
      cells.push([...lead(`  - ${m.model}`), ...figures(m), ...tail(m)]);
    }
  }
  cells.push([...lead('total'), ...figures(totals), ...tail(totals)]);
  return tableWithTotal(header, cells, session ? 4 : 1);
}

function blockStatus(b: BillingBlock, tz: string | undefined): string {
  if (b.is_gap) return `gap of ${duration((Date.parse(b.end) - Date.parse(b.start)) / 60_000)}`;
  if (b.is_active)
    return `active, ${duration(b.projection?.remaining_minutes ?? (Date.parse(b.end) - Date.now()) / 60_000)} left`;
  return `last at ${b.actual_end ? localTime(Date.parse(b.actual_end), tz).slice(11) : '?'}`;
}

function blocksTable(blocks: BillingBlock[], tz: string | undefined): string[] {
  const header = [
    'block start',
    'status',
    'models',
    'input',
    'output',
    'cache write',
    'cache read',
    'total tokens',
    'cost',
  ];
  const total = { input: 0, output: 0, write: 0, read: 0, tokens: 0, cost: 0, unpriced: false };
  const rows = blocks.map((b) => {
    total.input += b.input_tokens;
    total.output += b.output_tokens;
    total.write += b.cache_creation_tokens;
    total.read += b.cache_read_tokens;
    total.tokens += b.total_tokens;
    total.cost += b.cost_usd;
    if (b.unpriced_models.length > 0) total.unpriced = true;
    const status = blockStatus(b, tz);
    return b.is_gap
      ? [localTime(Date.parse(b.start), tz), status, '', '', '', '', '', '', '']
      : [
          localTime(Date.parse(b.start), tz),
          status,
          b.models.join(', '),
          int(b.input_tokens),
          int(b.output_tokens),
          int(b.cache_creation_tokens),
          int(b.cache_read_tokens),
          int(b.total_tokens),
          usd(b.cost_usd) + (b.unpriced_models.length > 0 ? '*' : ''),
        ];
  });
  rows.push([
    'total',
    '',
    '',
    int(total.input),
    int(total.output),
    int(total.write),
    int(total.read),
    int(total.tokens),
    usd(total.cost) + (total.unpriced ? '*' : ''),
  ]);
  return tableWithTotal(header, rows, 3);
}

export const statsCommand: Command<OptionsOf<typeof specs.stats>> = {
  name: 'stats',
  async run(ctx: CommandContext, args) {
    const by = args.values.by ?? 'day';
    const groupings = [...STATS_GROUPINGS, 'block'];
    if (!groupings.includes(by)) throw usageError(`--by must be one of ${groupings.join(', ')}; got "${by}"`);
    const since = parseDay(args.values.since, '--since');
    const until = parseDay(args.values.until, '--until');
    if (since && until && since > until) throw usageError(`--since ${since} is after --until ${until}`);
    const timeZone = validTimeZone(args.values.timezone ?? ctx.env.TZ);
    const agent = args.values.agent?.trim() || undefined;
    const breakdown = args.values.breakdown === true;
    if (breakdown && by === 'block') throw usageError('--breakdown is not available with --by block');
    const prices = loadPrices(ctx);
    const store = openStore(ctx, { access: 'read' });
    const json = args.values.json === true;
    try {
      if (by === 'block') {
        const report = computeBlocks(store, { agent, since, until, timeZone, prices });
        if (json) {
          ctx.out(JSON.stringify(report, null, 2));
          return ExitCode.ok;
        }
        if (report.blocks.length === 0) {
          ctx.out(
            `No ${report.agent} usage recorded for this period. Run 'agentlogs import' to read your transcripts.`,
          );
          return ExitCode.ok;
        }
        for (const line of blocksTable(report.blocks, timeZone)) ctx.out(line);
        const active = report.blocks.find((b) => b.is_active);
        if (active?.burn_rate) {
          const p = active.projection;
          ctx.out(
            `Active block: ${int(active.burn_rate.tokens_per_minute)} tokens/min, ${usd(active.burn_rate.cost_per_hour)}/h` +
              (p
                ? `; by ${localTime(Date.parse(active.end), timeZone).slice(11)} (${duration(p.remaining_minutes)} left) about ${int(p.total_tokens)} tokens, ${usd(p.total_cost_usd)}`
                : ''),
          );
        }
        unpricedNote(
          ctx,
          report.blocks.flatMap((b) => b.unpriced_models),
        );
        ctx.out(`Blocks of 5 hours from ${report.agent} usage. ${pricesLine(report.prices)}`);
        return ExitCode.ok;
      }
      const report = computeStats(store, {
        by: by as StatsGrouping,
        since,
        until,
        timeZone,
        prices,
        agent,
        breakdown,
      });
      if (json) {
        ctx.out(JSON.stringify(report, null, 2));
        return ExitCode.ok;
      }
      if (report.totals.turns === 0) {
        ctx.out(
          agent
            ? `No usage recorded for agent "${agent}" in this period (agents are named as 'agentlogs stats --by agent' shows them).`
            : "No usage recorded for this period. Run 'agentlogs import' to read your transcripts.",
        );
        return ExitCode.ok;
      }
      for (const line of statsTable(by as StatsGrouping, report.rows, report.totals, timeZone)) ctx.out(line);
      unpricedNote(ctx, report.totals.unpriced_models);
      ctx.out(pricesLine(report.prices));
      return ExitCode.ok;
    } catch (error) {
      throw storeError(store.translateError(error));
    } finally {
      await store.close();
    }
  },
};

function unpricedNote(ctx: CommandContext, models: string[]): void {
  const unique = [...new Set(models)].sort();
  if (unique.length > 0) ctx.out(`* not priced (missing from the price table): ${unique.join(', ')}`);
}
