import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler, StandInContext } from '../http.js';
import { JwtError, signJwt, verifyJwt } from '../jwt.js';
import { allowAccount } from '../users.js';
import { DEFAULT_GITHUB_ACCOUNT, FAKE_GITHUB_PREFIX, FakeGitHub, type GitHubAccount } from './github.js';
import { redirectTarget } from './redirect.js';
import { AuthHttpError, redirect, sendAuthError, sendJson } from './respond.js';
import { type AuthUser, findUser, gitHubUserExists, upsertGitHubUser } from './users.js';

export { type BrowserLogin, findAuthorizeUrl, playBrowserLogin } from './browser.js';
export { DEFAULT_GITHUB_ACCOUNT, FAKE_GITHUB_PREFIX, FakeGitHub, type GitHubAccount } from './github.js';
export { isRedirectUrlAllowed } from './redirect.js';
export type { AuthUser } from './users.js';

/** The project settings of Supabase Auth the stand-in honours. All can be changed between requests. */
export interface AuthSettings {
  /** Dashboard → Authentication → URL Configuration → Site URL. */
  siteUrl: string;
  /** Dashboard → Authentication → URL Configuration → Redirect URLs (globs). */
  uriAllowList: string[];
  /** Dashboard → Authentication → Sign In / Providers → GitHub. */
  githubEnabled: boolean;
  /** "Allow new users to sign up" switched off. */
  disableSignup: boolean;
  /** Access token lifetime (JWT expiry), seconds. Supabase's default is 3600. */
  accessTokenTtlSeconds: number;
  /** Window in which a rotated refresh token may still be used once more (Supabase default 10 s). */
  refreshTokenReuseIntervalSeconds: number;
  /** How long a login may take between authorize and token exchange (Supabase: 300 s). */
  flowStateExpirySeconds: number;
  /**
   * Not a Supabase setting: the project's owner has allowed every GitHub account that signs in to write
   * (`private.allowed_users`, as `agentlogs access allow` does). False leaves it to the owner.
   */
  allowEveryAccount: boolean;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  siteUrl: 'http://localhost:3000',
  uriAllowList: [],
  githubEnabled: true,
  disableSignup: false,
  accessTokenTtlSeconds: 3600,
  refreshTokenReuseIntervalSeconds: 10,
  flowStateExpirySeconds: 300,
  allowEveryAccount: true,
};

interface FlowState {
  id: string;
  codeChallenge: string;
  codeChallengeMethod: string;
  referrer: string;
  createdAt: number;
  userId?: string;
  authCode?: string;
  providerToken?: string;
}

interface RefreshToken {
  token: string;
  sessionId: string;
  parent: string | null;
  revoked: boolean;
  updatedAt: number;
}

interface Session {
  id: string;
  userId: string;
}

/** Counts of what the stand-in did, for tests that assert a refresh or an exchange happened. */
export interface AuthCounters {
  pkceExchanges: number;
  refreshes: number;
  logouts: number;
}

/** Paths the API gateway lets through without an `apikey` (the browser hits them). */
const OPEN_PATHS = new Set(['/authorize', '/callback', '/verify']);

/**
 * The slice of Supabase Auth (GoTrue) that a CLI logging in with GitHub uses: authorize → fake GitHub consent →
 * callback → PKCE code exchange, refresh-token rotation, `GET /user`, `POST /logout`, `GET /settings`.
 * Users live in `auth.users` of the test database; sessions and codes in memory. Tokens are HS256 JWTs signed
 * with the stand-in's secret, so the PostgREST stand-in accepts them.
 */
export class AuthStandIn {
  readonly settings: AuthSettings;
  readonly github: FakeGitHub;
  readonly counters: AuthCounters = { pkceExchanges: 0, refreshes: 0, logouts: 0 };
  private readonly flows = new Map<string, FlowState>();
  private readonly sessions = new Map<string, Session>();
  private readonly refreshTokens = new Map<string, RefreshToken>();

  constructor(settings: Partial<AuthSettings> = {}, account: GitHubAccount = DEFAULT_GITHUB_ACCOUNT) {
    this.settings = { ...DEFAULT_AUTH_SETTINGS, ...settings };
    this.github = new FakeGitHub(account);
  }

