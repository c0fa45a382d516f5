-- agentlogs: who may write, and the limits every function keeps (docs/sync-protocol.md, "Limits and bounds";
-- docs/decisions/0083-allowed-writers-and-server-limits.md).
--
-- Who may write. Row-level security keeps users apart but cannot stop a stranger who signs in to the project
-- (sign-ups are on for a fresh project) from writing rows of their own. Every function that writes now checks
-- the caller against private.allowed_users next to auth.uid(): the first account that calls upsert_profile
-- (that is, the first `agentlogs login`) owns the project; the owner allows others by GitHub login
-- (access_allow / access_deny / access_list). Anyone else gets SQLSTATE PT403 (HTTP 403) and writes nothing.
-- The writing definer functions of earlier migrations are no longer executable by `authenticated`: the public
-- entry points now go through the checked definer functions below.
--
-- Limits. Every byte and row cap is one row of private.limits; the functions read it, and sync_limits()
-- returns it so the client keeps the same caps. A call over a cap fails with SQLSTATE 54000 naming the cap
-- (a value out of bounds: 22003 for versions, 22008 for times).
--
-- The pull is redefined to bound each page in bytes as well as rows, so this migration ends with
-- `select private.define_sync_pull();` (decision 0043).

-- ---------------------------------------------------------------------------------------------------------
-- Limits
-- ---------------------------------------------------------------------------------------------------------

