import type { GitHubAccount } from './github.js';

/** The slice of `pg.Pool` the Auth stand-in uses. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** A row of `auth.users`, as Supabase Auth returns it in token responses and from `GET /user`. */
export interface AuthUser {
  id: string;
  aud: string;
  role: string;
  email: string;
  email_confirmed_at: string | null;
  phone: string;
  confirmed_at: string | null;
  last_sign_in_at: string | null;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: Array<Record<string, unknown>>;
  created_at: string;
  updated_at: string;
  is_anonymous: boolean;
}

interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  email_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
}

const COLUMNS =
  'id, aud, role, email, email_confirmed_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at';

/** The identity data Supabase Auth keeps for a GitHub account (`user_metadata` of the user). */
export function githubIdentityData(account: GitHubAccount): Record<string, unknown> {
  return {
    avatar_url: account.avatarUrl ?? `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
    email: account.email,
    email_verified: true,
    full_name: account.name ?? account.login,
    iss: 'https://api.github.com',
    name: account.name ?? account.login,
    phone_verified: false,
    preferred_username: account.login,
    provider_id: String(account.id),
    sub: String(account.id),
    user_name: account.login,
  };
}

/**
 * Finds the user of a GitHub identity (`auth.identities`, provider `github`) or creates user and identity, as
 * Supabase Auth does at the OAuth callback, and records the sign-in.
 */
export async function upsertGitHubUser(db: Queryable, account: GitHubAccount): Promise<AuthUser> {
  const identity = JSON.stringify(githubIdentityData(account));
  const providerId = String(account.id);
  const existing = await db.query<{ user_id: string }>(
    `update auth.identities set identity_data = $2::jsonb, last_sign_in_at = now(), updated_at = now()
      where provider = 'github' and provider_id = $1 returning user_id`,
    [providerId, identity],
  );
  let userId = existing.rows[0]?.user_id;
  if (userId) {
    await db.query(
      `update auth.users set raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || $2::jsonb,
              last_sign_in_at = now(), updated_at = now() where id = $1`,
      [userId, identity],
    );
  } else {
    const appMeta = JSON.stringify({ provider: 'github', providers: ['github'] });
    const inserted = await db.query<{ id: string }>(
      `insert into auth.users (id, aud, role, email, email_confirmed_at, confirmed_at, last_sign_in_at,
                               raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
       values (gen_random_uuid(), 'authenticated', 'authenticated', $1, now(), now(), now(), $2::jsonb, $3::jsonb, now(), now())
       returning id`,
      [account.email.toLowerCase(), appMeta, identity],
    );
    userId = inserted.rows[0]?.id;
    if (!userId) throw new Error('auth.users: insert returned no row');
    await db.query(
      `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at)
       values ($1, $2, $3::jsonb, 'github', now())`,
      [providerId, userId, identity],
    );
  }
  const user = await findUser(db, userId);
  if (!user) throw new Error('auth.users: user vanished after sign-in');
  return user;
}

/** Whether a GitHub account already has a user (sign-ups may be disabled). */
export async function gitHubUserExists(db: Queryable, account: GitHubAccount): Promise<boolean> {
  const { rows } = await db.query(
    `select 1 from auth.identities where provider = 'github' and provider_id = $1`,
    [String(account.id)],
  );
  return rows.length > 0;
}

export async function findUser(db: Queryable, id: string): Promise<AuthUser | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<UserRow>(`select ${COLUMNS} from auth.users where id = $1`, [id]);
  if (!rows[0]) return undefined;
  const identities = await db.query<IdentityRow>(
    `select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
       from auth.identities where user_id = $1 order by created_at`,
    [id],
  );
  return toAuthUser(rows[0], identities.rows);
}

interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
  email: string | null;
}

function toAuthUser(row: UserRow, identities: IdentityRow[]): AuthUser {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const userMeta = row.raw_user_meta_data ?? {};
  const created = iso(row.created_at) ?? new Date().toISOString();
  return {
    id: row.id,
    aud: row.aud ?? 'authenticated',
    role: row.role ?? 'authenticated',
    email: row.email ?? '',
    email_confirmed_at: iso(row.email_confirmed_at),
    phone: '',
    confirmed_at: iso(row.email_confirmed_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: userMeta,
    identities: identities.map((i) => ({
      identity_id: i.id,
      id: i.provider_id,
      user_id: i.user_id,
      identity_data: i.identity_data,
      provider: i.provider,
      last_sign_in_at: iso(i.last_sign_in_at),
      created_at: iso(i.created_at),
      updated_at: iso(i.updated_at),
      email: i.email ?? '',
    })),
    created_at: created,
    updated_at: iso(row.updated_at) ?? created,
    is_anonymous: false,
  };
}