  /** Mounts `/auth/v1` and the fake GitHub on a stand-in server (`startStandIn(...)` result). */
  mountOn(server: { mount(prefix: string, handler: RouteHandler): void }): this {
    server.mount('/auth/v1', this.handleAuth);
    server.mount(FAKE_GITHUB_PREFIX, this.handleGitHub);
    return this;
  }

  /** Number of live sessions of a user (a session ends at logout or when its refresh tokens are revoked). */
  sessionCount(userId: string): number {
    return [...this.sessions.values()].filter((s) => s.userId === userId).length;
  }

  readonly handleGitHub: RouteHandler = (req, res, ctx) => this.github.handle(req, res, ctx.url);

  readonly handleAuth: RouteHandler = async (req, res, ctx) => {
    const path = ctx.url.pathname.slice('/auth/v1'.length) || '/';
    try {
      if (!OPEN_PATHS.has(path) && !this.checkApiKey(req, res, ctx)) return;
      const method = req.method ?? 'GET';
      if (path === '/settings' && method === 'GET') return this.getSettings(res);
      if (path === '/authorize' && method === 'GET') return this.authorize(req, res, ctx);
      if (path === '/callback' && (method === 'GET' || method === 'POST'))
        return await this.callback(res, ctx);
      if (path === '/token' && method === 'POST') return await this.token(req, res, ctx);
      if (path === '/user' && method === 'GET') {
        const { user } = await this.authenticate(req, ctx);
        return sendJson(res, 200, user);
      }
      if (path === '/logout' && method === 'POST') return await this.logout(req, res, ctx);
      if (path === '/health' && method === 'GET') {
        return sendJson(res, 200, {
          version: 'stand-in',
          name: 'GoTrue',
          description: 'Supabase Auth stand-in',
        });
      }
      throw new AuthHttpError(404, 'not_found', 'Not Found');
    } catch (error) {
      if (error instanceof AuthHttpError) sendAuthError(req, res, error);
      else throw error;
    }
  };

  private checkApiKey(req: IncomingMessage, res: ServerResponse, ctx: StandInContext): boolean {
    const key = header(req, 'apikey') ?? ctx.url.searchParams.get('apikey');
    if (!key) {
      sendJson(res, 401, { message: 'No API key found in request' });
      return false;
    }
    try {
      const claims = verifyJwt(key, ctx.jwtSecret);
      if (claims.role === 'anon' || claims.role === 'service_role') return true;
    } catch {
      // fall through
    }
    sendJson(res, 401, { message: 'Invalid API key' });
    return false;
  }

  private getSettings(res: ServerResponse): void {
    const off = false;
    sendJson(res, 200, {
      external: {
        anonymous_users: off,
        apple: off,
        azure: off,
        bitbucket: off,
        discord: off,
        facebook: off,
        figma: off,
        github: this.settings.githubEnabled,
        gitlab: off,
        google: off,
        keycloak: off,
        linkedin_oidc: off,
        notion: off,
        slack_oidc: off,
        spotify: off,
        twitch: off,
        twitter: off,
        workos: off,
        zoom: off,
        email: true,
        phone: off,
      },
      disable_signup: this.settings.disableSignup,
      mailer_autoconfirm: off,
      phone_autoconfirm: off,
      sms_provider: '',
      saml_enabled: off,
    });
  }

