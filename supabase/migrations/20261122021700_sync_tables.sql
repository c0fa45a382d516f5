-- agentlogs: the synced tables and their row-level security.
--
-- Every synced table carries the sync envelope: (user_id, id) is the primary key, so a retried or
-- duplicated push of the same record can never create a second row; `version`, `updated_at` and
-- `device_id` order the versions of a record (the conflict rule); `deleted_at` marks a tombstone;
-- `change_seq` is the per-user, commit-ordered sequence number the pull cursor follows; `synced_at` is
-- the server time of the last accepted write (the tombstone purge horizon counts from it); `purged_at`
-- marks a tombstone whose payload was purged: it leaves pulls and summaries but keeps its key and
-- version stamp, so a stale write of the record is still rejected.
--
-- Clients never write these tables directly: `sync_push` and the other functions in
-- 20261122021800_sync_functions.sql are the only write path. `authenticated` may read its own rows.

create schema if not exists private;
comment on schema private is 'agentlogs internals; not exposed through the API';
revoke all on schema private from public;

-- One row per user: the change_seq counter (locked by every write, which serialises a user's pushes in
-- commit order) and the purge watermark.
create table private.sync_state (
  user_id uuid primary key references auth.users (id) on delete cascade,
  last_seq bigint not null default 0,
  oldest_retained_seq bigint not null default 0
);

-- The tables sync_push / sync_pull / sync_summary serve, in push order (parents first).
create table private.synced_tables (
  name text primary key,
  push_order integer not null unique
);
insert into private.synced_tables (name, push_order) values
  ('machines', 1),
  ('projects', 2),
  ('sessions', 3),
  ('cognitive_commits', 4),
  ('turns', 5),
  ('visuals', 6);

create table public.user_profiles (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null default 1 check (version >= 1),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  device_id text collate "C" not null default 'server',
  change_seq bigint not null default 0,
  synced_at timestamptz not null default now(),
  github_login text,
  email text,
  display_name text,
  avatar_url text,
  primary key (user_id, id)
);

create table public.machines (
  user_id uuid not null references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null check (version >= 1),
  updated_at timestamptz not null,
  deleted_at timestamptz,
  device_id text collate "C" not null,
  change_seq bigint not null,
  synced_at timestamptz not null default now(),
  purged_at timestamptz,
  machine_id text,
  name text,
  hostname text,
  platform text,
  last_seen_at timestamptz,
  primary key (user_id, id)
);

create table public.projects (
  user_id uuid not null references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null check (version >= 1),
  updated_at timestamptz not null,
  deleted_at timestamptz,
  device_id text collate "C" not null,
  change_seq bigint not null,
  synced_at timestamptz not null default now(),
  purged_at timestamptz,
  machine_id text,
  path text,
  name text,
  primary key (user_id, id)
);

create table public.sessions (
  user_id uuid not null references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null check (version >= 1),
  updated_at timestamptz not null,
  deleted_at timestamptz,
  device_id text collate "C" not null,
  change_seq bigint not null,
  synced_at timestamptz not null default now(),
  purged_at timestamptz,
  machine_id text,
  source text,
  native_id text,
  project_id text,
  cwd text,
  started_at timestamptz,
  ended_at timestamptz,
  title text,
  commit_id text,
  primary key (user_id, id)
);

create table public.cognitive_commits (
  user_id uuid not null references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null check (version >= 1),
  updated_at timestamptz not null,
  deleted_at timestamptz,
  device_id text collate "C" not null,
  change_seq bigint not null,
  synced_at timestamptz not null default now(),
  purged_at timestamptz,
  machine_id text,
  session_id text,
  project_id text,
  project_name text,
  git_hash text,
  started_at timestamptz,
  closed_at timestamptz,
  closed_by text,
  parallel integer,
  files_read text,
  files_changed text,
  published integer,
  hidden integer,
  display_order integer,
  title text,
  source text,
  primary key (user_id, id)
);