create table private.limits (
  singleton boolean primary key default true check (singleton),
  -- A record's payload, measured as its JSON text.
  max_record_bytes integer not null check (max_record_bytes > 0),
  -- One sync_push call.
  max_batch_rows integer not null check (max_batch_rows > 0),
  max_batch_bytes integer not null check (max_batch_bytes > 0),
  -- One sync_pull page: rows, and bytes of records after which no further record is added (at least one).
  pull_page_rows integer not null check (pull_page_rows > 0),
  pull_page_bytes integer not null check (pull_page_bytes > 0),
  -- Record ids, device ids, machine ids (characters).
  max_id_chars integer not null check (max_id_chars between 1 and 1000),
  -- Machine name, hostname, platform (characters).
  max_name_chars integer not null check (max_name_chars > 0),
  -- The outcome a machine reports with sync_machine_seen (JSON text bytes).
  max_outcome_bytes integer not null check (max_outcome_bytes > 0),
  -- Elements of an array argument (sync_summary's table list).
  max_array_items integer not null check (max_array_items > 0),
  -- A pushed version may exceed the stored one (0 for a new record) by at most this much ...
  max_version_step integer not null check (max_version_step > 0),
  -- ... and never exceed this (int4 with room left for the server's own bumps).
  max_version integer not null check (max_version > 0),
  -- updatedAt, deletedAt and time fields of payloads: not before this, not later than now() + max_future.
  min_time timestamptz not null,
  max_future interval not null
);
alter table private.limits enable row level security;
create policy "limits are public to users" on private.limits for select to authenticated using (true);
grant select on private.limits to authenticated;
grant all on private.limits to service_role;

insert into private.limits (max_record_bytes, max_batch_rows, max_batch_bytes, pull_page_rows, pull_page_bytes,
                            max_id_chars, max_name_chars, max_outcome_bytes, max_array_items, max_version_step,
                            max_version, min_time, max_future)
values (4194304, 10000, 16777216, 10000, 8388608,
        200, 200, 16384, 100, 10000,
        2130706431, '2000-01-01T00:00:00Z', interval '1 day');

comment on table private.limits is
  'The caps every sync function keeps (one row); sync_limits() returns them to the client. Change them with an update as service_role.';

create function public.sync_limits() returns jsonb
language sql stable security invoker
set search_path = ''
as $$
  select jsonb_build_object(
           'maxRecordBytes', l.max_record_bytes, 'maxBatchRows', l.max_batch_rows,
           'maxBatchBytes', l.max_batch_bytes, 'pullPageRows', l.pull_page_rows,
           'pullPageBytes', l.pull_page_bytes, 'maxIdChars', l.max_id_chars, 'maxNameChars', l.max_name_chars,
           'maxOutcomeBytes', l.max_outcome_bytes, 'maxArrayItems', l.max_array_items,
           'maxVersionStep', l.max_version_step, 'maxVersion', l.max_version,
           'minTime', private.iso(l.min_time), 'maxFutureSeconds', extract(epoch from l.max_future)::bigint)
    from private.limits l
$$;
comment on function public.sync_limits() is
  'The server''s caps (bytes, rows, lengths, version and time bounds) that the client keeps too.';

-- Whether a text is an ISO-8601 time with a zone (Postgres alone would also take 'epoch', 'infinity', 'now').
create function private.is_iso_time(value text) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select value ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$'
$$;

-- A time as the sync API accepts it: ISO-8601 with a zone, within [min_time, now() + max_future].
-- Null when it is acceptable, otherwise why not. A plain SQL CASE (no exception block, so no subtransaction per
-- call): the cast runs only on ISO-shaped text; an impossible date (February 30) fails the cast with 22008.
create function private.time_problem(value text, lim private.limits) returns text
language sql stable
set search_path = ''
as $$
  select case
           when value is null then null
           when not private.is_iso_time(value) then 'is not an ISO-8601 time with a time zone'
           when value::timestamptz < lim.min_time or value::timestamptz > now() + lim.max_future
             then format('is outside %s .. now + %s', private.iso(lim.min_time), lim.max_future)
         end
$$;

-- PostgREST's db-pre-request: runs before every API call, in its transaction and with the caller's role, before
-- the arguments are parsed. A body larger than max_batch_bytes (by its Content-Length) is refused here, in
-- milliseconds, instead of costing the database seconds of JSON parsing (a 100 MB body would reach the
-- statement timeout first). Every role runs it, anon included, so it lives alone in a schema of its own (not
-- exposed through the API) and grants anon nothing in public or private: as a definer it reads the cap itself.
create schema agentlogs_hooks;
revoke all on schema agentlogs_hooks from public;
grant usage on schema agentlogs_hooks to anon, authenticated, service_role;

create function agentlogs_hooks.check_request() returns void
language plpgsql stable security definer
set search_path = ''
as $$
declare
  declared text := current_setting('request.headers', true)::json ->> 'content-length';
  cap integer;
begin
  if declared is null or declared !~ '^\d{1,18}$' then
    return;
  end if;
  select l.max_batch_bytes into cap from private.limits l;
  if declared::bigint > cap then
    raise exception 'the request has % bytes; at most % (max_batch_bytes)', declared, cap
      using errcode = '54000', hint = 'Split it into smaller requests (sync_limits() gives the caps).';
  end if;
end;
$$;
revoke all on function agentlogs_hooks.check_request() from public;
grant execute on function agentlogs_hooks.check_request() to anon, authenticated, service_role;

do $$
begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    alter role authenticator set pgrst.db_pre_request = 'agentlogs_hooks.check_request';
    notify pgrst, 'reload config';
  end if;
end;
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Who may write
-- ---------------------------------------------------------------------------------------------------------

create table private.allowed_users (
  -- Lower-case GitHub login (or `user:<uuid>` for an account without a GitHub identity).
  github_login text primary key check (github_login = lower(github_login) and length(github_login) between 1 and 64),
  -- Bound at the account's first write; from then on the account, not the login, is what is allowed.
  user_id uuid unique references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'member')),
  added_at timestamptz not null default now(),
  added_by uuid references auth.users (id) on delete set null
);
create unique index allowed_users_one_owner on private.allowed_users (role) where role = 'owner';
alter table private.allowed_users enable row level security;
-- No policy for authenticated: the list is read through access_list().
grant all on private.allowed_users to service_role;

-- The GitHub login of a user, from the identity Supabase Auth keeps (not from user metadata, which the user
-- can change).
create function private.github_login(uid uuid) returns text
language sql stable security definer
set search_path = ''
as $$
  select coalesce(lower(coalesce(i.identity_data ->> 'user_name', i.identity_data ->> 'preferred_username')),
                  'user:' || uid::text)
    from (select uid) as u
    left join auth.identities i on i.user_id = uid and i.provider = 'github'
   order by i.last_sign_in_at desc nulls last
   limit 1
$$;

-- Raises unless the caller may write: 42501 when nobody is signed in, PT403 when the account is not allowed.
create function private.require_writer(uid uuid) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  login text;
begin
  if uid is null then
    raise exception 'this call needs a signed-in user' using errcode = '42501';
  end if;
  if exists (select 1 from private.allowed_users a where a.user_id = uid) then
    return;
  end if;
  login := private.github_login(uid);
  update private.allowed_users a set user_id = uid where a.github_login = login and a.user_id is null;
  if found then
    return;
  end if;
  raise exception 'this account (%) may not write to this agentlogs project', login
    using errcode = 'PT403',
          hint = 'Ask the project owner to run: agentlogs access allow ' || login;
