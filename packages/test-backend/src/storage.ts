import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { RouteHandler } from './http.js';
import { type JwtClaims, JwtError, verifyJwt } from './jwt.js';

const ANON_ROLE = 'anon';

interface StorageHandlerOptions {
  /** Pool logged in as `authenticator`: every object query runs as the caller's role. */
  pool: pg.Pool;
  /** Pool of the database owner: bucket lookups, as Storage does them as its own superuser. */
  adminPool: pg.Pool;
  jwtSecret: string;
  /** Keys the gateway accepts in the `apikey` header. */
  apiKeys: string[];
}

/** A refusal in Storage's JSON shape: HTTP 400 (500 for internal errors) with the real status in the body. */
class StorageApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const errors = {
  noSuchBucket: () => new StorageApiError(404, 'NoSuchBucket', 'Bucket not found'),
  noSuchKey: () => new StorageApiError(404, 'NoSuchKey', 'Object not found'),
  duplicate: () => new StorageApiError(409, 'Duplicate', 'The resource already exists'),
  accessDenied: () => new StorageApiError(403, 'AccessDenied', 'new row violates row-level security policy'),
  invalidJwt: (message: string) => new StorageApiError(400, 'InvalidJWT', message),
  tooLarge: () => new StorageApiError(413, 'EntityTooLarge', 'The object exceeded the maximum allowed size'),
  mimeType: (type: string) =>
    new StorageApiError(415, 'InvalidMimeType', `mime type ${type} is not supported`),
  invalidKey: (key: string) => new StorageApiError(400, 'InvalidKey', `Invalid key: ${key}`),
};

interface Caller {
  role: string;
  claims: JwtClaims;
}

/**
 * The slice of Supabase Storage that storage-js (`supabase.storage.from(bucket)`) uses for private buckets:
 * `POST /storage/v1/object/<bucket>/<path>` (upload; `x-upsert: true` replaces), `PUT` (update),
 * `GET /storage/v1/object/[authenticated/]<bucket>/<path>` (download), `DELETE /storage/v1/object/<bucket>`
 * with `{prefixes}` (remove) and `POST /storage/v1/object/list/<bucket>` with `{prefix, limit, offset,
 * sortBy, search}` (list). As Storage does, each request is one transaction on `authenticator` with the
 * caller's role and JWT claims set, so the policies on `storage.objects` decide (an upload the policies refuse
 * fails with 403 AccessDenied, an object the caller may not read is 404 NoSuchKey, a remove deletes only what
 * the caller may delete). Object rows and their metadata are real rows of `storage.objects`; the bytes are kept
 * in memory by this stand-in (Storage keeps them in S3).
 */
