import { AuthStandIn, freePort, startTestBackend, type TestBackend } from '@agentlogs/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectClient, type SessionStorage, sessionStorageKey } from '../src/client.js';
import {
  type AuthFailure,
  checkReachable,
  currentSession,
  currentUser,
  fetchAuthSettings,
  finishGitHubLogin,
  githubLogin,
  isAuthFailure,
  sessionAccessToken,
  sessionNeedsRefresh,
  signOutEverywhere,
  startGitHubLogin,
} from '../src/session.js';

let backend: TestBackend;
let auth: AuthStandIn;

beforeAll(async () => {
  backend = await startTestBackend();
  auth = new AuthStandIn().mountOn(backend.standIn);
});

afterAll(async () => {
  await backend?.close();
});

class MemoryStorage implements SessionStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

let clients = 0;
function newClient(storage = new MemoryStorage()) {
  // A key per client: supabase-js broadcasts sign-outs to clients of the same key in one process (browser tabs).
  const storageKey = `${sessionStorageKey(backend.url)}#${++clients}`;
  return {
    client: createProjectClient({ url: backend.url, anonKey: backend.anonKey, storage, storageKey }),
    storage,
    storageKey,
  };
}

/** Plays the browser from the authorize URL to the redirect back; returns the `code` it carries. */
async function approve(authorizeUrl: string): Promise<string> {
  let next = authorizeUrl;
  for (let hop = 0; hop < 6; hop++) {
    const response = await fetch(next, { redirect: 'manual' });
    if (response.status === 302) {
      const location = new URL(response.headers.get('location') ?? '', next);
      if (location.pathname === '/callback' && location.hostname === '127.0.0.1' && location.port === '1') {
        return location.searchParams.get('code') ?? '';
      }
      next = location.toString();
      continue;
    }
    const link = /id="authorize" href="([^"]+)"/.exec(await response.text())?.[1]?.replaceAll('&#38;', '&');
    if (!link) throw new Error('no Authorize link');
    next = new URL(link, next).toString();
  }
  throw new Error('too many hops');
}

async function loggedIn() {
  const c = newClient();
  const { url, flowId } = await startGitHubLogin(c.client, 'http://127.0.0.1:1/callback');
  const session = await finishGitHubLogin(c.client, await approve(url), flowId);
  return { ...c, session };
}

describe('session functions over supabase-js', () => {
  it('logs in with GitHub through PKCE and stores the session', async () => {
    const { client, storage, storageKey } = newClient();
    const { url, flowId } = await startGitHubLogin(client, 'http://127.0.0.1:1/callback');
    const authorize = new URL(url);
    expect(authorize.pathname).toBe('/auth/v1/authorize');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('s256');
    expect(authorize.searchParams.get('redirect_to')).toBe('http://127.0.0.1:1/callback');
    const session = await finishGitHubLogin(client, await approve(url), flowId);
    expect(githubLogin(session.user)).toBe('octocat');
    expect(JSON.parse(storage.items.get(storageKey) ?? '{}')).toMatchObject({
      refresh_token: session.refresh_token,
    });
    expect((await currentUser(client)).user.id).toBe(session.user.id);
    expect(await sessionAccessToken(client)()).toBe(session.access_token);
  });

  it('maps a changed verifier and a missing one to typed failures', async () => {
    const { client, storage } = newClient();
    const { url, flowId } = await startGitHubLogin(client, 'http://127.0.0.1:1/callback');
    for (const [key, value] of storage.items) {
      if (key.endsWith('code-verifier') && value.startsWith('"'))
        storage.items.set(key, JSON.stringify('z'.repeat(64)));
    }
    const rejected = await finishGitHubLogin(client, await approve(url), flowId).catch((e: unknown) => e);
    expect(isAuthFailure(rejected)).toBe(true);
    expect((rejected as AuthFailure).code).toBe('code_verifier_rejected');
    expect((rejected as AuthFailure).serverCode).toBe('bad_code_verifier');

    const other = newClient();
    const started = await startGitHubLogin(client, 'http://127.0.0.1:1/callback');
    const missing = await finishGitHubLogin(other.client, await approve(started.url)).catch(
      (e: unknown) => e,
    );
    expect((missing as AuthFailure).code).toBe('code_verifier_missing');
  });

  it('refreshes an expired access token when the session is read', async () => {
    auth.settings.accessTokenTtlSeconds = 1;
    let login: Awaited<ReturnType<typeof loggedIn>>;
    try {
      login = await loggedIn();
    } finally {
      auth.settings.accessTokenTtlSeconds = 3600;
    }
    await new Promise((r) => setTimeout(r, 1100));
    const refreshes = auth.counters.refreshes;
    const session = await currentSession(login.client);
    expect(auth.counters.refreshes).toBe(refreshes + 1);
    expect(session.access_token).not.toBe(login.session.access_token);
    expect(session.refresh_token).not.toBe(login.session.refresh_token);
  });

  it('global sign-out revokes the other sessions of the user', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    expect(await signOutEverywhere(a.client)).toBeUndefined();
    expect(a.storage.items.get(a.storageKey)).toBeUndefined();
    await expect(currentSession(a.client)).rejects.toMatchObject({ code: 'not_logged_in' });
    await expect(currentUser(b.client)).rejects.toMatchObject({
      name: 'AuthFailure',
      code: 'session_revoked',
    });
  });

  it('reads the provider settings and reports an unreachable project or a refused key', async () => {
    expect(await fetchAuthSettings(backend.url, backend.anonKey)).toEqual({ githubEnabled: true });
    auth.settings.githubEnabled = false;
    try {
      expect(await fetchAuthSettings(backend.url, backend.anonKey)).toEqual({ githubEnabled: false });
    } finally {
      auth.settings.githubEnabled = true;
    }
    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(fetchAuthSettings(closed, backend.anonKey)).rejects.toMatchObject({ code: 'network' });
    await expect(fetchAuthSettings(backend.url, 'not-a-key')).rejects.toMatchObject({ code: 'bad_api_key' });
    expect(await checkReachable(backend.url, backend.anonKey)).toBeUndefined();
    expect((await checkReachable(closed, backend.anonKey))?.code).toBe('network');
    expect(sessionNeedsRefresh({ expires_at: Math.floor(Date.now() / 1000) + 60 })).toBe(true);
    expect(sessionNeedsRefresh({ expires_at: Math.floor(Date.now() / 1000) + 3600 })).toBe(false);
  });
});
