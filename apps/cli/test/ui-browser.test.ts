/**
 * `agentlogs ui` driven in Debian's chromium (headless, through puppeteer-core with the system executable; no
 * browser is downloaded). `.ci/run` installs the `chromium` package; without it this file says so and skips.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claudeTree,
  eventually,
  fixtures,
  ingestFixtures,
  Machine,
  removeTemps,
  type Spawned,
} from './e2e-harness.js';

const chromium = process.env.AGENTLOGS_CHROMIUM ?? '/usr/bin/chromium';
const unavailable = existsSync(chromium)
  ? null
  : `no chromium at ${chromium}; install with: apt-get install chromium`;
if (unavailable) process.stderr.write(`skipping the dashboard's browser tests: ${unavailable}\n`);

const m = new Machine('desk', '', '');
const env = { AGENTLOGS_SUPABASE_URL: '', AGENTLOGS_SUPABASE_ANON_KEY: '' };
let ui: Spawned;
let url: string;
let base: string;
let browser: Browser;
const problems: string[] = [];

interface Session {
  id: string;
  title: string | null;
  turns: number;
}

describe.skipIf(unavailable !== null)('agentlogs ui in chromium', { timeout: 120_000 }, () => {
  let sessions: Session[];

  beforeAll(async () => {
    const tree = claudeTree({
      spotter: [
        path.join(fixtures, 'marot-spotter/4d5611e5-241a-462a-8d15-5122611a9569.jsonl'),
        path.join(fixtures, 'marot-spotter/tool_heavy.jsonl'),
      ],
      parser: [path.join(ingestFixtures, 'git-commit-session.jsonl')],
      webapp: [path.join(ingestFixtures, 'screenshot-session.jsonl')],
    });
    const agents = '4d5611e5-241a-462a-8d15-5122611a9569';
    cpSync(path.join(fixtures, 'marot-spotter', agents), path.join(tree, 'spotter', agents), {
      recursive: true,
    });
    await m.ok(['import', '--claude-dir', tree], env);
    sessions = (await m.json<{ sessions: Session[] }>(['sessions', 'list'], env)).sessions;
    ui = m.spawn(['ui', '--no-open'], env);
    url = await eventually(
      async () => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(ui.stdout())?.[0],
      30_000,
      'the URL agentlogs ui prints',
    );
    base = url.slice(0, url.indexOf('/?'));
    const puppeteer = await import('puppeteer-core');
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    ui?.child.kill('SIGTERM');
    if (ui) await ui.done;
    removeTemps();
  });

  async function open(hash = ''): Promise<Page> {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page: ${String(error)}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    await page.goto(`${url}${hash}`, { waitUntil: 'load' });
    return page;
  }

  it('loads with no console errors and draws the cost chart with data', async () => {
    const started = performance.now();
    const page = await open();
    await page.waitForSelector('canvas[data-points]', { timeout: 20_000 });
    const points = await page.$eval('canvas[data-testid="cost-chart"]', (c) =>
      Number((c as HTMLElement).dataset.points),
    );
    expect(points).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(20_000);
    await page.select('select[data-testid="cost-by"]', 'model');
    await page.waitForFunction(() => document.body.textContent?.includes('total $'));
    await page.close();
    expect(problems).toEqual([]);
  });

  it('lists the sessions, and a click on one shows its turns a page at a time', async () => {
    const page = await open('#/sessions');
    await page.waitForSelector('tr[data-session]');
    const rows = await page.$$eval('tr[data-session]', (trs) =>
      trs.map((tr) => (tr as HTMLElement).dataset.session),
    );
    expect(rows).toEqual(sessions.map((s) => s.id));
    const target = sessions.reduce((a, b) => (b.turns > a.turns ? b : a));
    await page.click(`tr[data-session="${target.id}"]`);
    await page.waitForSelector('[data-turn]');
    const loaded = await page.$eval('[data-testid="turns"]', (d) => ({
      loaded: Number((d as HTMLElement).dataset.loaded),
      total: Number((d as HTMLElement).dataset.total),
    }));
    expect(loaded.total).toBe(target.turns);
    expect(loaded.loaded).toBeGreaterThan(0);
    expect(loaded.loaded).toBeLessThanOrEqual(Math.min(target.turns, 200));
    await page.close();
    expect(problems).toEqual([]);
  });

  it('finds a session by the words of its first prompt', async () => {
    const target = sessions.find((s) => s.title && s.title.split(/\s+/).length >= 3)!;
    const phrase = target.title!.replace(/"/g, ' ').split(/\s+/).filter(Boolean).slice(0, 3).join(' ');
    const page = await open('#/search');
    await page.type('input[data-testid="search-input"]', `"${phrase}"`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="search-summary"]');
    const found = await page.$$eval('.hit[data-session]', (hits) =>
      hits.map((h) => (h as HTMLElement).dataset.session),
    );
    expect(found).toContain(target.id);
    expect(await page.$$eval('.hit mark', (marks) => marks.length)).toBeGreaterThan(0);
    await page.close();
    expect(problems).toEqual([]);
  });

  it("shows a session's screenshots inline, loaded lazily from the token-guarded endpoint", async () => {
    const visuals = await m.json<{ id: string; session_id: string; sha256: string; bytes: number }[]>(
      ['visuals', 'list'],
      env,
    );
    expect(visuals.length).toBe(3);
    const sessionId = visuals[0]!.session_id;
    const page = await open();
    const asked: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/visuals/')) asked.push(request.url());
    });
    // Small window: the later screenshots are below the fold until the page scrolls.
    await page.setViewport({ width: 900, height: 400 });
    await page.evaluate((id) => {
      location.hash = `#/session/${encodeURIComponent(id)}`;
    }, sessionId);
    await page.waitForSelector('img[data-visual]');
    const images = await page.$$eval('img[data-visual]', (imgs) =>
      imgs.map((img) => ({ id: (img as HTMLElement).dataset.visual, lazy: img.getAttribute('loading') })),
    );
    expect(images.map((i) => i.id).sort()).toEqual(visuals.map((v) => v.id).sort());
    expect(images.every((i) => i.lazy === 'lazy')).toBe(true);
    const lastId = images.at(-1)!.id!;
    // The last one loads once it is scrolled to, and it is the image that was imported.
    await page.$eval(`img[data-visual="${lastId}"]`, (img) => img.scrollIntoView());
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('img[data-visual]')).every(
          (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
        ),
      { timeout: 20_000 },
    );
    expect(asked.some((u) => u.includes(lastId))).toBe(true);
    const token = new URL(url).searchParams.get('token')!;
    const served = await fetch(`${base}/api/visuals/${lastId}`, { headers: { 'x-agentlogs-token': token } });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    const body = Buffer.from(await served.arrayBuffer());
    const listed = visuals.find((v) => v.id === lastId)!;
    expect(createHash('sha256').update(body).digest('hex')).toBe(listed.sha256);
    expect(await page.$$('[data-visual-missing]')).toHaveLength(0);
    await page.close();
    expect(problems).toEqual([]);
  });

  it('shows sync per machine: last push and pull, pending, conflicts', async () => {
    const page = await open('#/sync');
    await page.waitForSelector('tr[data-this="yes"]');
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="remote-note"]')?.textContent?.includes('asking'),
    );
    const row = await page.$eval('tr[data-this="yes"]', (tr) =>
      Object.fromEntries(
        Array.from(tr.querySelectorAll('td[data-col]')).map((td) => [
          (td as HTMLElement).dataset.col,
          td.textContent?.trim(),
        ]),
      ),
    );
    // Never synced (sync is not set up here), everything imported is waiting.
    expect(row.push).toBe('never');
    expect(row.pull).toBe('never');
    expect(Number(row.pending?.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(row.conflicts).toBe('-');
    expect(await page.$eval('[data-testid="remote-note"]', (p) => p.textContent)).toContain(
      'Other machines: not known',
    );
    await page.close();
    expect(problems).toEqual([]);
  });

  it('refuses every request without the token (401) or with a wrong one (403), the page included', async () => {
    const visual = (await m.json<{ id: string }[]>(['visuals', 'list'], env))[0]!.id;
    for (const route of [
      '/',
      '/app.js',
      '/api/sessions',
      '/api/costs',
      '/api/search?q=x',
      '/api/sync',
      '/api/sync/machines',
      `/api/visuals/${visual}`,
    ]) {
      expect((await fetch(`${base}${route}`)).status).toBe(401);
      const wrong = route.includes('?') ? `${route}&token=nope` : `${route}?token=nope`;
      expect((await fetch(`${base}${wrong}`)).status).toBe(403);
    }
    const token = new URL(url).searchParams.get('token')!;
    const ok = await fetch(`${base}/api/sessions`, { headers: { 'x-agentlogs-token': token } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { total: number }).total).toBe(sessions.length);
    // The cost chart's figures are those of `stats`.
    const costs = (await (
      await fetch(`${base}/api/costs?by=model`, { headers: { 'x-agentlogs-token': token } })
    ).json()) as { total_usd: number; series: { costs: number[] }[] };
    const stats = await m.json<{ totals: { cost_usd: number } }>(['stats'], env);
    expect(costs.total_usd).toBeCloseTo(stats.totals.cost_usd, 6);
    expect(costs.series.reduce((sum, s) => sum + s.costs.reduce((a, b) => a + b, 0), 0)).toBeCloseTo(
      costs.total_usd,
      6,
    );
    // Read-only: nothing but GET.
    expect(
      (await fetch(`${base}/api/sessions`, { method: 'POST', headers: { 'x-agentlogs-token': token } }))
        .status,
    ).toBe(405);
    // Served on the loopback address only.
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