export function createStorageHandler(options: StorageHandlerOptions): RouteHandler {
  const blobs = new Map<string, { bytes: Buffer; contentType: string }>();

  return async (req, res, ctx) => {
    try {
      checkApiKey(req, options.apiKeys);
      const caller = readCaller(req, options.jwtSecret);
      const path = ctx.url.pathname.slice('/storage/v1'.length);
      const method = req.method ?? 'GET';
      const listMatch = method === 'POST' ? /^\/object\/list\/([^/]+)$/.exec(path) : null;
      if (listMatch) {
        const body = parseJson(await ctx.body());
        await list(res, options, caller, decodeURIComponent(listMatch[1]!), body);
        return;
      }
      const removeMatch = method === 'DELETE' ? /^\/object\/([^/]+)$/.exec(path) : null;
      if (removeMatch) {
        const body = parseJson(await ctx.body());
        const prefixes = Array.isArray(body.prefixes)
          ? body.prefixes.filter((p) => typeof p === 'string')
          : [];
        const bucket = decodeURIComponent(removeMatch[1]!);
        const removed = await asCaller(options.pool, caller, (client) =>
          client.query(
            `delete from storage.objects where bucket_id = $1 and name = any($2::text[])
             returning bucket_id, name, id, owner, owner_id, metadata, created_at, updated_at, last_accessed_at`,
            [bucket, prefixes],
          ),
        );
        for (const row of removed.rows) blobs.delete(`${bucket}/${row.name}`);
        sendJson(res, 200, removed.rows);
        return;
      }
      const match = /^\/object\/(?:authenticated\/)?([^/]+)\/(.+)$/.exec(path);
      if (!match) {
        sendJson(res, 404, {
          statusCode: '404',
          error: 'Not Found',
          message: `Route ${method}:${path} not found`,
        });
        return;
      }
      const bucket = decodeURIComponent(match[1]!);
      const name = decodeURIComponent(match[2]!);
      if (name.includes('..') || name.startsWith('/')) throw errors.invalidKey(name);
      if (method === 'GET' || method === 'HEAD') {
        const found = await asCaller(options.pool, caller, (client) =>
          client.query('select metadata from storage.objects where bucket_id = $1 and name = $2', [
            bucket,
            name,
          ]),
        );
        const blob = blobs.get(`${bucket}/${name}`);
        if (found.rowCount === 0 || !blob) throw errors.noSuchKey();
        const metadata = found.rows[0].metadata as { eTag?: string; cacheControl?: string } | null;
        res.writeHead(200, {
          'content-type': blob.contentType,
          'content-length': blob.bytes.length,
          etag: metadata?.eTag ?? '',
          'cache-control': metadata?.cacheControl ?? 'no-cache',
        });
        res.end(method === 'HEAD' ? undefined : blob.bytes);
        return;
      }
      if (method === 'POST' || method === 'PUT') {
        const bytes = await ctx.body();
        const contentType = headerValue(req, 'content-type') ?? 'application/octet-stream';
        const upsert = method === 'POST' && headerValue(req, 'x-upsert') === 'true';
        const bucketRow = await options.adminPool.query(
          'select file_size_limit, allowed_mime_types from storage.buckets where id = $1',
          [bucket],
        );
        if (bucketRow.rowCount === 0) throw errors.noSuchBucket();
        const limit = bucketRow.rows[0].file_size_limit as string | null;
        const allowed = bucketRow.rows[0].allowed_mime_types as string[] | null;
        if (limit !== null && bytes.length > Number(limit)) throw errors.tooLarge();
        if (allowed && allowed.length > 0 && !allowed.includes(contentType.split(';')[0]!.trim()))
          throw errors.mimeType(contentType);
        const eTag = `"${createHash('md5').update(bytes).digest('hex')}"`;
        const metadata = {
          eTag,
          size: bytes.length,
          mimetype: contentType,
          cacheControl: headerValue(req, 'cache-control') ?? 'no-cache',
          lastModified: new Date().toUTCString(),
          contentLength: bytes.length,
          httpStatusCode: 200,
        };
        const owner = typeof caller.claims.sub === 'string' ? caller.claims.sub : null;
        const version = randomUUID();
        const sql =
          method === 'PUT'
            ? `update storage.objects set metadata = $3, version = $5, updated_at = now(), owner = $4::uuid, owner_id = $4
                where bucket_id = $1 and name = $2 returning id`
            : `insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
               values ($1, $2, $4::uuid, $4, $3, $5)
               ${upsert ? 'on conflict (bucket_id, name) do update set metadata = excluded.metadata, version = excluded.version, updated_at = now(), owner = excluded.owner, owner_id = excluded.owner_id' : ''}
               returning id`;
        const written = await asCaller(options.pool, caller, async (client) => {
          const result = await client.query(sql, [bucket, name, JSON.stringify(metadata), owner, version]);
          // Storage writes the bytes inside the same transaction: the object exists only once both succeed.
          if (result.rowCount === 1) blobs.set(`${bucket}/${name}`, { bytes, contentType });
          return result;
        });
        if (written.rowCount === 0) throw errors.noSuchKey();
        sendJson(res, 200, { Id: written.rows[0].id, Key: `${bucket}/${name}` });
        return;
      }
      sendJson(res, 404, {
        statusCode: '404',
        error: 'Not Found',
        message: `Route ${method}:${path} not found`,
      });
    } catch (error) {
      answerError(res, error);
    }
  };
}

