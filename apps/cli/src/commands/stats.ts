import { computeStats, STATS_GROUPINGS, type StatsFigures, type StatsGrouping } from '@agentlogs/ingest';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { ExitCode, usageError } from '../errors.js';
import { openStore, storeError } from '../open-store.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!DATE.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    throw usageError(`${flag} must be a date written YYYY-MM-DD, got "${text}"`);
  }
  return text;
}

function validTimeZone(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value;
  } catch {
    throw usageError(`unknown time zone "${value}"`, 'use an IANA name such as Europe/Berlin or UTC');
  }
}

const int = (n: number) => n.toLocaleString('en-US');
const usd = (n: number) => `$${n.toFixed(2)}`;

function table(header: string[], rows: string[][]): string[] {
  return renderTable(rows, { header, align: header.map((_, i) => (i === 0 ? 'left' : 'right')) });
}

function cells(key: string, f: StatsFigures): string[] {
  return [
    key,
    int(f.input_tokens),
    int(f.output_tokens),
    int(f.cache_creation_tokens),
    int(f.cache_read_tokens),
    usd(f.cost_usd) + (f.unpriced_models.length > 0 ? '*' : ''),
    int(f.sessions),
    int(f.turns),
  ];
}

export const statsCommand: Command<OptionsOf<typeof specs.stats>> = {
  name: 'stats',
  async run(ctx: CommandContext, args) {
    const by = args.values.by ?? 'day';
    if (!STATS_GROUPINGS.includes(by as StatsGrouping)) {
      throw usageError(`--by must be one of ${STATS_GROUPINGS.join(', ')}; got "${by}"`);
    }
    const since = validDate(args.values.since, '--since');
    const until = validDate(args.values.until, '--until');
    if (since && until && since > until) throw usageError(`--since ${since} is after --until ${until}`);
    const timeZone = validTimeZone(args.values.timezone ?? ctx.env.TZ);
    const store = openStore(ctx, { access: 'read' });
    let report: ReturnType<typeof computeStats>;
    try {
      report = computeStats(store, { by: by as StatsGrouping, since, until, timeZone });
    } catch (error) {
      throw storeError(store.translateError(error));
    } finally {
      await store.close();
    }
    if (args.values.json === true) {
      ctx.out(JSON.stringify(report, null, 2));
      return ExitCode.ok;
    }
    if (report.totals.turns === 0) {
      ctx.out("No usage recorded for this period. Run 'agentlogs import' to read your transcripts.");
      return ExitCode.ok;
    }
    const header = [by, 'input', 'output', 'cache write', 'cache read', 'cost', 'sessions', 'turns'];
    const lines = table(header, [...report.rows.map((r) => cells(r.key, r)), cells('total', report.totals)]);
    lines.splice(lines.length - 1, 0, lines[1]!);
    for (const line of lines) ctx.out(line);
    if (report.totals.unpriced_models.length > 0) {
      ctx.out(`* not priced (missing from the price table): ${report.totals.unpriced_models.join(', ')}`);
    }
    ctx.out(`Prices: ${report.prices.source}, ${report.prices.date}.`);
    return ExitCode.ok;
  },
};