end;
$$;

-- Existing projects: the account that signed in first (its profile is the oldest) owns the project.
insert into private.allowed_users (github_login, user_id, role)
select private.github_login(p.user_id), p.user_id, 'owner'
  from public.user_profiles p
  join auth.users u on u.id = p.user_id
 order by u.created_at, p.user_id
 limit 1;

create function private.checked_upsert_profile() returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  login text;
begin
  if uid is null then
    raise exception 'upsert_profile needs a signed-in user' using errcode = '42501';
  end if;
  -- The first account to get here owns the project.
  lock table private.allowed_users in share row exclusive mode;
  if not exists (select 1 from private.allowed_users a where a.role = 'owner') then
    login := private.github_login(uid);
    insert into private.allowed_users as a (github_login, user_id, role, added_by)
    values (login, uid, 'owner', uid)
    on conflict (github_login) do update set user_id = excluded.user_id, role = 'owner';
  end if;
  perform private.require_writer(uid);
  return private.upsert_profile();
end;
$$;

create or replace function public.upsert_profile() returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.checked_upsert_profile()
$$;

create function private.require_owner(uid uuid) returns void
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if uid is null then
    raise exception 'this call needs a signed-in user' using errcode = '42501';
  end if;
  if not exists (select 1 from private.allowed_users a where a.user_id = uid and a.role = 'owner') then
    raise exception 'only the owner of this agentlogs project manages who may write'
      using errcode = 'PT403', hint = 'Run this as the account that logged in first.';
  end if;
end;
$$;

create function private.access_row(a private.allowed_users) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('githubLogin', a.github_login, 'role', a.role, 'signedIn', a.user_id is not null,
                            'addedAt', private.iso(a.added_at))
$$;

create function private.access_list() returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  perform private.require_owner(uid);
  return (select coalesce(jsonb_agg(private.access_row(a) order by a.role desc, a.github_login), '[]'::jsonb)
            from private.allowed_users a);
end;
$$;

create function private.access_allow(p_login text) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  row private.allowed_users;
begin
  perform private.require_owner(uid);
  if p_login is null or p_login !~ '^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$' then
    raise exception 'access_allow: "%" is not a GitHub login', left(coalesce(p_login, ''), 64)
      using errcode = '22023', hint = 'A GitHub login has 1 to 39 letters, digits and single hyphens.';
  end if;
  insert into private.allowed_users as a (github_login, role, added_by)
  values (lower(p_login), 'member', uid)
  on conflict (github_login) do nothing;
  select * into strict row from private.allowed_users a where a.github_login = lower(p_login);
  return private.access_row(row);
end;
$$;

create function private.access_deny(p_login text) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  perform private.require_owner(uid);
  if exists (select 1 from private.allowed_users a where a.github_login = lower(p_login) and a.role = 'owner') then
    raise exception 'access_deny: the owner cannot be denied' using errcode = '22023';
  end if;
  delete from private.allowed_users a where a.github_login = lower(p_login);
  return found;
end;
$$;

create function public.access_list() returns jsonb
language sql stable security invoker set search_path = ''
as $$ select private.access_list() $$;
comment on function public.access_list() is
  'Owner only: the accounts allowed to write, [{githubLogin, role, signedIn, addedAt}].';

create function public.access_allow(github_login text) returns jsonb
language sql volatile security invoker set search_path = ''
as $$ select private.access_allow(access_allow.github_login) $$;
comment on function public.access_allow(text) is
  'Owner only: allows the GitHub account to write (its first write binds the account); returns its entry.';

create function public.access_deny(github_login text) returns boolean
language sql volatile security invoker set search_path = ''
as $$ select private.access_deny(access_deny.github_login) $$;
comment on function public.access_deny(text) is
  'Owner only: the GitHub account may no longer write (its records stay); true if it was allowed.';

-- ---------------------------------------------------------------------------------------------------------
-- sync_push: who, caps, bounds; then private.apply_push (the conflict rule) unchanged
-- ---------------------------------------------------------------------------------------------------------

