import type { AgentComparison } from './agents-bench.js';
import type { TokenTotals } from './claude-tree.js';
import {
  type CodexComparison,
  type IngestBenchResult,
  mb,
  type ScaleResult,
  type ScaleSize,
  seconds,
} from './ingest-bench.js';

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatIngest(result: IngestBenchResult): string {
  const m = result.tree.manifest;
  const out: string[] = [];
  out.push(
    `tree: ${int(m.sessions)} sessions in ${int(m.projects)} projects, ${int(m.files)} files (${int(m.subagent_files)} subagent), ` +
      `${mb(m.bytes)} MB, ${int(m.lines)} lines, ${int(m.turns)} turns (${int(m.assistant_messages)} responses on ` +
      `${int(m.assistant_lines)} lines), ${int(m.git_commits)} git commits, ${m.first_timestamp.slice(0, 10)} … ${m.last_timestamp.slice(0, 10)}`,
  );
  out.push('');
  const steps = [result.ccusage.step];
  const ours = result.agentlogs;
  if (ours.available)
    steps.push(
      ours.first_import,
      ours.stats_after_import,
      ours.noop_import,
      ours.stats_after_noop,
      ...(ours.statusline ? [ours.statusline] : []),
      ...(ours.statusline_floor ? [ours.statusline_floor] : []),
    );
  out.push(
    table(
      ['step', 'wall s (median)', 'samples s', 'CPU s (median)', 'peak RSS MB'],
      steps.map((s) => [
        s.name,
        seconds(s.median_ms),
        s.samples_ms.map((ms) => seconds(ms)).join(' '),
        Number.isNaN(s.median_cpu_ms) ? '' : seconds(s.median_cpu_ms),
        mb(s.max_rss_kb * 1024),
      ]),
    ),
  );
  if (!ours.available) {
    out.push('', `agentlogs: not measured — ${ours.reason}`);
  }
  out.push('');
  const totalsRows: string[][] = [
    totalsRow('generator (ground truth)', m.totals, undefined, m.sessions, m.turns),
    totalsRow(
      result.ccusage.version.startsWith('ccusage')
        ? result.ccusage.version
        : `ccusage ${result.ccusage.version}`,
      result.ccusage.totals,
      result.ccusage.cost_usd,
    ),
  ];
  if (ours.available)
    totalsRows.push(totalsRow('agentlogs', ours.totals, ours.cost_usd, ours.sessions, ours.turns));
  out.push(
    table(
      ['totals', 'input', 'output', 'cache write', 'cache read', 'cost USD', 'sessions', 'turns'],
      totalsRows,
    ),
  );
  if (ours.available) {
    const keys = Object.keys(ours.totals) as (keyof TokenTotals)[];
    const diff = keys.filter((k) => ours.totals[k] !== result.ccusage.totals[k]);
    out.push(
      '',
      diff.length === 0
        ? 'check: agentlogs token totals EQUAL ccusage token totals (input, output, cache write, cache read)'
        : `check: agentlogs token totals DIFFER from ccusage in ${diff
            .map((k) => `${k} (${int(ours.totals[k])} vs ${int(result.ccusage.totals[k])})`)
            .join(', ')}`,
    );
    out.push(
      `store: ${mb(ours.data_dir_bytes)} MB data directory` +
        (ours.stored_turns
          ? `, ${int(ours.stored_turns.rows)} turn rows, ${int(ours.stored_turns.avg_content_bytes)} B average content`
          : ''),
    );
  }
  if (ours.available) {
    const commits = (ours.first_import_output as { commitsAdded?: unknown } | undefined)?.commitsAdded;
    if (typeof commits === 'number') {
      out.push(
        `cognitive commits: ${int(commits)} stored; the tree holds ${int(m.git_commits)} successful git commits ` +
          `+ ${int(m.sessions)} session ends = ${int(m.git_commits + m.sessions)}`,
      );
    }
  }
  if (result.targets.length > 0) {
    out.push('');
    out.push(
      table(
        ['target', 'measured', 'target', 'status', 'same ratio by CPU time'],
        result.targets.map((t) => [
          t.name,
          t.unit === 'ratio'
            ? `${t.measured.toFixed(2)}×`
            : t.unit === 'MB'
              ? `${t.measured.toFixed(1)} MB`
              : t.unit === 'ms'
                ? `${Math.round(t.measured)} ms`
                : `${t.measured}/${t.target} equal`,
          t.unit === 'ratio'
            ? `≤ ${t.target}×`
            : t.unit === 'MB' || t.unit === 'ms'
              ? `≤ ${t.target} ${t.unit}`
              : 'all equal',
          t.met ? 'met' : 'MISSED',
          t.cpu_ratio === undefined || Number.isNaN(t.cpu_ratio) ? '' : `${t.cpu_ratio.toFixed(2)}×`,
        ]),
      ),
    );
  }
  if (result.scale) out.push('', ...formatScale(result.scale));
  if (result.codex) out.push('', ...formatCodex(result.codex));
  if (result.agents.length > 0) out.push('', ...formatAgents(result.agents));
  if (result.limits.length > 0) {
    out.push('');
    out.push(
      table(
        ['limit measured on its own (fresh node process)', 'wall s', 'CPU s', 'peak RSS MB', 'rate'],
        result.limits.map((l) => [
          l.name,
          seconds(l.wall_ms),
          Number.isNaN(l.cpu_ms) ? '' : seconds(l.cpu_ms),
          mb(l.max_rss_kb * 1024),
          rate(l.detail, l.wall_ms),
        ]),
      ),
    );
    out.push('', ...floors(result));
  }
  return out.join('\n');
}