  private authorize(req: IncomingMessage, res: ServerResponse, ctx: StandInContext): void {
    const q = ctx.url.searchParams;
    const provider = (q.get('provider') ?? '').toLowerCase();
    if (provider !== 'github') {
      throw new AuthHttpError(
        400,
        'validation_failed',
        `Unsupported provider: Provider ${provider} could not be found`,
      );
    }
    if (!this.settings.githubEnabled) {
      throw new AuthHttpError(400, 'validation_failed', 'Unsupported provider: provider is not enabled');
    }
    const { siteUrl, uriAllowList } = this.settings;
    let referrer = redirectTarget(header(req, 'redirect_to') ?? q.get('redirect_to'), siteUrl, uriAllowList);
    if (referrer === siteUrl)
      referrer = redirectTarget(header(req, 'referer') ?? null, siteUrl, uriAllowList);
    const codeChallenge = q.get('code_challenge') ?? '';
    const codeChallengeMethod = q.get('code_challenge_method') ?? '';
    if ((codeChallenge === '') !== (codeChallengeMethod === '')) {
      throw new AuthHttpError(
        400,
        'validation_failed',
        'PKCE flow requires code_challenge_method and code_challenge',
      );
    }
    if (codeChallenge) {
      if (codeChallenge.length < 43 || codeChallenge.length > 128) {
        throw new AuthHttpError(
          400,
          'validation_failed',
          'code challenge has to be between 43 and 128 characters',
        );
      }
      if (!/^[a-zA-Z._~0-9-]+$/.test(codeChallenge)) {
        throw new AuthHttpError(
          400,
          'validation_failed',
          'code challenge can only contain alphanumeric characters, hyphens, periods, underscores and tildes',
        );
      }
      if (!['s256', 'plain'].includes(codeChallengeMethod.toLowerCase())) {
        throw new AuthHttpError(400, 'validation_failed', 'Invalid code_challenge_method');
      }
    } else {
      // The implicit flow (tokens in the URL fragment) is not part of this stand-in.
      throw new AuthHttpError(400, 'validation_failed', InvalidPkceParams);
    }
    const flow: FlowState = {
      id: randomUUID(),
      codeChallenge,
      codeChallengeMethod: codeChallengeMethod.toLowerCase(),
      referrer,
      createdAt: Date.now(),
    };
    this.flows.set(flow.id, flow);
    redirect(
      res,
      this.github.authorizeUrl(ctx.baseUrl, {
        clientId: 'stand-in-github-client',
        redirectUri: `${ctx.baseUrl}/auth/v1/callback`,
        state: flow.id,
        scope: 'user:email',
      }),
    );
  }

  private async callback(res: ServerResponse, ctx: StandInContext): Promise<void> {
    const q = ctx.url.searchParams;
    const state = q.get('state') ?? '';
    if (!state) throw new AuthHttpError(400, 'bad_oauth_callback', 'OAuth state parameter missing');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(state)) {
      throw new AuthHttpError(400, 'bad_oauth_state', 'OAuth state parameter is invalid');
    }
    const flow = this.flows.get(state.toLowerCase());
    if (!flow) throw new AuthHttpError(400, 'bad_oauth_state', 'OAuth state not found or expired');
    if (this.isExpired(flow)) throw new AuthHttpError(400, 'bad_oauth_state', 'OAuth state has expired');
    if (flow.userId) throw new AuthHttpError(400, 'flow_state_already_used', 'State has already been used');

    const back = new URL(flow.referrer);
    const fail = (error: string, description: string, errorCode?: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (errorCode) back.searchParams.set('error_code', errorCode);
      const fragment = new URLSearchParams({ error, error_description: description });
      if (errorCode) fragment.set('error_code', errorCode);
      fragment.set('sb', '');
      back.hash = fragment.toString();
      redirect(res, back.toString());
    };

