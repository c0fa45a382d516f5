import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { RouteHandler } from './http.js';
import { sendJson } from './http.js';
import { type JwtClaims, JwtError, verifyJwt } from './jwt.js';

/** The PostgREST settings this stand-in mirrors (Supabase's defaults). */
const EXPOSED_SCHEMAS = ['public'];
const EXTRA_SEARCH_PATH = ['public', 'extensions'];
const ANON_ROLE = 'anon';

interface RestHandlerOptions {
  /** Pool logged in as `authenticator`. */
  pool: pg.Pool;
  jwtSecret: string;
  /** Keys the gateway accepts in the `apikey` header. */
  apiKeys: string[];
}

interface RoutineArg {
  name: string;
  type: string;
  required: boolean;
}

interface Routine {
  schema: string;
  name: string;
  args: RoutineArg[];
  returnsSet: boolean;
  returnsVoid: boolean;
  volatile: boolean;
}

/** An error answered in PostgREST's JSON shape. */
class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

/**
 * The slice of PostgREST that supabase-js `rpc()` uses: `POST /rest/v1/rpc/<fn>` (and `GET` with query
 * arguments), one transaction per request as `authenticator`, with the role and claims of a verified JWT.
 */
export function createRestHandler(options: RestHandlerOptions): RouteHandler {
  const routineCache = new Map<string, Promise<Routine[]>>();

  const loadRoutines = (schema: string, name: string): Promise<Routine[]> => {
    const key = `${schema}.${name}`;
    let found = routineCache.get(key);
    if (!found) {
      found = queryRoutines(options.pool, schema, name);
      // A function not found is looked up again next time: Supabase's PostgREST reloads its schema cache
      // when a migration creates one (its DDL event trigger), so a schema applied later is served at once.
      found.then(
        (routines) => {
          if (routines.length === 0) routineCache.delete(key);
        },
        () => routineCache.delete(key),
      );
      routineCache.set(key, found);
    }
    return found;
  };

  return async (req, res, ctx) => {
    try {
      checkApiKey(req, options.apiKeys);
      const match = /^\/rest\/v1\/rpc\/([^/]+)$/.exec(ctx.url.pathname);
      if (!match) {
        throw new RestError(404, 'PGRST125', `Invalid path specified in request URL`);
      }
      if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'HEAD') {
        throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${req.method}`);
      }
      const schema = pickSchema(req);
      const claims = readClaims(req, options.jwtSecret);
      const role = typeof claims.role === 'string' && claims.role !== '' ? claims.role : ANON_ROLE;
      const fnName = decodeURIComponent(match[1] ?? '');
      const rawBody = req.method === 'POST' ? await ctx.body() : undefined;
      const args = rawBody ? parseBody(rawBody) : queryArgs(ctx.url);
      const routine = resolveRoutine(await loadRoutines(schema, fnName), schema, fnName, Object.keys(args));
      // GET runs read-only, as in PostgREST: a function that writes then fails with 25006 (405).
      const readOnly = req.method !== 'POST' || !routine.volatile;
      // Like PostgREST, hand the request body itself to json_to_record (every key is an argument by now):
      // the bytes as received, sent in binary format, which for json is the same text (no decode/encode).
      const argsJson = rawBody && rawBody.length > 0 ? rawBody : JSON.stringify(args);
      const result = await callRoutine(options.pool, routine, Object.keys(args), argsJson, {
        role,
        claims,
        readOnly,
        method: req.method ?? 'POST',
        path: ctx.url.pathname,
        headers: lowerCaseHeaders(req),
      });
      if (routine.returnsVoid) {
        res.writeHead(204);
        res.end();
        return;
      }
      const body = Buffer.from(result ?? 'null', 'utf8');
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      answerError(res, error, req);
    }
  };
}

function checkApiKey(req: IncomingMessage, apiKeys: string[]): void {
  const given = headerValue(req, 'apikey');
  if (given === undefined) {
    throw Object.assign(new RestError(401, '', 'No API key found in request'), {
      gatewayHint: 'No `apikey` request header or url param was found.',
    });
  }
  if (!apiKeys.includes(given)) throw new RestError(401, '', 'Invalid API key');
}

function pickSchema(req: IncomingMessage): string {
  const profile =
    req.method === 'POST' ? headerValue(req, 'content-profile') : headerValue(req, 'accept-profile');
  const schema = profile ?? EXPOSED_SCHEMAS[0]!;
  if (!EXPOSED_SCHEMAS.includes(schema)) {
    throw new RestError(
      406,
      'PGRST106',
      `The schema must be one of the following: ${EXPOSED_SCHEMAS.join(', ')}`,
    );
  }
  return schema;
}

function readClaims(req: IncomingMessage, secret: string): JwtClaims {
  const authorization = headerValue(req, 'authorization');
  if (authorization === undefined) return { role: ANON_ROLE };
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (!bearer) return { role: ANON_ROLE };
  try {
    return verifyJwt(bearer[1]!.trim(), secret);
  } catch (error) {
    if (error instanceof JwtError) throw new RestError(401, error.code, error.message);
    throw error;
  }
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RestError(400, 'PGRST102', 'Empty or invalid json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RestError(400, 'PGRST102', 'Empty or invalid json');
  }
  return parsed as Record<string, unknown>;
}

function queryArgs(url: URL): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) args[key] = value;
  return args;
}

async function queryRoutines(pool: pg.Pool, schema: string, name: string): Promise<Routine[]> {
  const { rows } = await pool.query<{
    arg_names: string[] | null;
    arg_modes: string[] | null;
    arg_types: string[];
    n_defaults: number;
    returns_set: boolean;
    returns_void: boolean;
    volatility: string;
  }>(
    `select p.proargnames as arg_names, p.proargmodes::text[] as arg_modes,
            array(select format_type(t, null) from unnest(p.proargtypes) as t) as arg_types,
            p.pronargdefaults as n_defaults, p.proretset as returns_set,
            p.prorettype = 'void'::regtype as returns_void, p.provolatile::text as volatility
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`,
    [schema, name],
  );
  return rows.map((row) => {
    const names = row.arg_names ?? [];
    const modes = row.arg_modes ?? names.map(() => 'i');
    const inputNames = names.filter((_, i) => ['i', 'b', 'v'].includes(modes[i] ?? 'i'));
    const required = row.arg_types.length - row.n_defaults;
    return {
      schema,
      name,
      args: row.arg_types.map((type, i) => ({ name: inputNames[i] ?? '', type, required: i < required })),
      returnsSet: row.returns_set,
      returnsVoid: row.returns_void,
      volatile: row.volatility === 'v',
    };
  });
}

function resolveRoutine(candidates: Routine[], schema: string, name: string, keys: string[]): Routine {
  const matching = candidates.filter(
    (routine) =>
      keys.every((key) => routine.args.some((arg) => arg.name === key)) &&
      routine.args.every((arg) => !arg.required || keys.includes(arg.name)),
  );
  if (matching.length === 1) return matching[0]!;
  const sortedKeys = [...keys].sort();
  const signature = `${schema}.${name}(${sortedKeys.join(', ')})`;
  if (matching.length > 1) {
    throw new RestError(
      300,
      'PGRST203',
      `Could not choose the best candidate function between: ${matching
        .map((r) => `${schema}.${name}(${r.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`)
        .join(', ')}`,
      null,
      'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    );
  }
  const details =
    `Searched for the function ${schema}.${name}` +
    (sortedKeys.length === 0
      ? ' without parameters'
      : ` with parameter${sortedKeys.length > 1 ? 's' : ''} ${sortedKeys.join(', ')}`) +
    ' or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.';
  const hint =
    candidates.length > 0
      ? `Perhaps you meant to call the function ${schema}.${name}(${candidates[0]!.args.map((a) => a.name).join(', ')})`
      : null;
  throw new RestError(
    404,
    'PGRST202',
    `Could not find the function ${sortedKeys.length === 0 ? `${schema}.${name} without parameters` : signature} in the schema cache`,
    details,
    hint,
  );
}

interface CallContext {
  role: string;
  claims: JwtClaims;
  readOnly: boolean;
  method: string;
  path: string;
  headers: Record<string, string>;
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

async function callRoutine(
  pool: pg.Pool,
  routine: Routine,
  argNames: string[],
  argsJson: string | Buffer,
  call: CallContext,
): Promise<string | null> {
  const given = routine.args.filter((arg) => argNames.includes(arg.name));
  const fn = `${quoteIdent(routine.schema)}.${quoteIdent(routine.name)}`;
  const callArgs = given
    .map((arg) => `${quoteIdent(arg.name)} := pgrst_args.${quoteIdent(arg.name)}`)
    .join(', ');
  const from =
    given.length > 0
      ? ` from json_to_record($1::json) as pgrst_args(${given.map((a) => `${quoteIdent(a.name)} ${a.type}`).join(', ')})`
      : '';
  let sql: string;
  if (routine.returnsVoid) {
    sql = `select ${fn}(${callArgs})${from}`;
  } else if (routine.returnsSet) {
    sql =
      given.length > 0
        ? `select coalesce(json_agg(pgrst_rows), '[]')::text as body from json_to_record($1::json) as pgrst_args(${given
            .map((a) => `${quoteIdent(a.name)} ${a.type}`)
            .join(', ')}), lateral ${fn}(${callArgs}) as pgrst_rows`
        : `select coalesce(json_agg(pgrst_rows), '[]')::text as body from ${fn}() as pgrst_rows`;
  } else {
    sql = `select to_json(${fn}(${callArgs}))::text as body${from}`;
  }
  const params = given.length > 0 ? [argsJson] : [];

  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(`begin isolation level read committed ${call.readOnly ? 'read only' : 'read write'}`);
    try {
      await client.query(
        `select set_config('search_path', $1, true), set_config('role', $2, true),
                set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true),
                set_config('request.path', $5, true), set_config('request.headers', $6, true),
                set_config('request.cookies', '{}', true)`,
        [
          EXTRA_SEARCH_PATH.map(quoteIdent).join(', '),
          call.role,
          JSON.stringify(call.claims),
          call.method,
          call.path,
          JSON.stringify(call.headers),
        ],
      );
      // PostgREST's `db-pre-request`: a function run before the call, in its transaction, which may refuse
      // the request from its headers before the arguments are read.
      const preRequest = await preRequestFunction(client);
      if (preRequest) await client.query(`select ${preRequest}()`);
      const result = await client.query<{ body: string | null }>(sql, params);
      await client.query('commit');
      return routine.returnsVoid ? null : (result.rows[0]?.body ?? null);
    } catch (error) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw error;
    }
  } catch (error) {
    if (isConnectionError(error)) broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code !== 'string' || code.startsWith('08') || code.startsWith('57P');
}

/**
 * The `pgrst.db_pre_request` setting of the `authenticator` role (PostgREST's in-database configuration), as a
 * quoted qualified name, or null.
 */
async function preRequestFunction(client: pg.PoolClient): Promise<string | null> {
  const { rows } = await client.query<{ value: string }>(
    `select substr(c, length('pgrst.db_pre_request=') + 1) as value
       from pg_catalog.pg_db_role_setting s, unnest(s.setconfig) as c
      where s.setrole = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'authenticator')
        and s.setdatabase in (0, (select d.oid from pg_catalog.pg_database d where d.datname = current_database()))
        and c like 'pgrst.db_pre_request=%'
      order by s.setdatabase desc
      limit 1`,
  );
  const value = rows[0]?.value?.trim();
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) return null;
  return parts.map(quoteIdent).join('.');
}

/** PostgREST's mapping of SQLSTATE to HTTP status. */
export function statusForSqlState(code: string, role: string): number {
  if (code === '42501') return role === ANON_ROLE ? 401 : 403;
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    P0001: 400,
    '42883': 404,
    '42P01': 404,
    '42P17': 500,
  };
  if (exact[code] !== undefined) return exact[code];
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const prefix = code.slice(0, 2);
  const byClass: Record<string, number> = {
    '08': 503,
    '09': 500,
    '0L': 403,
    '0P': 403,
    '25': 500,
    '28': 403,
    '2D': 500,
    '38': 500,
    '39': 500,
    '3B': 500,
    '40': 500,
    '53': 503,
    '54': 500,
    '55': 500,
    '57': 500,
    '58': 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[prefix] ?? 400;
}

function answerError(res: ServerResponse, error: unknown, req: IncomingMessage): void {
  if (error instanceof RestError) {
    if (error.code === '') {
      // The API gateway's own refusals (no PostgREST code).
      const gatewayHint = (error as RestError & { gatewayHint?: string }).gatewayHint;
      sendJson(
        res,
        error.status,
        gatewayHint ? { message: error.message, hint: gatewayHint } : { message: error.message },
      );
      return;
    }
    const headers: Record<string, string> = {};
    if (error.status === 401)
      headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${error.message}"`;
    sendJson(
      res,
      error.status,
      { code: error.code, details: error.details, hint: error.hint, message: error.message },
      headers,
    );
    return;
  }
  const pgError = error as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  if (typeof pgError.code === 'string' && /^[0-9A-Z]{5}$/.test(pgError.code)) {
    const role = roleOf(req);
    sendJson(res, statusForSqlState(pgError.code, role), {
      code: pgError.code,
      details: typeof pgError.detail === 'string' ? pgError.detail : null,
      hint: typeof pgError.hint === 'string' ? pgError.hint : null,
      message: String(pgError.message),
    });
    return;
  }
  // Lost database connection: PostgREST answers 503 with PGRST000/001.
  sendJson(res, 503, {
    code: 'PGRST001',
    details: error instanceof Error ? error.message : String(error),
    hint: null,
    message: 'Database client error. Retrying the connection.',
  });
}

function roleOf(req: IncomingMessage): string {
  const authorization = headerValue(req, 'authorization');
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  if (!bearer) return ANON_ROLE;
  try {
    const body = bearer[1]!.split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as JwtClaims;
    return typeof claims.role === 'string' ? claims.role : ANON_ROLE;
  } catch {
    return ANON_ROLE;
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