function rate(detail: Record<string, number>, wallMs: number): string {
  if (detail.rows_per_s !== undefined) return `${int(detail.rows_per_s)} rows/s`;
  if (detail.bytes !== undefined && detail.lines !== undefined) {
    return `${(detail.bytes / 1e6 / (wallMs / 1000)).toFixed(0)} MB/s`;
  }
  if (detail.files !== undefined) return `${int(detail.files / (wallMs / 1000))} files/s`;
  return '';
}

function totalsRow(
  name: string,
  t: TokenTotals,
  cost: number | undefined,
  sessions?: number,
  turns?: number,
): string[] {
  return [
    name,
    int(t.input_tokens),
    int(t.output_tokens),
    int(t.cache_creation_tokens),
    int(t.cache_read_tokens),
    cost === undefined ? '' : cost.toFixed(2),
    sessions === undefined ? '' : int(sessions),
    turns === undefined ? '' : int(turns),
  ];
}

/**
 * What the floors imply for the targets: a first import must at least parse every line and insert every turn;
 * a no-op re-import must at least start the CLI and stat every file; stats must at least start the CLI.
 */
function floors(result: IngestBenchResult): string[] {
  const find = (prefix: string) => result.limits.find((l) => l.name.startsWith(prefix));
  const parse = find('… and JSON.parse');
  const inserts = result.limits.filter((l) => l.name.startsWith('SQLite insert'));
  const insert = inserts[0];
  const largeInsert = inserts[1];
  const stat = find('walk + stat');
  const node = find('Node start-up');
  const cli = find('agentlogs --version');
  const ccusage = result.ccusage.step.median_ms;
  const lines: string[] = [];
  const ccusageCpu = result.ccusage.step.median_cpu_ms;
  const byCpu = (cpu: number) =>
    Number.isNaN(cpu) || Number.isNaN(ccusageCpu) ? '' : `; by CPU time ${(cpu / ccusageCpu).toFixed(2)}×`;
  if (parse && insert && node) {
    const floor = parse.wall_ms + insert.wall_ms;
    lines.push(
      `floor: first import + stats ≥ parse every line + insert every turn (two processes) = ` +
        `${seconds(floor)} s = ${(floor / ccusage).toFixed(2)}× ccusage${byCpu(parse.cpu_ms + insert.cpu_ms)} (target ≤ 2×)`,
    );
  }
  if (insert && largeInsert && result.scale) {
    const perRow = (l: typeof insert) => l.wall_ms / Math.max(1, l.detail.rows ?? 1);
    const perRowCpu = (l: typeof insert) => l.cpu_ms / Math.max(1, l.detail.rows ?? 1);
    lines.push(
      `floor: ${result.scale.factor}× tree vs base tree, SQLite's insert alone (time per row at the two row counts) = ` +
        `${(perRow(largeInsert) / perRow(insert)).toFixed(2)}×; by CPU time ` +
        `${(perRowCpu(largeInsert) / perRowCpu(insert)).toFixed(2)}× (target ≤ 1.1×)`,
    );
  }
  if (stat && node) {
    const floor = stat.wall_ms + node.wall_ms;
    lines.push(
      `floor: no-op re-import + stats ≥ stat every file + one more Node start-up = ${seconds(floor)} s = ` +
        `${(floor / ccusage).toFixed(2)}× ccusage${byCpu(stat.cpu_ms + node.cpu_ms)} (target ≤ 0.3×)`,
    );
  }
  if (cli && node) {
    lines.push(
      `CLI start-up: ${seconds(cli.wall_ms)} s per agentlogs process vs ${seconds(node.wall_ms)} s for bare Node ` +
        `(paid twice by import + stats)`,
    );
  }
  const ours = result.agentlogs;
  if (ours.available) {
    const own = (o: unknown) =>
      o && typeof o === 'object' && typeof (o as { durationMs?: unknown }).durationMs === 'number'
        ? (o as { durationMs: number }).durationMs
        : undefined;
    const first = own(ours.first_import_output);
    const noop = own(ours.noop_import_output);
    if (first !== undefined && noop !== undefined) {
      lines.push(
        `import's own timer (run 1): first ${seconds(first)} s, no-op ${seconds(noop)} s; the rest of its wall time ` +
          'is process start-up, module loading and opening the store',
      );
    }
  }
  return lines;
}

