import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackend, type TestBackend } from '../src/backend.js';
import { signJwt } from '../src/jwt.js';
import type { TestUser } from '../src/users.js';

// Pins the stand-in's RPC behaviour to PostgREST's, as recorded in the Supabase contract doc.
let backend: TestBackend;
let user: TestUser;

beforeAll(async () => {
  backend = await startTestBackend();
  user = await backend.createUser({ githubLogin: 'octocat' });
  await backend.standIn.adminPool.query(`
    create function public.echo_request() returns jsonb language sql stable as $$
      select jsonb_build_object(
        'claims', current_setting('request.jwt.claims', true)::jsonb,
        'method', current_setting('request.method', true),
        'path', current_setting('request.path', true),
        'custom_header', current_setting('request.headers', true)::jsonb ->> 'x-custom-header',
        'search_path', current_setting('search_path'),
        'role', current_user,
        'read_only', current_setting('transaction_read_only'),
        'isolation', current_setting('transaction_isolation'),
        'uid', auth.uid())
    $$;
    create function public.add_numbers(a integer, b integer default 10) returns integer
      language sql immutable as $$ select a + b $$;
    create function public.count_to(n integer) returns setof integer
      language sql stable as $$ select generate_series(1, n) $$;
    create function public.labelled(n integer) returns table (i integer, label text)
      language sql stable as $$ select g, 'row ' || g from generate_series(1, n) g $$;
    create table public.stand_in_notes (k integer primary key);
    create function public.write_in_volatile() returns jsonb language sql volatile as $$
      select jsonb_build_object('read_only', current_setting('transaction_read_only'))
    $$;
    create function public.add_note(k integer) returns void language sql volatile as $$
      insert into public.stand_in_notes values (k)
    $$;
    create function public.note_writer() returns integer language sql volatile as $$
      insert into public.stand_in_notes values (-1) returning 1 $$;
    create function public.write_in_stable() returns integer language sql stable as $$
      select public.note_writer() $$;
    create function public.raise_custom() returns void language plpgsql as $$
      begin raise exception 'custom failure' using hint = 'do something else'; end $$;
    create function public.members_only() returns text language sql stable as $$ select 'welcome' $$;
    revoke execute on function public.members_only() from public, anon;
    create function public.nobody() returns text language sql stable as $$ select 'secret' $$;
    revoke execute on function public.nobody() from public, anon, authenticated;
  `);
});

afterAll(async () => {
  await backend?.close();
});

