import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthStandIn, isRedirectUrlAllowed } from '../src/auth/index.js';
import { startTestBackend, type TestBackend } from '../src/backend.js';
import type { StandIn } from '../src/http.js';

let backend: TestBackend;
let server: StandIn;
let auth: AuthStandIn;
const loopback = 'http://127.0.0.1:43123/callback';

beforeAll(async () => {
  backend = await startTestBackend();
  server = backend.standIn;
  auth = new AuthStandIn({
    siteUrl: 'https://app.example.com',
    uriAllowList: ['http://localhost:*/callback'],
  }).mountOn(server);
}, 120_000);

afterAll(async () => {
  await backend?.close();
});

const base64url = (b: Buffer) => b.toString('base64url');
function pkcePair() {
  const verifier = base64url(randomBytes(56));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
}

function headers(extra: Record<string, string> = {}) {
  return {
    apikey: server.anonKey,
    authorization: `Bearer ${server.anonKey}`,
    'content-type': 'application/json',
    'x-supabase-api-version': '2024-01-01',
    ...extra,
  };
}

/** Plays the browser from the authorize URL to the final redirect (not followed). */
async function browse(redirectTo: string, challenge: string, decision: 'authorize' | 'cancel' = 'authorize') {
  const authorize = `${server.url}/auth/v1/authorize?provider=github&redirect_to=${encodeURIComponent(redirectTo)}&code_challenge=${challenge}&code_challenge_method=s256`;
  const toGitHub = await fetch(authorize, { redirect: 'manual' });
  expect(toGitHub.status).toBe(302);
  const consentUrl = new URL(toGitHub.headers.get('location') ?? '');
  const page = await (await fetch(consentUrl)).text();
  const link = new RegExp(`id="${decision}" href="([^"]+)"`).exec(page)?.[1]?.replaceAll('&#38;', '&');
  expect(link).toBeTruthy();
  const toCallback = await fetch(new URL(link ?? '', consentUrl), { redirect: 'manual' });
  expect(toCallback.status).toBe(302);
  const final = await fetch(toCallback.headers.get('location') ?? '', { redirect: 'manual' });
  expect(final.status).toBe(302);
  return new URL(final.headers.get('location') ?? '');
}

async function exchange(code: string, verifier: string) {
  return fetch(`${server.url}/auth/v1/token?grant_type=pkce`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({ auth_code: code, code_verifier: verifier }),
  });
}

async function login() {
  const { verifier, challenge } = pkcePair();
  const back = await browse(loopback, challenge);
  const response = await exchange(back.searchParams.get('code') ?? '', verifier);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
    expires_at: number;
    user: {
      id: string;
      email: string;
      user_metadata: Record<string, unknown>;
      app_metadata: Record<string, unknown>;
    };
  };
}

