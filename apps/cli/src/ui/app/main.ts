/// <reference lib="dom" />
/**
 * The dashboard's page: preact + htm (no build step for templates) and Chart.js, bundled into `dist/ui/app.js`
 * by the CLI's build. Hash routes: #/costs, #/sessions, #/session/<id>, #/search, #/sync. Every request goes to
 * the server that served the page, which checks the token (sent as a header and, by the browser, as a cookie).
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const token = new URLSearchParams(location.search).get('token') ?? '';

async function api<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const response = await fetch(`${path}${query.size > 0 ? `?${query}` : ''}`, {
    headers: token ? { 'x-agentlogs-token': token } : {},
    credentials: 'same-origin',
  });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

const money = (n: number) => `$${n.toFixed(2)}`;
const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const count = (n: number) => n.toLocaleString('en-US');

function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return (hash.replace(/^#\/?/, '') || 'costs').split('/').map(decodeURIComponent);
}

interface Costs {
  days: string[];
  series: { key: string; costs: number[] }[];
  total_usd: number;
}

const COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

function CostsPage() {
  const [by, setBy] = useState('machine');
  const [costs, setCosts] = useState<Costs | null>(null);
  const [error, setError] = useState('');
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    api<Costs>('/api/costs', { by }).then(setCosts, (e: Error) => setError(e.message));
  }, [by]);
  useEffect(() => {
    if (!costs || !canvas.current) return;
    const top = costs.series.slice(0, 9);
    const rest = costs.series.slice(9);
    if (rest.length > 0) {
      top.push({
        key: `${rest.length} more`,
        costs: costs.days.map((_, i) => rest.reduce((s, r) => s + r.costs[i]!, 0)),
      });
    }
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: costs.days,
        datasets: top.map((s, i) => ({
          label: s.key,
          data: s.costs,
          backgroundColor: COLORS[i % COLORS.length],
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: (v) => `$${v}` } } },
      },
    });
    canvas.current.dataset.points = String(top.reduce((n, s) => n + s.costs.filter((c) => c > 0).length, 0));
    return () => chart.destroy();
  }, [costs]);
  return html`<h2>Cost over time</h2>
    <form onSubmit=${(e: Event) => e.preventDefault()}>
      stacked by
      <select data-testid="cost-by" value=${by} onChange=${(e: Event) => setBy((e.target as HTMLSelectElement).value)}>
        <option value="machine">machine</option><option value="model">model</option><option value="project">project</option>
      </select>
      ${costs && html`<span>total ${money(costs.total_usd)} over ${costs.days.length} days</span>`}
    </form>
    ${error && html`<p class="error">${error}</p>`}
    <div class="chart"><canvas ref=${canvas} data-testid="cost-chart"></canvas></div>`;
}

interface SessionRow {
  id: string;
  native_id: string | null;
  agent: string | null;
  started_at: string;
  machine_name: string | null;
  project_path: string | null;
  title: string | null;
  turns: number;
  tokens: number;
  cost_usd: number;
}

const FILTERS = ['project', 'machine', 'agent', 'since', 'until'] as const;

function SessionsPage() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [page, setPage] = useState<{ total: number; sessions: SessionRow[]; agents: string[] } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ total: number; sessions: SessionRow[]; agents: string[] }>('/api/sessions', {
      ...filters,
      limit: 100,
    }).then(
      (p) => {
        setError('');
        setPage(p);
      },
      (e: Error) => setError(e.message),
    );
  }, [JSON.stringify(filters)]);
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const next: Record<string, string> = {};
    for (const key of FILTERS) {
      const value = String(form.get(key) ?? '').trim();
      if (value) next[key] = value;
    }
    setFilters(next);
  };
  return html`<h2>Sessions</h2>
    <form onSubmit=${submit}>
      <input name="project" placeholder="project" />
      <input name="machine" placeholder="machine" />
      <select name="agent"><option value="">any agent</option>${(page?.agents ?? []).map((a) => html`<option value=${a} selected=${filters.agent === a}>${a}</option>`)}</select>
      <input name="since" placeholder="since YYYY-MM-DD" />
      <input name="until" placeholder="until YYYY-MM-DD" />
      <button>Filter</button>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    ${
      page &&
      html`<p class="meta">${count(page.sessions.length)} of ${count(page.total)} sessions</p>
      <table data-testid="sessions">
        <thead><tr><th>start</th><th>machine</th><th>project</th><th>agent</th><th>title or first prompt</th><th class="n">turns</th><th class="n">tokens</th><th class="n">cost</th></tr></thead>
        <tbody>${page.sessions.map(
          (s) => html`<tr class="click" data-session=${s.id} onClick=${() => {
            location.hash = `#/session/${encodeURIComponent(s.id)}`;
          }}>
            <td>${when(s.started_at)}</td><td>${s.machine_name ?? '-'}</td>
            <td>${(s.project_path ?? '-').split('/').filter(Boolean).pop()}</td><td>${s.agent}</td>
            <td>${(s.title ?? '').slice(0, 90)}</td><td class="n">${count(s.turns)}</td>
            <td class="n">${count(s.tokens)}</td><td class="n">${money(s.cost_usd)}</td></tr>`,
        )}</tbody></table>`
    }`;
}

interface Turn {
  id: string;
  role: string;
  timestamp: string;
  content: string | null;
  tool_calls: { name: string; input: Record<string, unknown> }[];
  model: string | null;
  is_sidechain: boolean;
  agent_id: string | null;
  cost: number | null;
  locked: boolean;
  visuals: { id: string; media_type: string; byte_size: number }[];
}

const PAGE = 100;

const kB = (bytes: number) =>
  bytes < 1_000_000 ? `${(bytes / 1000).toFixed(1)} kB` : `${(bytes / 1_000_000).toFixed(1)} MB`;

/**
 * A screenshot of a turn, shown where it happened. The browser asks for it only when it scrolls into view
 * (`loading="lazy"`); the server answers from the data folder, or fetches it from the project the first time.
 */