async function rpc(
  fn: string,
  body: unknown,
  options: {
    token?: string | null;
    apikey?: string | null;
    headers?: Record<string, string>;
    method?: string;
  } = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const apikey = options.apikey === undefined ? backend.anonKey : options.apikey;
  if (apikey !== null) headers.apikey = apikey;
  const token = options.token === undefined ? user.accessToken : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${backend.url}/rest/v1/rpc/${fn}`, {
    method: options.method ?? 'POST',
    headers,
    body: options.method === 'GET' ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text === '' ? undefined : JSON.parse(text) };
}

describe('PostgREST RPC stand-in', () => {
  it('runs a call in one read-committed transaction as the JWT role with the claims and request settings', async () => {
    const result = await rpc('echo_request', {}, { headers: { 'X-Custom-Header': 'hello' } });
    expect(result.status).toBe(200);
    const body = result.body as Record<string, unknown>;
    expect(body.role).toBe('authenticated');
    expect(body.uid).toBe(user.id);
    expect((body.claims as Record<string, unknown>).sub).toBe(user.id);
    expect(body.method).toBe('POST');
    expect(body.path).toBe('/rest/v1/rpc/echo_request');
    expect(body.custom_header).toBe('hello');
    expect(body.search_path).toBe('"public", "extensions"');
    expect(body.isolation).toBe('read committed');
    expect(body.read_only).toBe('on');
  });

  it('uses anon without a token, and the role of the anon key', async () => {
    const noToken = await rpc('echo_request', {}, { token: null });
    expect((noToken.body as Record<string, unknown>).role).toBe('anon');
    const anonKey = await rpc('echo_request', {}, { token: backend.anonKey });
    expect((anonKey.body as Record<string, unknown>).role).toBe('anon');
    expect((anonKey.body as Record<string, unknown>).uid).toBeNull();
  });

  it('runs VOLATILE functions read-write and STABLE ones read-only (a write there is 25006 → 405)', async () => {
    const volatile = await rpc('write_in_volatile', {});
    expect((volatile.body as Record<string, unknown>).read_only).toBe('off');
    const stable = await rpc('write_in_stable', {});
    expect(stable.status).toBe(405);
    expect((stable.body as Record<string, unknown>).code).toBe('25006');
  });

  it('binds named arguments, allows defaulted ones to be left out, and returns a scalar as the bare value', async () => {
    expect((await rpc('add_numbers', { a: 1, b: 2 })).body).toBe(3);
    expect((await rpc('add_numbers', { a: 5 })).body).toBe(15);
  });

  it('returns set-returning functions as JSON arrays (of values or of objects)', async () => {
    expect((await rpc('count_to', { n: 3 })).body).toEqual([1, 2, 3]);
    expect((await rpc('count_to', { n: 0 })).body).toEqual([]);
    expect((await rpc('labelled', { n: 2 })).body).toEqual([
      { i: 1, label: 'row 1' },
      { i: 2, label: 'row 2' },
    ]);
  });

  it('answers 204 with no body for a void function, and commits it', async () => {
    const result = await rpc('add_note', { k: 1 });
    expect(result.status).toBe(204);
    expect(result.text).toBe('');
    const { rows } = await backend.standIn.adminPool.query('select k from public.stand_in_notes where k = 1');
    expect(rows).toHaveLength(1);
  });

  it('maps a unique violation to 409 with PostgREST error JSON, and rolls the transaction back', async () => {
    const result = await rpc('add_note', { k: 1 });
    expect(result.status).toBe(409);
    expect(result.body).toMatchObject({ code: '23505', hint: null });
    expect(Object.keys(result.body as object).sort()).toEqual(['code', 'details', 'hint', 'message']);
  });

  it('maps RAISE (P0001) to 400 with message and hint', async () => {
    const result = await rpc('raise_custom', {});
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      code: 'P0001',
      details: null,
      hint: 'do something else',
      message: 'custom failure',
    });
  });

  it('answers 404 PGRST202 for an unknown function or unknown argument names', async () => {
    const unknown = await rpc('no_such_function', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'PGRST202' });
    expect((unknown.body as { message: string }).message).toContain('public.no_such_function');
    const wrongArgs = await rpc('add_numbers', { x: 1 });
    expect(wrongArgs.status).toBe(404);
    expect(wrongArgs.body).toMatchObject({ code: 'PGRST202' });
    expect((wrongArgs.body as { hint: string }).hint).toContain('add_numbers(a, b)');
  });

  it('maps 42501 to 401 for anon and 403 for a signed-in role', async () => {
    const anon = await rpc('members_only', {}, { token: null });
    expect(anon.status).toBe(401);
    expect(anon.body).toMatchObject({ code: '42501' });
    expect((await rpc('members_only', {})).body).toBe('welcome');
    const denied = await rpc('nobody', {});
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: '42501' });
  });

  it('rejects a bad signature with 401 PGRST301 and an expired token with 401 PGRST303', async () => {
    const forged = signJwt({ sub: user.id, role: 'authenticated' }, 'a-different-secret-of-enough-length!!');
    const bad = await rpc('echo_request', {}, { token: forged });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ code: 'PGRST301' });
    const expired = await backend.createUser({ expiresIn: -120 });
    const old = await rpc('echo_request', {}, { token: expired.accessToken });
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ code: 'PGRST303', message: 'JWT expired' });
  });

  it('requires the apikey header at the gateway', async () => {
    const missing = await rpc('echo_request', {}, { apikey: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ message: 'No API key found in request' });
    const wrong = await rpc('echo_request', {}, { apikey: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ message: 'Invalid API key' });
  });

  it('serves only the public schema (406 PGRST106) and rejects invalid JSON (400 PGRST102)', async () => {
    const other = await rpc('echo_request', {}, { headers: { 'Content-Profile': 'private' } });
    expect(other.status).toBe(406);
    expect(other.body).toMatchObject({ code: 'PGRST106' });
    const response = await fetch(`${backend.url}/rest/v1/rpc/add_numbers`, {
      method: 'POST',
      headers: { apikey: backend.anonKey, 'content-type': 'application/json' },
      body: '{"a": 1,',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'PGRST102' });
  });

  it('calls with GET and query-string arguments in a read-only transaction', async () => {
    const result = await rpc('add_numbers?a=2&b=3', undefined, { method: 'GET' });
    expect(result.body).toBe(5);
  });

  it('answers 404 outside mounted routes and serves mounted ones', async () => {
    const response = await fetch(`${backend.url}/auth/v1/health`);
    expect(response.status).toBe(404);
    backend.standIn.mount('/auth/v1', async (_req, res, ctx) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: ctx.url.pathname, hasSecret: ctx.jwtSecret.length > 0 }));
    });
    const mounted = await fetch(`${backend.url}/auth/v1/health`);
    expect(await mounted.json()).toEqual({ path: '/auth/v1/health', hasSecret: true });
  });

  it('runs concurrent requests on separate transactions', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rpc('add_numbers', { a: i, b: i })),
    );
    expect(results.map((r) => r.body)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
  });
});