create function private.checked_push(batch jsonb) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  lim private.limits;
  records jsonb;
  n integer;
  tbl text;
  bad text;
  problem text;
  why text;
begin
  perform private.require_writer(uid);
  select * into strict lim from private.limits;
  if pg_column_size(batch) > lim.max_batch_bytes then
    raise exception 'sync_push: the batch has % bytes; at most % (max_batch_bytes)', pg_column_size(batch),
                    lim.max_batch_bytes
      using errcode = '54000', hint = 'Split the push into smaller batches (sync_limits() gives the caps).';
  end if;
  records := batch -> 'records';
  if records is null or jsonb_typeof(records) <> 'array' then
    return private.apply_push(batch);
  end if;
  n := jsonb_array_length(records);
  if n > lim.max_batch_rows then
    raise exception 'sync_push: % records in one batch; at most % (max_batch_rows)', n, lim.max_batch_rows
      using errcode = '54000', hint = 'Split the push into smaller batches (sync_limits() gives the caps).';
  end if;

  -- The envelope of each record: id lengths, payload size, version and times in bounds.
  select coalesce(e.value ->> 'table', '?') || '/' || left(coalesce(e.value ->> 'id', '?'), 80), c.problem, c.why
    into bad, problem, why
    from jsonb_array_elements(records) as e(value)
    cross join lateral (
      select case
               when length(e.value ->> 'id') > lim.max_id_chars
                 or length(e.value ->> 'deviceId') > lim.max_id_chars then 'id'
               when octet_length((e.value -> 'payload')::text) > lim.max_record_bytes then 'size'
               when jsonb_typeof(e.value -> 'version') = 'number'
                and (e.value ->> 'version')::numeric > lim.max_version then 'version'
               -- A time that is not ISO-8601 at all is private.apply_push's to refuse (22007).
               when private.is_iso_time(e.value ->> 'updatedAt')
                and private.time_problem(e.value ->> 'updatedAt', lim) is not null then 'time'
               when private.is_iso_time(e.value ->> 'deletedAt')
                and private.time_problem(e.value ->> 'deletedAt', lim) is not null then 'time'
             end as problem,
             coalesce(private.time_problem(e.value ->> 'updatedAt', lim),
                      private.time_problem(e.value ->> 'deletedAt', lim)) as why) as c
   where c.problem is not null
   limit 1;
  if problem = 'id' then
    raise exception 'sync_push: record % has an id or deviceId over % characters (max_id_chars)', bad, lim.max_id_chars
      using errcode = '54000';
  elsif problem = 'size' then
    raise exception 'sync_push: record % has a payload over % bytes (max_record_bytes)', bad, lim.max_record_bytes
      using errcode = '54000', hint = 'The record is too large to sync; it stays on this machine.';
  elsif problem = 'version' then
    raise exception 'sync_push: record % has a version over % (max_version)', bad, lim.max_version
      using errcode = '22003';
  elsif problem = 'time' then
    raise exception 'sync_push: record % has an updatedAt or deletedAt that %', bad, why
      using errcode = '22008';
  end if;

  -- Time fields inside payloads.
  select coalesce(e.value ->> 'table', '?') || '/' || left(coalesce(e.value ->> 'id', '?'), 80) || ' field ' || t.col,
         private.time_problem(e.value -> 'payload' ->> t.col, lim)
    into bad, why
    from jsonb_array_elements(records) as e(value)
    join (select s.name, c.column_name as col
            from private.synced_tables s
            cross join lateral private.payload_columns(s.name) as c
           where c.is_timestamp) as t on t.name = e.value ->> 'table'
   where jsonb_typeof(e.value -> 'payload' -> t.col) = 'string'
     and private.time_problem(e.value -> 'payload' ->> t.col, lim) is not null
   limit 1;
  if found then
    if why like 'is not an ISO%' then
      raise exception 'sync_push: record % %', bad, why using errcode = '22007';
    end if;
    raise exception 'sync_push: record % %', bad, why using errcode = '22008';
  end if;

  -- Versions grow by a bounded step over what the server holds.
  for tbl in
    select distinct e.value ->> 'table' from jsonb_array_elements(records) as e(value)
     where exists (select 1 from private.synced_tables s where s.name = e.value ->> 'table')
  loop
    execute format($sql$
      select r."table" || '/' || left(r.id, 80)
        from jsonb_to_recordset($1) as r("table" text, id text, version numeric)
        left join lateral (select t.version from public.%1$I t
                            where t.user_id = $2 and t.id = r.id collate "C" offset 0) as t on true
       where r."table" = %1$L and r.version > coalesce(t.version, 0) + $3
       limit 1
    $sql$, tbl)
    using records, uid, lim.max_version_step
    into bad;
    if bad is not null then
      raise exception 'sync_push: record % jumps more than % versions over the server''s copy (max_version_step)',
                      bad, lim.max_version_step
        using errcode = '22003';
    end if;
  end loop;

  return private.apply_push(batch);
