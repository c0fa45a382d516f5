import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml, redirect, sendHtml, sendJson } from './respond.js';

/** The GitHub account the fake GitHub signs in as. */
export interface GitHubAccount {
  /** GitHub's numeric user id. */
  id: number;
  /** The GitHub login (user name). */
  login: string;
  name?: string;
  email: string;
  avatarUrl?: string;
}

export const DEFAULT_GITHUB_ACCOUNT: GitHubAccount = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  email: 'octocat@github.example',
};

/** Path prefix of the fake GitHub, mounted next to `/auth/v1`. */
export const FAKE_GITHUB_PREFIX = '/fake-github';

const DENIED_DESCRIPTION = 'The user has denied your application access.';
const DENIED_URI =
  'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied';

/**
 * A stand-in for github.com's OAuth app consent: `GET /login/oauth/authorize` shows a page with an
 * "Authorize" and a "Cancel" link; following one redirects to the app's callback with `code` + `state`,
 * or with `error=access_denied` as GitHub does. Codes are exchanged in-process by the Auth stand-in.
 */
export class FakeGitHub {
  /** The account that "Authorize" signs in as; tests change it between logins. */
  account: GitHubAccount;
  private readonly codes = new Map<string, { account: GitHubAccount; expiresAt: number }>();

  constructor(account: GitHubAccount = DEFAULT_GITHUB_ACCOUNT) {
    this.account = account;
  }

  /** The authorize URL Supabase Auth sends the browser to. */
  authorizeUrl(
    baseUrl: string,
    params: { clientId: string; redirectUri: string; state: string; scope: string },
  ): string {
    const url = new URL(`${baseUrl}${FAKE_GITHUB_PREFIX}/login/oauth/authorize`);
    url.searchParams.set('client_id', params.clientId);
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', params.scope);
    url.searchParams.set('state', params.state);
    return url.toString();
  }

  /** Trades a one-time code for the account that approved it (GitHub's token + user API, in one step). */
  exchange(code: string): GitHubAccount | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt < Date.now()) return undefined;
    return entry.account;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice(FAKE_GITHUB_PREFIX.length);
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    const state = url.searchParams.get('state') ?? '';
    if (req.method !== 'GET' || !redirectUri) {
      sendJson(res, 404, { message: 'Not Found' });
      return;
    }
    if (path === '/login/oauth/authorize') {
      const decide = (decision: string) => {
        const target = new URL(`${FAKE_GITHUB_PREFIX}/login/oauth/decide`, url);
        target.searchParams.set('redirect_uri', redirectUri);
        target.searchParams.set('state', state);
        target.searchParams.set('decision', decision);
        return escapeHtml(`${target.pathname}${target.search}`);
      };
      const who = escapeHtml(this.account.login);
      sendHtml(
        res,
        200,
        `<!doctype html><html><head><title>Authorize application</title></head><body>
<h1>Authorize application</h1><p>Signed in as <strong id="login">${who}</strong>.</p>
<p><a id="authorize" href="${decide('authorize')}">Authorize</a> <a id="cancel" href="${decide('cancel')}">Cancel</a></p>
</body></html>`,
      );
      return;
    }
    if (path === '/login/oauth/decide') {
      const target = new URL(redirectUri);
      if (url.searchParams.get('decision') === 'authorize') {
        const code = randomBytes(10).toString('hex');
        this.codes.set(code, { account: { ...this.account }, expiresAt: Date.now() + 10 * 60_000 });
        target.searchParams.set('code', code);
      } else {
        target.searchParams.set('error', 'access_denied');
        target.searchParams.set('error_description', DENIED_DESCRIPTION);
        target.searchParams.set('error_uri', DENIED_URI);
      }
      target.searchParams.set('state', state);
      redirect(res, target.toString());
      return;
    }
    sendJson(res, 404, { message: 'Not Found' });
  }
}
