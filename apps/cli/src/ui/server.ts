/**
 * `agentlogs ui`: a read-only dashboard served on 127.0.0.1 only. Every request must carry the random token of
 * this run (the printed URL's `?token=`, then a same-site cookie, or an `X-Agentlogs-Token` header); without it
 * the answer is 401, with a wrong one 403. The page and its script are files of the package (bundled, no CDN).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPriceTable, type PriceTable } from '@agentlogs/ingest';
import type { LocalDatabase, SqliteSyncStore, VisualFiles } from '@agentlogs/local-store';
import * as data from './data.js';
import type { ProjectLink } from './remote.js';

const COOKIE = 'agentlogs_ui';

/** The folder holding `index.html` and `app.js` of the dashboard (`dist/ui/` of the package). */
export function assetsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    path.join(here, 'ui'),
    path.join(here, '..', 'ui'),
    path.join(here, '..', '..', 'dist', 'ui'),
  ]) {
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  throw new Error('the dashboard files are missing from this installation (dist/ui): reinstall agentlogs');
}

export interface DashboardOptions {
  database: LocalDatabase;
  store: SqliteSyncStore;
  machineId: string;
  port: number;
  token?: string;
  /** The image files of the data folder (visuals). */
  visualFiles: VisualFiles;
  /** The project, asked only for the other machines' syncs and for images not fetched yet. */
  link?: ProjectLink;
  /** The prices `stats` uses (default: the table shipped with agentlogs). */
  prices?: PriceTable;
}

export interface Dashboard {
  url: string;
  port: number;
  token: string;
  server: http.Server;
  close(): Promise<void>;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenOf(request: http.IncomingMessage, url: URL): string | null {
  const header = request.headers['x-agentlogs-token'];
  if (typeof header === 'string' && header) return header;
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) return rest.join('=');
  }
  return null;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const dir = assetsDir();
  const files: Record<string, { type: string; body: Buffer }> = {
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(path.join(dir, 'index.html')) },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(dir, 'app.js')) },
  };
  let port = options.port;
  const prices = options.prices ?? loadPriceTable();
  const send = (
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: http.OutgoingHttpHeaders = {},
  ) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type':
        typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    });
    response.end(text);
  };
  const server = http.createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      // Another site's page cannot reach this server under another host name (DNS rebinding).
      const host = request.headers.host ?? '';
      if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
        return send(response, 403, 'wrong host');
      if (request.method !== 'GET') return send(response, 405, 'read-only', { allow: 'GET' });
      const given = tokenOf(request, url);
      if (given === null)
        return send(response, 401, 'the token is missing: open the URL agentlogs ui printed');
      if (!sameToken(given, token))
        return send(response, 403, 'wrong token: open the URL agentlogs ui printed');
      const security = {
        'content-security-policy':
          "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      };
      const file = files[url.pathname];
      if (file) {
        response.writeHead(200, {
          'content-type': file.type,
          'cache-control': 'no-store',
          'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          ...security,
        });
        response.end(file.body);
        return;
      }
      try {
        const result = await route(options, prices, url);
        if (result === undefined) return send(response, 404, 'not found');
        if (result instanceof data.Binary) {
          // Named by content: the same id is always the same bytes.
          response.writeHead(200, {
            'content-type': result.type,
            'content-length': result.body.length,
            'cache-control': 'private, max-age=86400, immutable',
            ...security,
          });
          response.end(result.body);
          return;
        }
        send(response, 200, result, security);
      } catch (error) {
        if (error instanceof data.BadRequest) return send(response, error.status, { error: error.message });
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        send(response, message?.includes('takes') ? 400 : 500, { error: message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;
  // After the URL is printed (and the browser is opening), not before.
  setImmediate(() => data.warmUp(options.database, prices));
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function route(options: DashboardOptions, prices: PriceTable, url: URL): Promise<unknown> {
  const { database } = options;
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'api') return undefined;
  const q = url.searchParams;
  switch (parts[1]) {
    case 'costs':
      return data.costs(database, prices, q);
    case 'sessions':
      if (parts.length === 2) return data.sessions(database, prices, q);
      if (parts.length === 3) return data.session(database, prices, parts[2]!);
      if (parts.length === 4 && parts[3] === 'turns') return data.turns(database, prices, parts[2]!, q);
      return undefined;
    case 'search':
      return data.search(database, q);
    case 'sync':
      if (parts.length === 2) return data.syncStatus(database, options.store, options.machineId);
      if (parts.length === 3 && parts[2] === 'machines') return data.syncMachines(options.link);
      return undefined;
    case 'visuals':
      if (parts.length === 3) return data.visual(database, options.visualFiles, options.link, parts[2]!);
      return undefined;
    default:
      return undefined;
  }
}