function formatScale(scale: ScaleResult): string[] {
  const row = (label: string, size: ScaleSize) => [
    label,
    `${int(size.sessions)} sessions, ${mb(size.bytes)} MB`,
    seconds(size.first_import.median_ms),
    Number.isNaN(size.first_import.median_cpu_ms) ? '' : seconds(size.first_import.median_cpu_ms),
    size.wall_s_per_gb.toFixed(2),
    Number.isNaN(size.cpu_s_per_gb) ? '' : size.cpu_s_per_gb.toFixed(2),
    mb(size.first_import.max_rss_kb * 1024),
  ];
  return [
    table(
      ['first import', 'tree', 'wall s (median)', 'CPU s', 'wall s/GB', 'CPU s/GB', 'peak RSS MB'],
      [row('base tree', scale.base), row(`${scale.factor}× tree`, scale.large)],
    ),
    '',
    scale.turns_equal
      ? `check: the ${scale.factor}× tree's import stored every turn the generator wrote (${int(scale.large.turns)})`
      : `check: the ${scale.factor}× tree's import stored ${int(scale.large.turns)} turns — DIFFERS from the generator's count`,
  ];
}

function formatCodex(codex: CodexComparison): string[] {
  const m = codex.manifest;
  const out = [
    `codex: ${int(m.sessions)} rollouts, ${mb(m.bytes)} MB, ${int(m.lines)} lines, ${int(m.token_counts)} token_count events ` +
      '(separate from the Claude tree; no targets)',
    '',
  ];
  const steps = [codex.ccusage.step];
  if (codex.agentlogs.available) steps.push(codex.agentlogs.import, codex.agentlogs.stats);
  out.push(
    table(
      ['codex step', 'wall s (median)', 'CPU s (median)', 'peak RSS MB'],
      steps.map((s) => [
        s.name,
        seconds(s.median_ms),
        Number.isNaN(s.median_cpu_ms) ? '' : seconds(s.median_cpu_ms),
        mb(s.max_rss_kb * 1024),
      ]),
    ),
  );
  const truth: TokenTotals = {
    input_tokens: m.totals.input_tokens,
    output_tokens: m.totals.output_tokens,
    cache_creation_tokens: 0,
    cache_read_tokens: m.totals.cache_read_tokens,
  };
  const rows = [
    totalsRow('generator (ground truth)', truth, undefined, m.sessions),
    totalsRow('ccusage', codex.ccusage.totals, undefined),
  ];
  if (codex.agentlogs.available) {
    rows.push(
      totalsRow(
        'agentlogs',
        codex.agentlogs.totals,
        undefined,
        codex.agentlogs.sessions,
        codex.agentlogs.turns,
      ),
    );
  }
  out.push(
    '',
    table(
      ['codex totals', 'input', 'output', 'cache write', 'cache read', 'cost USD', 'sessions', 'turns'],
      rows,
    ),
  );
  out.push(
    '',
    codex.agentlogs.available
      ? `check: Codex token totals ${codex.totals_equal ? 'EQUAL' : 'DIFFER from'} ccusage's`
      : `agentlogs on the Codex set: not measured — ${codex.agentlogs.reason}`,
  );
  return out;
}

function formatAgents(agents: AgentComparison[]): string[] {
  const rows = agents.map((a) => {
    const m = a.manifest;
    const ours = a.agentlogs;
    return [
      m.agent,
      `${int(m.sessions)} / ${int(m.files)} / ${mb(m.bytes)} MB`,
      int(m.responses),
      `${seconds(a.ccusage.median_ms)} s`,
      ours.available
        ? `${seconds(ours.import_median_ms)} s + ${seconds(ours.stats_median_ms)} s`
        : `not measured: ${ours.reason}`,
      `${int(m.totals.input_tokens + m.totals.output_tokens + m.totals.cache_creation_tokens + m.totals.cache_read_tokens)}`,
      a.totals_equal ? 'EQUAL' : 'DIFFER',
    ];
  });
  return [
    "other agents: a synthetic tree each, in the agent's layout and format (no targets)",
    '',
    table(
      [
        'agent',
        'sessions / files / size',
        'responses',
        'ccusage',
        'agentlogs import + stats',
        'tokens (generator)',
        'totals: generator, ccusage, agentlogs',
      ],
      rows,
    ),
  ];
}