async function list(
  res: ServerResponse,
  options: StorageHandlerOptions,
  caller: Caller,
  bucket: string,
  body: Record<string, unknown>,
): Promise<void> {
  const rawPrefix = typeof body.prefix === 'string' ? body.prefix : '';
  const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
  const limit = typeof body.limit === 'number' ? Math.max(0, Math.floor(body.limit)) : 100;
  const offset = typeof body.offset === 'number' ? Math.max(0, Math.floor(body.offset)) : 0;
  const search = typeof body.search === 'string' ? body.search : '';
  const sortBy = (body.sortBy ?? {}) as { column?: unknown; order?: unknown };
  const column = ['name', 'created_at', 'updated_at', 'last_accessed_at'].includes(String(sortBy.column))
    ? String(sortBy.column)
    : 'name';
  const order = String(sortBy.order).toLowerCase() === 'desc' ? 'desc' : 'asc';
  const found = await asCaller(options.pool, caller, (client) =>
    client.query(
      `with level as (
         select split_part(substr(o.name, length($2) + 1), '/', 1) as part,
                position('/' in substr(o.name, length($2) + 1)) > 0 as folder, o.*
           from storage.objects o
          where o.bucket_id = $1 and o.name like $2 || '%' and (o.name like $2 || $3 || '%'))
       select part as name, null::uuid as id, null::timestamptz as updated_at, null::timestamptz as created_at,
              null::timestamptz as last_accessed_at, null::jsonb as metadata
         from level where folder group by part
       union all
       select part, id, updated_at, created_at, last_accessed_at, metadata from level where not folder
       order by ${column === 'name' ? 'name' : column} ${order} nulls first, name
       limit $4 offset $5`,
      [bucket, likeEscape(prefix), likeEscape(search), limit, offset],
    ),
  );
  sendJson(res, 200, found.rows);
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One transaction as the caller's role with the caller's claims, as Storage runs every object query. */
async function asCaller<T>(
  pool: pg.Pool,
  caller: Caller,
  run: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    try {
      await client.query(
        `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('search_path', 'storage, public, extensions', true)`,
        [caller.role, JSON.stringify(caller.claims)],
      );
      const result = await run(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

function checkApiKey(req: IncomingMessage, apiKeys: string[]): void {
  const given = headerValue(req, 'apikey');
  if (given === undefined) {
    throw Object.assign(new StorageApiError(401, '', 'No API key found in request'), {
      gatewayHint: 'No `apikey` request header or url param was found.',
    });
  }
  if (!apiKeys.includes(given)) throw new StorageApiError(401, '', 'Invalid API key');
}

function readCaller(req: IncomingMessage, secret: string): Caller {
  const authorization = headerValue(req, 'authorization');
  const bearer = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  if (!bearer) return { role: ANON_ROLE, claims: { role: ANON_ROLE } };
  try {
    const claims = verifyJwt(bearer[1]!.trim(), secret);
    const role = typeof claims.role === 'string' && claims.role !== '' ? claims.role : ANON_ROLE;
    return { role, claims };
  } catch (error) {
    if (error instanceof JwtError) throw errors.invalidJwt(error.message);
    throw error;
  }
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    throw new StorageApiError(400, 'InvalidRequest', 'Body is not valid JSON');
  }
}

function answerError(res: ServerResponse, error: unknown): void {
  if (error instanceof StorageApiError) {
    if (error.code === '') {
      const gatewayHint = (error as StorageApiError & { gatewayHint?: string }).gatewayHint;
      sendJson(
        res,
        error.statusCode,
        gatewayHint ? { message: error.message, hint: gatewayHint } : { message: error.message },
      );
      return;
    }
    sendJson(res, error.statusCode === 500 ? 500 : 400, {
      statusCode: String(error.statusCode),
      code: error.code,
      error: error.code,
      message: error.message,
    });
    return;
  }
  const code = (error as { code?: unknown }).code;
  const known =
    code === '42501'
      ? errors.accessDenied()
      : code === '23505'
        ? errors.duplicate()
        : code === '23503'
          ? errors.noSuchBucket()
          : null;
  if (known) {
    answerError(res, known);
    return;
  }
  sendJson(res, 500, {
    statusCode: '500',
    code: 'InternalError',
    error: 'InternalError',
    message: error instanceof Error ? error.message : 'Internal server error',
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