create table public.turns (
  user_id uuid not null references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null check (version >= 1),
  updated_at timestamptz not null,
  deleted_at timestamptz,
  device_id text collate "C" not null,
  change_seq bigint not null,
  synced_at timestamptz not null default now(),
  purged_at timestamptz,
  machine_id text,
  session_id text,
  commit_id text,
  role text,
  content text,
  "timestamp" timestamptz,
  tool_calls text,
  triggers_visual integer,
  model text,
  message_id text,
  request_id text,
  is_sidechain integer,
  agent_id text,
  cwd text,
  input_tokens bigint,
  output_tokens bigint,
  cache_creation_tokens bigint,
  cache_creation_1h_tokens bigint,
  cache_read_tokens bigint,
  reasoning_tokens bigint,
  cost_usd double precision,
  speed text,
  primary key (user_id, id)
);

create table public.visuals (
  user_id uuid not null references auth.users (id) on delete cascade,
  id text collate "C" not null,
  version integer not null check (version >= 1),
  updated_at timestamptz not null,
  deleted_at timestamptz,
  device_id text collate "C" not null,
  change_seq bigint not null,
  synced_at timestamptz not null default now(),
  purged_at timestamptz,
  machine_id text,
  commit_id text,
  type text,
  path text,
  captured_at timestamptz,
  caption text,
  cloud_url text,
  primary key (user_id, id)
);

-- The pull cursor's index (also serves the RLS filter on user_id, as does the primary key), and the
-- purge's: tombstones by server arrival time.
create unique index user_profiles_user_seq on public.user_profiles (user_id, change_seq) where change_seq > 0;
create unique index machines_user_seq on public.machines (user_id, change_seq);
create unique index projects_user_seq on public.projects (user_id, change_seq);
create unique index sessions_user_seq on public.sessions (user_id, change_seq);
create unique index cognitive_commits_user_seq on public.cognitive_commits (user_id, change_seq);
create unique index turns_user_seq on public.turns (user_id, change_seq);
create unique index visuals_user_seq on public.visuals (user_id, change_seq);
create index machines_tombstones on public.machines (synced_at) where deleted_at is not null and purged_at is null;
create index projects_tombstones on public.projects (synced_at) where deleted_at is not null and purged_at is null;
create index sessions_tombstones on public.sessions (synced_at) where deleted_at is not null and purged_at is null;
create index cognitive_commits_tombstones on public.cognitive_commits (synced_at) where deleted_at is not null and purged_at is null;
create index turns_tombstones on public.turns (synced_at) where deleted_at is not null and purged_at is null;
create index visuals_tombstones on public.visuals (synced_at) where deleted_at is not null and purged_at is null;

-- Row-level security: each user reads only their own rows; nobody writes through the table API.
alter table private.sync_state enable row level security;
alter table private.synced_tables enable row level security;
alter table public.user_profiles enable row level security;
alter table public.machines enable row level security;
alter table public.projects enable row level security;
alter table public.sessions enable row level security;
alter table public.cognitive_commits enable row level security;
alter table public.turns enable row level security;
alter table public.visuals enable row level security;

create policy "own sync state" on private.sync_state for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "synced tables are listed" on private.synced_tables for select to authenticated using (true);
create policy "own profile" on public.user_profiles for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "own machines" on public.machines for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "own projects" on public.projects for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "own sessions" on public.sessions for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "own cognitive commits" on public.cognitive_commits for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "own turns" on public.turns for select to authenticated
  using ((select auth.uid()) = user_id);
create policy "own visuals" on public.visuals for select to authenticated
  using ((select auth.uid()) = user_id);

-- Grants: Supabase grants everything in `public` to anon and authenticated by default; take it back.
revoke all on public.user_profiles, public.machines, public.projects, public.sessions,
  public.cognitive_commits, public.turns, public.visuals from anon, authenticated, public;
grant select on public.user_profiles, public.machines, public.projects, public.sessions,
  public.cognitive_commits, public.turns, public.visuals to authenticated;
grant all on public.user_profiles, public.machines, public.projects, public.sessions,
  public.cognitive_commits, public.turns, public.visuals to service_role;
grant usage on schema private to authenticated, service_role;
grant select on private.sync_state, private.synced_tables to authenticated;
grant all on private.sync_state, private.synced_tables to service_role;