    const providerError = q.get('error');
    if (providerError) return fail(providerError, q.get('error_description') ?? '');
    const code = q.get('code');
    if (!code) {
      return fail(
        'invalid_request',
        'OAuth callback with missing authorization code missing',
        'bad_oauth_callback',
      );
    }
    const account = this.github.exchange(code);
    if (!account)
      return fail('server_error', `Unable to exchange external code: ${code}`, 'unexpected_failure');
    if (this.settings.disableSignup && !(await gitHubUserExists(ctx.adminPool, account))) {
      return fail('access_denied', 'Signups not allowed for this instance', 'signup_disabled');
    }
    const user = await upsertGitHubUser(ctx.adminPool, account);
    if (this.settings.allowEveryAccount) await allowAccount(ctx.adminPool, account.login);
    flow.userId = user.id;
    flow.authCode = randomUUID();
    flow.providerToken = `gho_${randomBytes(18).toString('hex')}`;
    back.searchParams.set('code', flow.authCode);
    redirect(res, back.toString());
  }

  private async token(req: IncomingMessage, res: ServerResponse, ctx: StandInContext): Promise<void> {
    const grantType = ctx.url.searchParams.get('grant_type');
    const body = await readParams(req, ctx);
    if (grantType === 'pkce') {
      const authCode = str(body.auth_code);
      const verifier = str(body.code_verifier);
      if (!authCode || !verifier) {
        throw new AuthHttpError(
          400,
          'validation_failed',
          'invalid request: both auth code and code verifier should be non-empty',
        );
      }
      const flow = [...this.flows.values()].find((f) => f.authCode === authCode);
      if (!flow?.userId)
        throw new AuthHttpError(404, 'flow_state_not_found', 'invalid flow state, no valid flow state found');
      if (this.isExpired(flow)) {
        throw new AuthHttpError(422, 'flow_state_expired', 'invalid flow state, flow state has expired');
      }
      const user = await findUser(ctx.adminPool, flow.userId);
      if (!user) throw new AuthHttpError(404, 'user_not_found', 'User not found');
      if (!verifyPkce(flow, verifier)) {
        throw new AuthHttpError(
          400,
          'bad_code_verifier',
          'code challenge does not match previously saved code verifier',
        );
      }
      this.flows.delete(flow.id);
      this.counters.pkceExchanges++;
      const session: Session = { id: randomUUID(), userId: user.id };
      this.sessions.set(session.id, session);
      const refresh = this.newRefreshToken(session.id, null);
      return sendJson(res, 200, {
        ...this.tokenResponse(ctx, user, session, refresh.token),
        provider_token: flow.providerToken,
      });
    }
    if (grantType === 'refresh_token') {
      const given = str(body.refresh_token);
      if (!given) throw new AuthHttpError(400, 'validation_failed', 'Refresh token is not valid');
      const token = this.refreshTokens.get(given);
      if (!token) {
        throw new AuthHttpError(
          400,
          'refresh_token_not_found',
          'Invalid Refresh Token: Refresh Token Not Found',
        );
      }
      const session = this.sessions.get(token.sessionId);
      if (!session) {
        this.refreshTokens.delete(given);
        throw new AuthHttpError(400, 'session_not_found', 'Invalid Refresh Token: No Valid Session Found');
      }
      const user = await findUser(ctx.adminPool, session.userId);
      if (!user)
        throw new AuthHttpError(
          400,
          'refresh_token_not_found',
          'Invalid Refresh Token: Refresh Token Not Found',
        );
      let issued: string | undefined;
      if (token.revoked) {
        const active = [...this.refreshTokens.values()].find((t) => t.sessionId === session.id && !t.revoked);
        if (active && active.parent === token.token) {
          // The client lost the response of its last refresh: hand back the active token, as Supabase Auth does.
          issued = active.token;
        } else if (Date.now() > token.updatedAt + this.settings.refreshTokenReuseIntervalSeconds * 1000) {
          this.revokeFamily(token);
          throw new AuthHttpError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
        }
      }
      if (!issued) {
        token.revoked = true;
        token.updatedAt = Date.now();
        issued = this.newRefreshToken(session.id, token.token).token;
      }
      this.counters.refreshes++;
      return sendJson(res, 200, this.tokenResponse(ctx, user, session, issued));
    }
    throw new AuthHttpError(400, 'invalid_credentials', 'unsupported_grant_type');
  }

  private async logout(req: IncomingMessage, res: ServerResponse, ctx: StandInContext): Promise<void> {
    const scope = ctx.url.searchParams.get('scope') ?? '';
    if (!['', 'global', 'local', 'others'].includes(scope)) {
      throw new AuthHttpError(400, 'validation_failed', `Unsupported logout scope "${scope}"`);
    }
    const { user, session } = await this.authenticate(req, ctx);
    for (const s of [...this.sessions.values()]) {
      if (s.userId !== user.id) continue;
      const ends = scope === 'local' ? s.id === session.id : scope === 'others' ? s.id !== session.id : true;
      if (ends) this.endSession(s.id);
    }
    this.counters.logouts++;
    res.writeHead(204);
    res.end();
  }

  /** `requireAuthentication` + `maybeLoadUserOrSession` of Supabase Auth. */
  private async authenticate(
    req: IncomingMessage,
    ctx: StandInContext,
  ): Promise<{ user: AuthUser; session: Session }> {
    const match = /^bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
    if (!match?.[1])
      throw new AuthHttpError(401, 'no_authorization', 'This endpoint requires a valid Bearer token');
    let claims: Record<string, unknown>;
    try {
      // Signature and shape only (no skew allowance): expiry is checked below as Supabase Auth does.
      claims = verifyJwt(match[1], ctx.jwtSecret, 0);
    } catch (error) {
      const reason =
        error instanceof JwtError && error.code === 'PGRST301'
          ? 'token signature is invalid: signature is invalid'
          : 'token is malformed';
      throw new AuthHttpError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${reason}`);
    }
    if (typeof claims.exp === 'number' && claims.exp <= Date.now() / 1000) {
      throw new AuthHttpError(
        403,
        'bad_jwt',
        'invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired',
      );
    }
    if (typeof claims.sub !== 'string' || !claims.sub) {
      throw new AuthHttpError(403, 'bad_jwt', 'invalid claim: missing sub claim');
    }
    const user = await findUser(ctx.adminPool, claims.sub);
    if (!user) throw new AuthHttpError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
    const session = typeof claims.session_id === 'string' ? this.sessions.get(claims.session_id) : undefined;
    if (!session) {
      throw new AuthHttpError(
        403,
        'session_not_found',
        'Session from session_id claim in JWT does not exist',
      );
    }
    return { user, session };
  }

  private tokenResponse(ctx: StandInContext, user: AuthUser, session: Session, refreshToken: string) {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = this.settings.accessTokenTtlSeconds;
    const accessToken = signJwt(
      {
        iss: `${ctx.baseUrl}/auth/v1`,
        sub: user.id,
        aud: 'authenticated',
        exp: now + expiresIn,
        iat: now,
        email: user.email,
        phone: '',
        app_metadata: user.app_metadata,
        user_metadata: user.user_metadata,
        role: 'authenticated',
        aal: 'aal1',
        amr: [{ method: 'oauth', timestamp: now }],
        session_id: session.id,
        is_anonymous: false,
      },
      ctx.jwtSecret,
    );
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: expiresIn,
      expires_at: now + expiresIn,
      refresh_token: refreshToken,
      user,
    };
  }

  private newRefreshToken(sessionId: string, parent: string | null): RefreshToken {
    const token: RefreshToken = {
      token: randomBytes(9).toString('base64url'),
      sessionId,
      parent,
      revoked: false,
      updatedAt: Date.now(),
    };
    this.refreshTokens.set(token.token, token);
    return token;
  }

  private revokeFamily(token: RefreshToken): void {
    // Revoking the family of a reused token ends its session: every later refresh fails.
    for (const t of this.refreshTokens.values()) if (t.sessionId === token.sessionId) t.revoked = true;
    this.endSession(token.sessionId);
  }

  private endSession(sessionId: string): void {
    this.sessions.delete(sessionId);
    for (const [key, t] of this.refreshTokens) if (t.sessionId === sessionId) this.refreshTokens.delete(key);
  }

  private isExpired(flow: FlowState): boolean {
    return Date.now() > flow.createdAt + this.settings.flowStateExpirySeconds * 1000;
  }
}

const InvalidPkceParams = 'PKCE flow requires code_challenge_method and code_challenge';

function verifyPkce(flow: FlowState, verifier: string): boolean {
  if (flow.codeChallengeMethod === 'plain') return flow.codeChallenge === verifier;
  return createHash('sha256').update(verifier).digest('base64url') === flow.codeChallenge;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Token requests carry JSON (supabase-js) or a form body (OAuth clients). */
async function readParams(req: IncomingMessage, ctx: StandInContext): Promise<Record<string, unknown>> {
  const raw = (await ctx.body()).toString('utf8');
  if (!raw) return {};
  const type = header(req, 'content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new AuthHttpError(400, 'bad_json', 'Could not parse request body as JSON');
  }
}
