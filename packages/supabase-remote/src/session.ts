import type { AuthError, Session, SupabaseClient, User } from '@supabase/supabase-js';
import { describeNetworkFailure } from './network.js';

/** Why a login or a session failed, in terms a user can act on. */
export type AuthFailureCode =
  /** No session stored: log in first. */
  | 'not_logged_in'
  /** The stored session was revoked or expired on the server (logout elsewhere, refresh token reused): log in again. */
  | 'session_revoked'
  /** The project's GitHub provider is switched off. */
  | 'provider_disabled'
  /** The user pressed Cancel on GitHub's consent page, or sign-ups are closed. */
  | 'access_denied'
  /** The server rejected the PKCE code verifier (it does not match this login's challenge). */
  | 'code_verifier_rejected'
  /** No verifier is stored for this login (it was started elsewhere, or the storage was cleared). */
  | 'code_verifier_missing'
  /** The login code is unknown, used, or expired. */
  | 'code_invalid'
  /** The project URL or anon key was refused by the API gateway. */
  | 'bad_api_key'
  /** The server could not be reached. */
  | 'network'
  /** The server failed (5xx). */
  | 'server'
  /** Any other refusal, with the server's message. */
  | 'rejected';

/** One error class for every auth failure, with a `code` to branch on (see `isAuthFailure`). */
export class AuthFailure extends Error {
  override readonly name = 'AuthFailure';
  readonly code: AuthFailureCode;
  /** The server's error code (`error_code`), when there was one. */
  readonly serverCode: string | undefined;
  constructor(
    code: AuthFailureCode,
    message: string,
    options: { serverCode?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.serverCode = options.serverCode;
  }
}

/** True for an `AuthFailure`, also when it comes from another copy of this package. */
export function isAuthFailure(error: unknown): error is AuthFailure {
  return (
    error instanceof AuthFailure ||
    (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AuthFailure')
  );
}

/** Maps a supabase-js auth error (or a fetch failure) to an `AuthFailure`. Never includes a token in the message. */
export function toAuthFailure(error: unknown): AuthFailure {
  if (isAuthFailure(error)) return error;
  const e = error as Partial<AuthError> & { name?: string; message?: string; code?: string; status?: number };
  const serverCode = typeof e?.code === 'string' ? e.code : undefined;
  const message = e?.message ?? String(error);
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const opts = { cause: error, ...(serverCode ? { serverCode } : {}) };
  if (e?.name === 'AuthRetryableFetchError' || e?.name === 'TypeError' || e?.name === 'FetchError') {
    if (status && status >= 500) return new AuthFailure('server', `the server failed (HTTP ${status})`, opts);
    return new AuthFailure('network', `cannot reach the server: ${message}`, opts);
  }
  if (e?.name === 'AuthPKCECodeVerifierMissingError') {
    return new AuthFailure(
      'code_verifier_missing',
      'no login is in progress on this machine (code verifier missing)',
      opts,
    );
  }
  if (e?.name === 'AuthSessionMissingError') return new AuthFailure('not_logged_in', 'not logged in', opts);
  switch (serverCode) {
    case 'bad_code_verifier':
      return new AuthFailure('code_verifier_rejected', `the server rejected the login: ${message}`, opts);
    case 'flow_state_not_found':
    case 'flow_state_expired':
      return new AuthFailure('code_invalid', `the login code was not accepted: ${message}`, opts);
    case 'refresh_token_not_found':
    case 'refresh_token_already_used':
    case 'session_not_found':
    case 'session_expired':
    case 'user_not_found':
    case 'bad_jwt':
      return new AuthFailure('session_revoked', 'the session was revoked or has expired', opts);
    case 'signup_disabled':
    case 'user_banned':
      return new AuthFailure('access_denied', message, opts);
  }
  if (status === 401 && /api key/i.test(message)) return new AuthFailure('bad_api_key', message, opts);
  if (status && status >= 500)
    return new AuthFailure('server', `the server failed (HTTP ${status}): ${message}`, opts);
  return new AuthFailure('rejected', message, opts);
}

/** `GET /auth/v1/settings`: which sign-in providers the project has switched on. */
export async function fetchAuthSettings(
  url: string,
  anonKey: string,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<{ githubEnabled: boolean }> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(`${url.replace(/\/+$/, '')}/auth/v1/settings`, {
      headers: { apikey: anonKey, authorization: `Bearer ${anonKey}` },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'AbortError' || name === 'TimeoutError') throw error;
    throw new AuthFailure('network', `cannot reach ${url}: ${describeNetworkFailure(error)}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (response.status === 401 || response.status === 403) {
    throw new AuthFailure('bad_api_key', `the project refused the anon key (HTTP ${response.status})`);
  }
  if (response.status >= 500) throw new AuthFailure('server', `the server failed (HTTP ${response.status})`);
  let body: { external?: Record<string, unknown> } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (!response.ok || !body?.external) {
    throw new AuthFailure(
      'rejected',
      `${url} does not look like a Supabase project (GET /auth/v1/settings answered HTTP ${response.status})`,
    );
  }
  return { githubEnabled: body.external.github === true };
}

/** First half of the PKCE login: the URL to open in a browser (no request is made; the verifier is stored). */
export async function startGitHubLogin(
  client: SupabaseClient,
  redirectTo: string,
): Promise<{ url: string; flowId: string | undefined }> {
  const { data, error } = await client.auth.signInWithOAuth({
    provider: 'github',
    options: { redirectTo, skipBrowserRedirect: true },
  });
  if (error || !data.url) throw toAuthFailure(error ?? new Error('no authorize URL'));
  const flowId = (data as { flowId?: string | null }).flowId ?? undefined;
  return { url: data.url, flowId };
}

/** Second half: exchanges the code the browser brought back for a session, which supabase-js stores. */
export async function finishGitHubLogin(
  client: SupabaseClient,
  code: string,
  flowId?: string,
): Promise<Session> {
  const { data, error } = await (
    client.auth.exchangeCodeForSession as (
      code: string,
      options?: { flowId?: string },
    ) => ReturnType<SupabaseClient['auth']['exchangeCodeForSession']>
  )(code, flowId ? { flowId } : undefined);
  if (error || !data.session) throw toAuthFailure(error ?? new Error('no session in the token response'));
  return data.session;
}

/**
 * The stored session, refreshed first when its access token has expired (or is about to). Throws
 * `not_logged_in` when nothing is stored, `session_revoked` when the server refused the refresh (the stored
 * session is then removed by supabase-js), `network` / `server` when the refresh could not be done.
 */
export async function currentSession(client: SupabaseClient): Promise<Session> {
  const { data, error } = await client.auth.getSession();
  if (error) throw toAuthFailure(error);
  if (!data.session) throw new AuthFailure('not_logged_in', 'not logged in');
  return data.session;
}

/** The user of the stored session as the server sees it now (`GET /auth/v1/user`). */
export async function currentUser(client: SupabaseClient): Promise<{ user: User; session: Session }> {
  const session = await currentSession(client);
  const { data, error } = await client.auth.getUser(session.access_token);
  if (error || !data.user) {
    const failure = toAuthFailure(error ?? new Error('no user'));
    // supabase-js turns `session_not_found` into "session missing": there was a session, the server ended it.
    if (failure.code === 'not_logged_in') {
      throw new AuthFailure('session_revoked', 'the session was revoked or has expired', { cause: error });
    }
    throw failure;
  }
  return { user: data.user, session };
}

/**
 * Global sign-out: revokes every session of the user on the server, then clears the stored session.
 * Resolves with the failure when the server could not be told (the caller decides what to do locally).
 *
 * With `project`, the logout request is made here rather than by supabase-js, which reports success when the
 * server answers 401, 403 or 404 (the session had already ended): then the failure is `session_revoked`, so
 * the caller never claims a sign-out the server did not confirm. The stored session is left to the caller.
 */
export async function signOutEverywhere(
  client: SupabaseClient,
  project?: { url: string; anonKey: string; fetch?: typeof fetch },
): Promise<AuthFailure | undefined> {
  if (!project) {
    const { error } = await client.auth.signOut({ scope: 'global' });
    return error ? toAuthFailure(error) : undefined;
  }
  let accessToken: string;
  try {
    accessToken = (await currentSession(client)).access_token;
  } catch (error) {
    return toAuthFailure(error);
  }
  const doFetch = project.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(`${project.url.replace(/\/+$/, '')}/auth/v1/logout?scope=global`, {
      method: 'POST',
      headers: { apikey: project.anonKey, authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const name = (error as { name?: string })?.name;
    const why = name === 'TimeoutError' ? 'no answer within 10 s (timeout)' : describeNetworkFailure(error);
    return new AuthFailure('network', `cannot reach the server at ${project.url}: ${why}`, { cause: error });
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return undefined;
  let body: { error_code?: unknown; code?: unknown; msg?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  const serverCode = typeof body.error_code === 'string' ? body.error_code : undefined;
  if (response.status === 401 || response.status === 403 || response.status === 404) {
    return new AuthFailure('session_revoked', 'the server had already ended this session', {
      ...(serverCode ? { serverCode } : {}),
    });
  }
  if (response.status >= 500) {
    return new AuthFailure('server', `the server failed (HTTP ${response.status})`);
  }
  const message =
    typeof body.msg === 'string' ? body.msg : typeof body.message === 'string' ? body.message : '';
  return new AuthFailure('rejected', `HTTP ${response.status}${message ? `: ${message}` : ''}`, {
    ...(serverCode ? { serverCode } : {}),
  });
}

/** The GitHub login of a user signed in with GitHub, if any. */
export function githubLogin(user: User): string | undefined {
  const meta = user.user_metadata ?? {};
  const login = meta.user_name ?? meta.preferred_username;
  return typeof login === 'string' && login ? login : undefined;
}

/**
 * The access token getter a `Remote` takes: the stored session's token, refreshed first when it has expired.
 * Rejects with an `AuthFailure` (`not_logged_in`, `session_revoked`, `network`, `server`).
 */
export function sessionAccessToken(client: SupabaseClient): () => Promise<string> {
  return async () => (await currentSession(client)).access_token;
}

/** supabase-js refreshes an access token this close to its expiry (its `EXPIRY_MARGIN_MS`). */
const REFRESH_MARGIN_MS = 90_000;

/** Whether reading a stored session (supabase-js's JSON of it) will first refresh its access token. */
export function sessionNeedsRefresh(stored: unknown, now = Date.now()): boolean {
  const expiresAt = (stored as { expires_at?: unknown } | undefined)?.expires_at;
  return typeof expiresAt !== 'number' || expiresAt * 1000 - now < REFRESH_MARGIN_MS;
}

/**
 * A quick check that the project answers (`GET /auth/v1/settings`, `timeoutMs`). supabase-js retries a refresh
 * that fails on the network for about 25 s; checking first lets a command that is offline say so at once.
 * Resolves with the failure (`network`, `server`, `bad_api_key`, …) or undefined when the project answered.
 */
export async function checkReachable(
  url: string,
  anonKey: string,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<AuthFailure | undefined> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  try {
    await fetchAuthSettings(url, anonKey, { signal, ...(options.fetch ? { fetch: options.fetch } : {}) });
    return undefined;
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new AuthFailure(
        'network',
        `cannot reach ${url}: no answer within ${((options.timeoutMs ?? 10_000) / 1000).toFixed(0)} s (timeout)`,
        {
          cause: error,
        },
      );
    }
    return toAuthFailure(error);
  }
}