function Visual({ visual }: { visual: Turn['visuals'][number] }) {
  const [failed, setFailed] = useState(false);
  const src = `/api/visuals/${encodeURIComponent(visual.id)}?token=${encodeURIComponent(token)}`;
  if (failed)
    return html`<div class="meta" data-visual-missing=${visual.id}>image ${visual.media_type} ${kB(visual.byte_size)} not available here ('agentlogs visuals get ${visual.id}' says why)</div>`;
  return html`<a href=${src} target="_blank" rel="noopener"><img class="visual" loading="lazy" src=${src} data-visual=${visual.id}
    alt=${`screenshot, ${visual.media_type}, ${kB(visual.byte_size)}`} onError=${() => setFailed(true)} /></a>`;
}

function toolLine(call: Turn['tool_calls'][number]): string {
  const input = call.input ?? {};
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt']) {
    if (typeof input[key] === 'string') return `${call.name} ${String(input[key]).slice(0, 140)}`;
  }
  return call.name;
}

/** A session's turns, a page at a time: the next page is asked for when the end of the list comes into view. */
function SessionPage({ id }: { id: string }) {
  const [session, setSession] = useState<SessionRow | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState('');
  const loading = useRef(false);
  const end = useRef<HTMLDivElement>(null);
  const more = () => {
    if (loading.current || (total !== null && turns.length >= total)) return;
    loading.current = true;
    api<{ turns: Turn[]; total: number }>(`/api/sessions/${encodeURIComponent(id)}/turns`, {
      offset: turns.length,
      limit: PAGE,
    })
      .then(
        (page) => {
          setTurns((before) => [...before, ...page.turns]);
          setTotal(page.total);
        },
        (e: Error) => setError(e.message),
      )
      .finally(() => {
        loading.current = false;
      });
  };
  useEffect(() => {
    api<SessionRow>(`/api/sessions/${encodeURIComponent(id)}`).then(setSession, (e: Error) =>
      setError(e.message),
    );
    more();
  }, [id]);
  useEffect(() => {
    if (!end.current) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) more();
    });
    observer.observe(end.current);
    return () => observer.disconnect();
  });
  return html`<p><a href="#/sessions">← sessions</a></p>
    ${error && html`<p class="error">${error}</p>`}
    ${
      session &&
      html`<h2>${(session.title ?? session.native_id ?? session.id).slice(0, 120)}</h2>
      <p class="meta">${session.agent} · ${session.machine_name} · ${session.project_path} · ${when(session.started_at)} ·
        ${count(session.turns)} turns · ${count(session.tokens)} tokens · ${money(session.cost_usd)}</p>`
    }
    <div data-testid="turns" data-loaded=${turns.length} data-total=${total ?? ''}>
      ${turns.map(
        (
          t,
        ) => html`<div key=${t.id} class=${`turn ${t.role}${t.is_sidechain ? ' side' : ''}`} data-turn=${t.id}>
          <div class="meta">${when(t.timestamp)} · ${t.role}${t.is_sidechain ? ` · subagent ${t.agent_id ?? ''}` : ''}${t.model ? ` · ${t.model}` : ''}${t.role === 'assistant' && t.cost !== null ? ` · $${t.cost.toFixed(4)}` : ''}</div>
          ${t.locked ? html`<div class="meta">locked: encrypted, no key on this machine</div>` : t.content && html`<div class="text">${t.content.length > 4000 ? `${t.content.slice(0, 4000)}… (${count(t.content.length)} characters)` : t.content}</div>`}
          ${t.tool_calls.map((c) => html`<div class="tool">▸ ${toolLine(c)}</div>`)}
          ${t.visuals.length > 0 && html`<div class="visuals">${t.visuals.map((v) => html`<${Visual} visual=${v} />`)}</div>`}
        </div>`,
      )}
    </div>
    <div ref=${end} class="meta">${total !== null && turns.length >= total ? `all ${count(total)} turns` : 'loading…'}</div>`;
}

