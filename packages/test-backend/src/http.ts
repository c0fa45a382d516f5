import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { signJwt } from './jwt.js';
import { createRestHandler } from './postgrest.js';
import { createStorageHandler } from './storage.js';

/** What a mounted route handler gets besides the request and response. */
export interface StandInContext {
  /** The request URL, parsed against the stand-in's base URL. */
  url: URL;
  /** Base URL of the stand-in, e.g. `http://127.0.0.1:54321` (what clients use as the project URL). */
  baseUrl: string;
  /** The HS256 secret every token of this stand-in is signed with (the project's legacy JWT secret). */
  jwtSecret: string;
  /** A pool connected as the database owner (superuser): for stand-in internals such as `auth.users`. */
  adminPool: pg.Pool;
  /** Reads the whole request body (cached: safe to call twice). */
  body(): Promise<Buffer>;
}

/** Handles every request whose path starts with the mount prefix. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, ctx: StandInContext) => Promise<void>;

export interface Route {
  /** Path prefix, e.g. `/auth/v1`. Longest prefix wins. */
  prefix: string;
  handler: RouteHandler;
}

export interface StandInOptions {
  /** Postgres URL of the database to serve, as a superuser (the stand-in logs in as `authenticator` itself). */
  databaseUrl: string;
  /** Password of the `authenticator` role (set by the test bootstrap). */
  authenticatorPassword?: string;
  /** HS256 secret; a random one when omitted. */
  jwtSecret?: string;
  /** Extra routes mounted next to `/rest/v1`, e.g. the Auth stand-in at `/auth/v1`. */
  routes?: Route[];
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Connections in the `authenticator` pool (PostgREST's `db-pool`). */
  poolSize?: number;
}

export interface StandIn {
  /** Project URL for supabase-js, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** The anon key (a JWT with `role: anon`), as a project's API settings show it. */
  anonKey: string;
  /** The service-role key (a JWT with `role: service_role`). Tests only; never ship it. */
  serviceRoleKey: string;
  jwtSecret: string;
  adminPool: pg.Pool;
  /** Mounts a handler under a path prefix at runtime. */
  mount(prefix: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

export const DEFAULT_AUTHENTICATOR_PASSWORD = 'authenticator-test-password';

/**
 * Starts the HTTP stand-in for a Supabase project on 127.0.0.1: the PostgREST RPC slice at `/rest/v1`
 * and the Storage slice at `/storage/v1` (`./storage.ts`), plus any mounted routes. Unknown paths get 404 in the gateway's shape.
 */
export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const jwtSecret = options.jwtSecret ?? randomSecret();
  const authenticatorUrl = new URL(options.databaseUrl);
  authenticatorUrl.username = 'authenticator';
  authenticatorUrl.password = options.authenticatorPassword ?? DEFAULT_AUTHENTICATOR_PASSWORD;
  const restPool = new pg.Pool({
    connectionString: authenticatorUrl.toString(),
    max: options.poolSize ?? 10,
    application_name: 'postgrest-stand-in',
  });
  const adminPool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  restPool.on('error', () => {});
  adminPool.on('error', () => {});

  const far = Math.floor(Date.now() / 1000) + 10 * 365 * 24 * 3600;
  const anonKey = signJwt({ iss: 'supabase', role: 'anon', exp: far }, jwtSecret);
  const serviceRoleKey = signJwt({ iss: 'supabase', role: 'service_role', exp: far }, jwtSecret);

  const routes: Route[] = [
    {
      prefix: '/rest/v1',
      handler: createRestHandler({ pool: restPool, jwtSecret, apiKeys: [anonKey, serviceRoleKey] }),
    },
    {
      prefix: '/storage/v1',
      handler: createStorageHandler({
        pool: restPool,
        adminPool,
        jwtSecret,
        apiKeys: [anonKey, serviceRoleKey],
      }),
    },
    ...(options.routes ?? []),
  ];
  let baseUrl = '';

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const route = routes
      .filter(
        (r) =>
          url.pathname === r.prefix ||
          url.pathname.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`),
      )
      .sort((a, b) => b.prefix.length - a.prefix.length)[0];
    if (!route) {
      sendJson(res, 404, { message: 'no Route matched with those values' });
      return;
    }
    let cached: Promise<Buffer> | undefined;
    const ctx: StandInContext = {
      url,
      baseUrl,
      jwtSecret,
      adminPool,
      body: () => {
        cached ??= readBody(req);
        return cached;
      },
    };
    route.handler(req, res, ctx).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, { message: error instanceof Error ? error.message : String(error) });
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    anonKey,
    serviceRoleKey,
    jwtSecret,
    adminPool,
    mount(prefix, handler) {
      routes.push({ prefix, handler });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([restPool.end(), adminPool.end()]);
    },
  };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}