end;
$$;

create or replace function public.sync_push(batch jsonb) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.checked_push(batch)
$$;

-- ---------------------------------------------------------------------------------------------------------
-- register_machine, sync_machine_seen, sync_summary
-- ---------------------------------------------------------------------------------------------------------

create function private.checked_register_machine(
  p_machine_id text, p_device_id text, p_name text, p_hostname text, p_platform text
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  lim private.limits;
begin
  perform private.require_writer(auth.uid());
  select * into strict lim from private.limits;
  if length(p_machine_id) > lim.max_id_chars or length(p_device_id) > lim.max_id_chars then
    raise exception 'register_machine: machine_id and device_id have at most % characters (max_id_chars)',
                    lim.max_id_chars
      using errcode = '54000';
  end if;
  if length(p_name) > lim.max_name_chars or length(p_hostname) > lim.max_name_chars
     or length(p_platform) > lim.max_name_chars then
    raise exception 'register_machine: name, hostname and platform have at most % characters (max_name_chars)',
                    lim.max_name_chars
      using errcode = '54000';
  end if;
  return private.register_machine(p_machine_id, p_device_id, p_name, p_hostname, p_platform);
end;
$$;

create or replace function public.register_machine(
  machine_id text, device_id text, name text, hostname text default null, platform text default null
) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.checked_register_machine(register_machine.machine_id, register_machine.device_id,
                                          register_machine.name, register_machine.hostname,
                                          register_machine.platform)
$$;

create function private.checked_machine_seen(p_machine_id text, p_outcome jsonb) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  lim private.limits;
begin
  perform private.require_writer(auth.uid());
  select * into strict lim from private.limits;
  if length(p_machine_id) > lim.max_id_chars then
    raise exception 'sync_machine_seen: machine_id has at most % characters (max_id_chars)', lim.max_id_chars
      using errcode = '54000';
  end if;
  if pg_column_size(p_outcome) > lim.max_outcome_bytes then
    raise exception 'sync_machine_seen: the outcome is over % bytes (max_outcome_bytes)', lim.max_outcome_bytes
      using errcode = '54000';
  end if;
  return private.machine_seen(p_machine_id, p_outcome);
end;
$$;

create or replace function public.sync_machine_seen(machine_id text, outcome jsonb default '{}'::jsonb)
returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.checked_machine_seen(machine_id, outcome)
$$;

-- sync_summary: the table list is capped before any table is counted.
alter function public.sync_summary(text[]) rename to sync_summary_unchecked;
alter function public.sync_summary_unchecked(text[]) set schema private;
create function public.sync_summary(tables text[]) returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  max_items integer := (select l.max_array_items from private.limits l);
begin
  if cardinality(tables) > max_items then
    raise exception 'sync_summary: % tables asked for; at most % (max_array_items)', cardinality(tables), max_items
      using errcode = '54000';
  end if;
  return private.sync_summary_unchecked(tables);
end;
$$;
comment on function public.sync_summary(text[]) is
  'Per requested table (at most max_array_items): live records, tombstones, and the sum mod 2^32 of the first 32 bits of md5(table:id:version:0) over live records.';

-- ---------------------------------------------------------------------------------------------------------
-- sync_pull: pages bounded in rows and bytes
-- ---------------------------------------------------------------------------------------------------------

create or replace function private.define_sync_pull() returns void
language plpgsql volatile
set search_path = ''
as $define$
declare
  keys_sql text;
  records_sql text;
begin
  select string_agg(
           format('(select t.change_seq from public.%I t '
                  'where t.user_id = uid and t.change_seq > after_seq and t.purged_at is null '
                  'order by t.change_seq limit page_size + 1)', s.name),
           ' union all ' order by s.push_order),
         string_agg(
           format('(select t.change_seq, %2$s as rec from public.%1$I t '
                  'where t.user_id = uid and t.change_seq > after_seq and t.change_seq <= page_end '
                  'and t.purged_at is null order by t.change_seq)',
                  s.name, private.record_json_sql(s.name, 't', 'json')),
           ' union all ' order by s.push_order)
    into keys_sql, records_sql
    from private.synced_tables s;

  execute format($fn$
    create or replace function public.sync_pull(cursor bigint, lim integer) returns json
    language plpgsql stable security invoker
    set search_path = ''
    set enable_hashjoin = off
    set enable_mergejoin = off
    set enable_seqscan = off
    set enable_bitmapscan = off
    as $body$
    declare
      uid uuid := auth.uid();
      after_seq bigint := cursor;
      page_size integer;
      page_bytes integer;
      page_end bigint;
      last_kept bigint;
      more boolean;
      cut boolean;
      oldest bigint;
      recs json;
    begin
      if uid is null then
        raise exception 'sync_pull needs a signed-in user' using errcode = '42501';
      end if;
      if after_seq is null or after_seq < 0 then
        raise exception 'sync_pull: cursor must be an integer >= 0' using errcode = '22023';
      end if;
      select least(lim, l.pull_page_rows), l.pull_page_bytes into page_size, page_bytes from private.limits l;
      if page_size is null or page_size < 1 then
        raise exception 'sync_pull: lim must be at least 1' using errcode = '22023';
      end if;
      select coalesce(max(s.oldest_retained_seq), 0) into oldest from private.sync_state s where s.user_id = uid;

      select max(k.change_seq) filter (where k.rn <= page_size), count(*) > page_size
        into page_end, more
        from (select a.change_seq, row_number() over (order by a.change_seq) as rn
                from (select u.change_seq from (%1$s) as u order by u.change_seq limit page_size + 1) as a) as k;

      if page_end is null then
        return json_build_object('records', '[]'::json, 'nextCursor', after_seq, 'hasMore', false,
                                 'oldestRetainedSeq', oldest);
      end if;
      -- Records in change_seq order while the bytes before each stay under pull_page_bytes (at least one).
      select json_agg(q.rec order by q.change_seq) filter (where q.before < page_bytes),
             max(q.change_seq) filter (where q.before < page_bytes),
             count(*) filter (where q.before >= page_bytes) > 0
        into recs, last_kept, cut
        from (select p.change_seq, p.rec,
                     coalesce(sum(octet_length(p.rec::text)) over (order by p.change_seq
                                rows between unbounded preceding and 1 preceding), 0) as before
                from (%2$s) as p) as q;
      return json_build_object('records', recs, 'nextCursor', last_kept, 'hasMore', more or cut,
                               'oldestRetainedSeq', oldest);
    end;
    $body$
  $fn$, keys_sql, records_sql);
end;
$define$;

-- ---------------------------------------------------------------------------------------------------------
-- Execution rights
-- ---------------------------------------------------------------------------------------------------------

-- The writers of earlier migrations are reached only through the checked functions above.
revoke execute on function private.apply_push(jsonb), private.register_machine(text, text, text, text, text),
  private.upsert_profile(), private.machine_seen(text, jsonb) from authenticated;

revoke all on function private.is_iso_time(text), private.time_problem(text, private.limits), private.github_login(uuid),
  private.require_writer(uuid), private.require_owner(uuid), private.access_row(private.allowed_users),
  private.checked_upsert_profile(), private.access_list(), private.access_allow(text), private.access_deny(text),
  private.checked_push(jsonb), private.checked_register_machine(text, text, text, text, text),
  private.checked_machine_seen(text, jsonb) from public, anon;
grant execute on function private.time_problem(text, private.limits), private.access_row(private.allowed_users),
  private.checked_upsert_profile(), private.access_list(), private.access_allow(text), private.access_deny(text),
  private.checked_push(jsonb), private.checked_register_machine(text, text, text, text, text),
  private.checked_machine_seen(text, jsonb) to authenticated;

revoke all on function public.sync_limits(), public.access_list(), public.access_allow(text),
  public.access_deny(text), public.sync_summary(text[])
  from public, anon, authenticated;
grant execute on function public.sync_limits(), public.access_list(), public.access_allow(text),
  public.access_deny(text), public.sync_summary(text[]) to authenticated;

select private.define_sync_pull();
