import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { signJwt } from './jwt.js';

export interface TestUserOptions {
  id?: string;
  email?: string;
  /** GitHub login stored as the identity's `user_name`. */
  githubLogin?: string;
  /** Access-token lifetime in seconds (default 3600; negative gives an expired token). */
  expiresIn?: number;
  /**
   * Whether the project allows the user to write (default true: as if the owner had run
   * `agentlogs access allow <login>`). False gives a stranger who signed in.
   */
  allowed?: boolean;
}

export interface TestUser {
  id: string;
  email: string;
  githubLogin: string;
  /** An access token as Supabase Auth issues it (HS256, `role: authenticated`). */
  accessToken: string;
}

/** The claims Supabase Auth puts in a user's access token. */
export function accessTokenClaims(
  user: { id: string; email: string; githubLogin: string },
  expiresIn = 3600,
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'supabase',
    sub: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: user.email,
    exp: now + expiresIn,
    iat: now,
    app_metadata: { provider: 'github', providers: ['github'] },
    user_metadata: { user_name: user.githubLogin, preferred_username: user.githubLogin, email: user.email },
    aal: 'aal1',
    amr: [{ method: 'oauth', timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
  };
}

/** Inserts a GitHub user into `auth.users` / `auth.identities` and mints their access token. */
export async function createTestUser(
  adminPool: pg.Pool,
  jwtSecret: string,
  options: TestUserOptions = {},
): Promise<TestUser> {
  const id = options.id ?? randomUUID();
  const githubLogin = options.githubLogin ?? `octo-${id.slice(0, 8)}`;
  const email = options.email ?? `${githubLogin}@users.noreply.github.com`;
  const githubId = String(Math.floor(Math.random() * 1e9));
  const metadata = {
    user_name: githubLogin,
    preferred_username: githubLogin,
    email,
    full_name: githubLogin,
    avatar_url: `https://avatars.githubusercontent.com/u/${githubId}`,
    provider_id: githubId,
    sub: githubId,
  };
  await adminPool.query(
    `insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at, raw_app_meta_data,
                             raw_user_meta_data, created_at, updated_at, last_sign_in_at)
     values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, now(),
             $3, $4, now(), now(), now())`,
    [id, email, { provider: 'github', providers: ['github'] }, metadata],
  );
  await adminPool.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
     values ($1, $2, $3, 'github', now())`,
    [githubId, id, metadata],
  );
  if (options.allowed !== false) await allowAccount(adminPool, githubLogin, id);
  const accessToken = signJwt(accessTokenClaims({ id, email, githubLogin }, options.expiresIn), jwtSecret);
  return { id, email, githubLogin, accessToken };
}

/**
 * Allows a GitHub login to write to the project (`private.allowed_users`, what `agentlogs access allow` does),
 * bound to `userId` when given. Does nothing on a database without that table.
 */
export async function allowAccount(
  db: { query: pg.Pool['query'] },
  githubLogin: string,
  userId?: string,
): Promise<void> {
  const { rows } = await db.query<{ present: boolean }>(
    `select to_regclass('private.allowed_users') is not null as present`,
  );
  if (!rows[0]?.present) return;
  await db.query(
    `insert into private.allowed_users (github_login, user_id) values (lower($1), $2)
     on conflict (github_login) do update set user_id = coalesce(private.allowed_users.user_id, excluded.user_id)`,
    [githubLogin, userId ?? null],
  );
}