interface Hit {
  turn_id: string;
  session_id: string;
  session_native_id: string | null;
  machine_name: string | null;
  project_path: string | null;
  timestamp: string;
  role: string;
  field: string;
  snippet: string;
  matches: [number, number][];
}

function Snippet({ hit }: { hit: Hit }) {
  const parts: unknown[] = [];
  let at = 0;
  for (const [start, end] of hit.matches) {
    parts.push(hit.snippet.slice(at, start), html`<mark>${hit.snippet.slice(start, end)}</mark>`);
    at = end;
  }
  parts.push(hit.snippet.slice(at));
  return html`<span>${parts}</span>`;
}

function SearchPage() {
  const [result, setResult] = useState<{
    total: number;
    sessions: number;
    locked_sessions: number;
    hits: Hit[];
  } | null>(null);
  const [error, setError] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const q = String(new FormData(e.target as HTMLFormElement).get('q') ?? '');
    api<typeof result>('/api/search', { q, limit: 50 }).then(
      (r) => {
        setError('');
        setResult(r);
      },
      (err: Error) => setError(err.message),
    );
  };
  return html`<h2>Search</h2>
    <form onSubmit=${submit}><input name="q" size="50" placeholder='words, "a phrase", prefix*' data-testid="search-input" /><button>Search</button></form>
    ${error && html`<p class="error">${error}</p>`}
    ${
      result &&
      html`<p class="meta" data-testid="search-summary">${count(result.total)} matching turns in ${count(result.sessions)} sessions${result.locked_sessions > 0 ? ` · ${result.locked_sessions} sessions locked (not searchable)` : ''}</p>
      <div data-testid="hits">${result.hits.map(
        (hit) => html`<div class="hit" data-session=${hit.session_id} onClick=${() => {
          location.hash = `#/session/${encodeURIComponent(hit.session_id)}`;
        }}>
          <div class="meta">${when(hit.timestamp)} · ${hit.machine_name} · ${(hit.project_path ?? '').split('/').pop()} · ${hit.role}${hit.field === 'tool_calls' ? ' (tool call)' : ''}</div>
          <${Snippet} hit=${hit} /></div>`,
      )}</div>`
    }`;
}

interface MachineSync {
  id: string;
  name: string | null;
  platform: string | null;
  this_machine?: boolean;
  sessions?: number;
  turns?: number;
  last_sync_at: string | null;
  last_push_at: string | null;
  last_push_ok?: boolean | null;
  last_pull_at: string | null;
  last_pull_ok?: boolean | null;
  pending: number | null;
  dead_letters: number | null;
  server_won: number | null;
  kept_local: number | null;
}

interface SyncInfo {
  this_machine: string;
  machines: MachineSync[];
  last_push: { at: string; ok: boolean; error: string | null } | null;
  last_pull: { at: string; ok: boolean; error: string | null } | null;
  pending: Record<string, number>;
  dead_letters: number;
  search: { indexBytes: number; turns: number; lockedSessions: number };
}

/**
 * Sync per machine: this machine's own record of its last push and pull, its queue and its conflicts (shown at
 * once), then what the other machines reported to the project at their last sync (asked after, over the network).
 */
function SyncPage() {
  const [info, setInfo] = useState<SyncInfo | null>(null);
  const [remote, setRemote] = useState<{ machines: MachineSync[]; error: string | null } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<SyncInfo>('/api/sync').then(setInfo, (e: Error) => setError(e.message));
    api<{ machines: MachineSync[]; error: string | null }>('/api/sync/machines').then(setRemote, (e: Error) =>
      setRemote({ machines: [], error: e.message }),
    );
  }, []);
  if (error) return html`<p class="error">${error}</p>`;
  if (!info) return html`<p>loading…</p>`;
  const rows: MachineSync[] = info.machines.map((m) => {
    const reported = remote?.machines.find((r) => r.id === m.id);
    if (m.this_machine || !reported) return { ...m, last_sync_at: reported?.last_sync_at ?? m.last_sync_at };
    return { ...reported, sessions: m.sessions, turns: m.turns, name: m.name ?? reported.name };
  });
  for (const r of remote?.machines ?? []) {
    if (!rows.some((m) => m.id === r.id)) rows.push({ ...r, sessions: 0, turns: 0 });
  }
  const at = (iso: string | null, ok?: boolean | null) =>
    iso ? `${when(iso)}${ok === false ? ' (failed)' : ''}` : 'never';
  const known = (n: number | null | undefined) => (n === null || n === undefined ? '-' : count(n));
  const conflicts = (m: MachineSync) =>
    m.server_won === null && m.kept_local === null
      ? '-'
      : (m.server_won ?? 0) + (m.kept_local ?? 0) === 0
        ? 'none'
        : `${m.server_won ?? 0} won by the server's copy (push), ${m.kept_local ?? 0} won by the machine's own copy (pull)`;
  const pending = Object.entries(info.pending).filter(([, n]) => n > 0);
  return html`<h2>Sync</h2>
    <table data-testid="machines"><thead><tr><th>machine</th><th>platform</th><th class="n">sessions</th><th class="n">turns</th>
      <th>last push</th><th>last pull</th><th class="n">pending</th><th>conflicts (last sync)</th></tr></thead>
      <tbody>${rows.map(
        (m) => html`<tr data-machine=${m.id} data-this=${m.this_machine ? 'yes' : 'no'}>
          <td>${m.name ?? m.id}${m.this_machine ? ' (this one)' : ''}</td><td>${m.platform ?? '-'}</td>
          <td class="n">${known(m.sessions)}</td><td class="n">${known(m.turns)}</td>
          <td data-col="push">${at(m.last_push_at, m.last_push_ok)}</td><td data-col="pull">${at(m.last_pull_at, m.last_pull_ok)}</td>
          <td class="n" data-col="pending">${known(m.pending)}</td><td data-col="conflicts">${conflicts(m)}</td></tr>`,
      )}</tbody></table>
    <p class="meta" data-testid="remote-note">${
      remote === null
        ? 'asking the project for the other machines…'
        : remote.error
          ? `Other machines: not known (${remote.error}).`
          : 'Other machines: as each reported at its last sync.'
    }</p>
    <p>Pending here: ${pending.length === 0 ? 'nothing' : pending.map(([t, n]) => `${count(n)} ${t}`).join(', ')} · dead letters: ${info.dead_letters}
      ${info.last_push?.error ? html`<br /><span class="error">last push failed: ${info.last_push.error}</span>` : ''}
      ${info.last_pull?.error ? html`<br /><span class="error">last pull failed: ${info.last_pull.error}</span>` : ''}</p>
    <p>Search index: ${(info.search.indexBytes / 1e6).toFixed(1)} MB for ${count(info.search.turns)} turns${info.search.lockedSessions > 0 ? `, ${info.search.lockedSessions} sessions locked` : ''}.</p>`;
}

function App() {
  const route = useRoute();
  const page = route[0];
  const link = (to: string, label: string) =>
    html`<a href=${`#/${to}`} class=${page === to || (to === 'sessions' && page === 'session') ? 'on' : ''}>${label}</a>`;
  return html`<header><b>agentlogs</b>${link('costs', 'Costs')}${link('sessions', 'Sessions')}${link('search', 'Search')}${link('sync', 'Sync')}</header>
    <main>${
      page === 'sessions'
        ? html`<${SessionsPage} />`
        : page === 'session'
          ? html`<${SessionPage} id=${route[1] ?? ''} />`
          : page === 'search'
            ? html`<${SearchPage} />`
            : page === 'sync'
              ? html`<${SyncPage} />`
              : html`<${CostsPage} />`
    }</main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