describe('Auth stand-in: GitHub login with PKCE', () => {
  it('redirects to the loopback URL with a code that exchanges for a session of a user in auth.users', async () => {
    const { verifier, challenge } = pkcePair();
    const back = await browse(loopback, challenge);
    expect(`${back.origin}${back.pathname}`).toBe(loopback);
    const code = back.searchParams.get('code');
    expect(code).toMatch(/^[0-9a-f-]{36}$/);
    const response = await exchange(code ?? '', verifier);
    expect(response.status).toBe(200);
    const session = (await response.json()) as Awaited<ReturnType<typeof login>> & { token_type: string };
    expect(session.token_type).toBe('bearer');
    expect(session.expires_in).toBe(3600);
    expect(session.user.user_metadata.user_name).toBe('octocat');
    expect(session.user.app_metadata).toEqual({ provider: 'github', providers: ['github'] });
    const { rows } = await server.adminPool.query(
      `select u.email, i.provider, i.provider_id from auth.users u join auth.identities i on i.user_id = u.id where u.id = $1`,
      [session.user.id],
    );
    expect(rows).toEqual([{ email: 'octocat@github.example', provider: 'github', provider_id: '583231' }]);
    // The code is single-use.
    const again = await exchange(code ?? '', verifier);
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({
      code: 'flow_state_not_found',
      message: 'invalid flow state, no valid flow state found',
    });
  });

  it('rejects a verifier whose S256 hash differs from the challenge', async () => {
    const { challenge } = pkcePair();
    const back = await browse(loopback, challenge);
    const response = await exchange(back.searchParams.get('code') ?? '', pkcePair().verifier);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: 'bad_code_verifier',
      message: 'code challenge does not match previously saved code verifier',
    });
    expect(response.headers.get('x-sb-error-code')).toBe('bad_code_verifier');
  });

  it('answers in the pre-2024 error shape when no API version is sent', async () => {
    const response = await fetch(`${server.url}/auth/v1/token?grant_type=pkce`, {
      method: 'POST',
      headers: { apikey: server.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ auth_code: 'x', code_verifier: '' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: 400,
      error_code: 'validation_failed',
      msg: 'invalid request: both auth code and code verifier should be non-empty',
    });
  });

  it('sends a denied consent back to redirect_to as error query parameters', async () => {
    const back = await browse(loopback, pkcePair().challenge, 'cancel');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toBe('The user has denied your application access.');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('sends a redirect_to that is not allowed to the Site URL instead', async () => {
    const back = await browse('https://elsewhere.example.org/callback', pkcePair().challenge);
    expect(back.origin).toBe('https://app.example.com');
    expect(back.searchParams.get('code')).toBeTruthy();
  });

  it('answers authorize for a disabled provider as Supabase Auth does', async () => {
    auth.settings.githubEnabled = false;
    try {
      const settings = await fetch(`${server.url}/auth/v1/settings`, { headers: headers() });
      expect(((await settings.json()) as { external: { github: boolean } }).external.github).toBe(false);
      const response = await fetch(
        `${server.url}/auth/v1/authorize?provider=github&code_challenge=${pkcePair().challenge}&code_challenge_method=s256`,
        { redirect: 'manual' },
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        code: 400,
        error_code: 'validation_failed',
        msg: 'Unsupported provider: provider is not enabled',
      });
    } finally {
      auth.settings.githubEnabled = true;
    }
  });

  it('rotates refresh tokens: the old one is revoked, reuse after the interval ends the session', async () => {
    auth.settings.refreshTokenReuseIntervalSeconds = 0;
    try {
      const first = await login();
      const refresh = (token: string) =>
        fetch(`${server.url}/auth/v1/token?grant_type=refresh_token`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ refresh_token: token }),
        });
      const second = (await (await refresh(first.refresh_token)).json()) as {
        refresh_token: string;
        access_token: string;
      };
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const third = (await (await refresh(second.refresh_token)).json()) as { refresh_token: string };
      await new Promise((r) => setTimeout(r, 20));
      // Reusing a token two generations old is an abuse signal: rejected, and the whole session ends.
      const reused = await refresh(first.refresh_token);
      expect(reused.status).toBe(400);
      expect(await reused.json()).toEqual({
        code: 'refresh_token_already_used',
        message: 'Invalid Refresh Token: Already Used',
      });
      const afterwards = await refresh(third.refresh_token);
      expect(afterwards.status).toBe(400);
      expect(((await afterwards.json()) as { code: string }).code).toBe('refresh_token_not_found');
    } finally {
      auth.settings.refreshTokenReuseIntervalSeconds = 10;
    }
  });

  it('hands back the active token when the parent of the current refresh token is replayed', async () => {
    const first = await login();
    const refresh = async (token: string) =>
      (await (
        await fetch(`${server.url}/auth/v1/token?grant_type=refresh_token`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ refresh_token: token }),
        })
      ).json()) as { refresh_token: string };
    const second = await refresh(first.refresh_token);
    // The client lost that response and retries with the old token: same active token, no new family member.
    const replay = await refresh(first.refresh_token);
    expect(replay.refresh_token).toBe(second.refresh_token);
  });

  it('turns a sign-up into access_denied when sign-ups are disabled', async () => {
    auth.settings.disableSignup = true;
    const account = auth.github.account;
    auth.github.account = { id: 99, login: 'newcomer', email: 'newcomer@github.example' };
    try {
      const back = await browse(loopback, pkcePair().challenge);
      expect(back.searchParams.get('error')).toBe('access_denied');
      expect(back.searchParams.get('error_code')).toBe('signup_disabled');
      expect(back.searchParams.get('error_description')).toBe('Signups not allowed for this instance');
      const { rows } = await server.adminPool.query(`select 1 from auth.identities where provider_id = '99'`);
      expect(rows).toEqual([]);
      // Existing users still sign in.
      auth.github.account = account;
      expect((await browse(loopback, pkcePair().challenge)).searchParams.get('code')).toBeTruthy();
    } finally {
      auth.settings.disableSignup = false;
      auth.github.account = account;
    }
  });

  it('GET /user needs a valid, unexpired token of a live session; logout?scope=global revokes everything', async () => {
    const session = await login();
    const other = await login();
    const user = await fetch(`${server.url}/auth/v1/user`, {
      headers: headers({ authorization: `Bearer ${session.access_token}` }),
    });
    expect(user.status).toBe(200);
    expect(((await user.json()) as { id: string }).id).toBe(session.user.id);

    const noToken = await fetch(`${server.url}/auth/v1/user`, { headers: { apikey: server.anonKey } });
    expect(noToken.status).toBe(401);

    const tampered = `${session.access_token.slice(0, -4)}AAAA`;
    const bad = await fetch(`${server.url}/auth/v1/user`, {
      headers: headers({ authorization: `Bearer ${tampered}` }),
    });
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { code: string }).code).toBe('bad_jwt');

    const logout = await fetch(`${server.url}/auth/v1/logout?scope=global`, {
      method: 'POST',
      headers: headers({ authorization: `Bearer ${session.access_token}` }),
    });
    expect(logout.status).toBe(204);
    expect(auth.sessionCount(session.user.id)).toBe(0);
    for (const token of [session.refresh_token, other.refresh_token]) {
      const refreshed = await fetch(`${server.url}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({ refresh_token: token }),
      });
      expect(refreshed.status).toBe(400);
    }
    const gone = await fetch(`${server.url}/auth/v1/user`, {
      headers: headers({ authorization: `Bearer ${other.access_token}` }),
    });
    expect(gone.status).toBe(403);
    expect(((await gone.json()) as { code: string }).code).toBe('session_not_found');
  });

  it('issues tokens with the configured lifetime; an expired one is refused by /user', async () => {
    auth.settings.accessTokenTtlSeconds = 1;
    try {
      const session = await login();
      expect(session.expires_in).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      const response = await fetch(`${server.url}/auth/v1/user`, {
        headers: headers({ authorization: `Bearer ${session.access_token}` }),
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        code: 'bad_jwt',
        message:
          'invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired',
      });
    } finally {
      auth.settings.accessTokenTtlSeconds = 3600;
    }
  });

  it('signs access tokens the PostgREST stand-in accepts as the user', async () => {
    const session = await login();
    // upsert_profile() reads the caller's GitHub identity from auth.identities through auth.uid().
    const response = await fetch(`${server.url}/rest/v1/rpc/upsert_profile`, {
      method: 'POST',
      headers: headers({ authorization: `Bearer ${session.access_token}` }),
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ userId: session.user.id, githubLogin: 'octocat' });
  });

  it('requires the apikey on API endpoints but not on the browser endpoints', async () => {
    const response = await fetch(`${server.url}/auth/v1/settings`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'No API key found in request' });
  });
});

describe('redirect URL allow list', () => {
  const site = 'https://app.example.com';
  it('follows Supabase Auth: loopback IPs with any port, the site host, allow-list globs', () => {
    expect(isRedirectUrlAllowed('http://127.0.0.1:51234/callback', site, [])).toBe(true);
    expect(isRedirectUrlAllowed('http://[::1]:51234/callback', site, [])).toBe(true);
    expect(isRedirectUrlAllowed('http://10.0.0.1:51234/callback', site, ['**'])).toBe(false);
    expect(isRedirectUrlAllowed('https://app.example.com/x', site, [])).toBe(true);
    expect(isRedirectUrlAllowed('http://localhost:5000/callback', site, [])).toBe(false);
    expect(
      isRedirectUrlAllowed('http://localhost:5000/callback', site, ['http://localhost:*/callback']),
    ).toBe(true);
    expect(
      isRedirectUrlAllowed('http://localhost:5000/other/callback', site, ['http://localhost:*/callback']),
    ).toBe(false);
    expect(isRedirectUrlAllowed('https://evil.example/callback', site, ['https://*.example.com/**'])).toBe(
      false,
    );
  });
});
