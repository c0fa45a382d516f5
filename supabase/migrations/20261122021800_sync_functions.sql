-- agentlogs: the sync functions (called by supabase-js `rpc()`).
--
--   sync_push(batch jsonb) -> jsonb          one transaction; the conflict rule decided here
--   sync_pull(cursor bigint, lim int) -> json a page in change_seq order, has_more, purge watermark
--   sync_summary(tables text[]) -> jsonb     per-table live count, tombstone count, checksum (verify)
--   register_machine(machine_id, device_id, name, hostname, platform) -> jsonb
--   upsert_profile() -> jsonb                the caller's profile from their GitHub identity
--   purge_tombstones(horizon interval) -> bigint   service role only (schedulable with pg_cron)
--
-- Writes happen in SECURITY DEFINER functions of the non-exposed `private` schema (search_path = ''),
-- which act for `auth.uid()` only; the `public` entry points are SECURITY INVOKER wrappers.

-- ISO-8601 UTC with milliseconds, the shape JavaScript's Date#toISOString() writes.
create function private.iso(ts timestamptz) returns text
language sql immutable parallel safe
set search_path = ''
as $$
  select to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Columns of a synced table other than the envelope (the record's payload keys).
create function private.payload_columns(table_name text)
returns table (column_name text, is_timestamp boolean, is_boolean boolean)
language sql stable
set search_path = ''
as $$
  select a.attname::text, a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype,
         a.atttypid = 'pg_catalog.bool'::pg_catalog.regtype
    from pg_catalog.pg_attribute a
   where a.attrelid = pg_catalog.to_regclass(pg_catalog.format('public.%I', table_name))
     and a.attnum > 0 and not a.attisdropped
     and a.attname not in ('user_id', 'id', 'version', 'updated_at', 'deleted_at', 'device_id', 'change_seq', 'synced_at', 'purged_at')
   order by a.attnum
$$;

-- SQL text of an expression building the ServerRecord JSON of row `alias` of `table_name`
-- (`json` or `jsonb` flavour). row_to_json over a sub-select, with timestamps formatted inline like
-- private.iso: about half the cost of json_build_object with one argument pair per column.
create function private.record_json_sql(table_name text, alias text, flavour text) returns text
language plpgsql stable
set search_path = ''
as $$
declare
  payload text;
  iso constant text := 'to_char(%I.%I at time zone ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'')';
  built text;
begin
  select coalesce(string_agg(
           case
             when c.is_timestamp then pg_catalog.format(iso || ' as %I', alias, c.column_name, c.column_name)
             when c.is_boolean then pg_catalog.format('%I.%I::integer as %I', alias, c.column_name, c.column_name)
             else pg_catalog.format('%I.%I', alias, c.column_name)
           end, ', '), '')
    into payload
    from private.payload_columns(table_name) as c;
  built := pg_catalog.format(
    '(select row_to_json(rec) from (select %L::text as "table", %I.id, %I.version, %s as "updatedAt", '
    '%s as "deletedAt", %I.device_id as "deviceId", %I.change_seq as "changeSeq", '
    '(select row_to_json(pay) from (select %s) as pay) as payload) as rec)',
    table_name, alias, alias, pg_catalog.format(iso, alias, 'updated_at'), pg_catalog.format(iso, alias, 'deleted_at'),
    alias, alias, payload);
  return case when flavour = 'jsonb' then built || '::jsonb' else built end;
end;
$$;

-- Locks the caller's counter row (creating it on first use) and returns the last assigned change_seq.
-- Every writer takes this lock, so one user's writes commit in change_seq order.
create function private.lock_sync_state(uid uuid) returns bigint
language plpgsql volatile
set search_path = ''
as $$
declare
  last bigint;
begin
  insert into private.sync_state (user_id) values (uid) on conflict (user_id) do nothing;
  select s.last_seq into strict last from private.sync_state s where s.user_id = uid for update;
  return last;
end;
$$;

-- Existing rows are looked up one by one on the primary key (lateral subqueries, and planner settings
-- that rule out the alternatives): while a bulk push has left the table's statistics behind, the planner
-- would otherwise scan all of a user's rows for every batch and make a large first sync quadratic.
create function private.apply_push(batch jsonb) returns jsonb
language plpgsql volatile security definer
set search_path = ''
set enable_hashjoin = off
set enable_mergejoin = off
set enable_seqscan = off
set enable_bitmapscan = off
as $$
declare
  uid uuid := auth.uid();
  records jsonb := batch -> 'records';
  record_count integer;
  seq bigint;
  first_seq bigint;
  entry record;
  tbl text;
  bad text;
  problem text;
  known_columns text[];
  column_list text;
  select_list text;
  update_list text;
  record_sql text;
  written bigint;
  accepted jsonb := '[]'::jsonb;
  rejected jsonb := '[]'::jsonb;
  part_accepted jsonb;
  part_rejected jsonb;
begin
  if uid is null then
    raise exception 'sync_push needs a signed-in user' using errcode = '42501';
  end if;
  if records is null or jsonb_typeof(records) <> 'array' then
    raise exception 'sync_push: the batch must be {"deviceId": …, "records": [ … ]}' using errcode = '22023';
  end if;
  record_count := jsonb_array_length(records);
  if record_count = 0 then
    return jsonb_build_object('accepted', accepted, 'rejected', rejected);
  end if;
  if record_count > 10000 then
    raise exception 'sync_push: % records in one batch; at most 10000', record_count
      using errcode = '22023', hint = 'Split the push into smaller batches.';
  end if;

  -- One pass over the envelopes. Times must be ISO-8601 with a zone: Postgres alone would also take
  -- 'yesterday', 'epoch' or a zoneless local time.
  select coalesce(r."table", '?') || '/' || coalesce(r.id, '?'),
         case
           when r."table" is null or r.id is null or r.id = '' or r.version is null or r.version < 1
             or r."updatedAt" is null or r."deviceId" is null or r."deviceId" = ''
             or jsonb_typeof(e.value -> 'payload') is distinct from 'object' then 'envelope'
           else 'time'
         end
    into bad, problem
    from jsonb_array_elements(records) as e(value)
    cross join lateral jsonb_to_record(e.value)
         as r("table" text, id text, version integer, "updatedAt" text, "deletedAt" text, "deviceId" text)
   where r."table" is null or r.id is null or r.id = '' or r.version is null or r.version < 1
      or r."updatedAt" is null or r."deviceId" is null or r."deviceId" = ''
      or jsonb_typeof(e.value -> 'payload') is distinct from 'object'
      or r."updatedAt" !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$'
      or (r."deletedAt" is not null
          and r."deletedAt" !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$')
   limit 1;
  if problem = 'envelope' then
    raise exception 'sync_push: record % needs table, a non-empty id and deviceId, version >= 1, updatedAt and a payload object', bad
      using errcode = '22023';
  elsif problem = 'time' then
    raise exception 'sync_push: record % has an updatedAt or deletedAt that is not an ISO-8601 time with a time zone', bad
      using errcode = '22007';
  end if;

  -- One pass over the keys: each (table, id) at most once, every table known.
  select g.tbl || '/' || g.id, case when g.n > 1 then 'twice' else 'table' end
    into bad, problem
    from (select r."table" as tbl, r.id, count(*) as n
            from jsonb_to_recordset(records) as r("table" text, id text)
           group by 1, 2) as g
   where g.n > 1 or not exists (select 1 from private.synced_tables s where s.name = g.tbl)
   order by g.n desc
   limit 1;
  if problem = 'twice' then
    raise exception 'sync_push: the batch holds % twice', bad
      using errcode = '21000', hint = 'Send at most one version of a record per batch.';
  elsif problem = 'table' then
    raise exception 'sync_push: unknown table "%"', split_part(bad, '/', 1)
      using errcode = '42P01', hint = 'Apply the latest agentlogs schema to the project (supabase db push).';
  end if;

  seq := private.lock_sync_state(uid);
  first_seq := seq;

  for entry in
    select t.name, t.n
      from (select e.value ->> 'table' as name, min(e.ord) as first_seen, count(*) as n
              from jsonb_array_elements(records) with ordinality as e(value, ord)
             group by 1) as t
     order by t.first_seen
  loop
    tbl := entry.name;
    select array_agg(c.column_name),
           string_agg(format('%I', c.column_name), ', '),
           string_agg(format('p.%I', c.column_name), ', '),
           string_agg(format('%1$I = excluded.%1$I', c.column_name), ', ')
      into known_columns, column_list, select_list, update_list
      from private.payload_columns(tbl) as c;

    select k.key into bad
      from jsonb_to_recordset(records) as r("table" text, payload jsonb),
           lateral jsonb_object_keys(r.payload - known_columns) as k(key)
     where r."table" = tbl
     limit 1;
    if found then
      raise exception 'sync_push: unknown column "%.%"', tbl, bad
        using errcode = '42703', hint = 'Apply the latest agentlogs schema to the project (supabase db push).';
    end if;

    execute format($sql$
      with incoming as (
        select r.id collate "C" as id, r.version, date_trunc('milliseconds', r."updatedAt") as updated_at,
               date_trunc('milliseconds', r."deletedAt") as deleted_at, r."deviceId" collate "C" as device_id, e.ord, %3$s
          from jsonb_array_elements($1) with ordinality as e(value, ord)
          cross join lateral jsonb_to_record(e.value) as r("table" text, id text, version integer,
                 "updatedAt" timestamptz, "deletedAt" timestamptz, "deviceId" text, payload jsonb)
          cross join lateral jsonb_populate_record(null::public.%1$I, r.payload) as p
         where r."table" = %1$L
      ),
      winners as (
        select i.*, row_number() over (order by i.ord) as rn
          from incoming i
          left join lateral (
                 select t.id, t.version, t.updated_at, t.device_id from public.%1$I t
                  where t.user_id = $2 and t.id = i.id offset 0) as t on true
         where t.id is null
            -- The conflict rule: higher version; at equal versions the earlier updated_at; then greater device_id.
            or (i.version, t.updated_at, i.device_id) > (t.version, i.updated_at, t.device_id)
      ),
      written as (
        insert into public.%1$I as t
               (user_id, id, version, updated_at, deleted_at, device_id, change_seq, synced_at, %2$s)
        select $2, w.id, w.version, w.updated_at, w.deleted_at, w.device_id, $3 + w.rn, now(), %5$s
          from winners w
        on conflict (user_id, id) do update
           set version = excluded.version, updated_at = excluded.updated_at,
               deleted_at = excluded.deleted_at, device_id = excluded.device_id,
               change_seq = excluded.change_seq, synced_at = excluded.synced_at, purged_at = null, %4$s
        returning t.id, t.version, t.change_seq
      )
      select count(*),
             coalesce(jsonb_agg(jsonb_build_object('table', %1$L::text, 'id', w.id, 'version', w.version,
                                                   'changeSeq', w.change_seq) order by w.change_seq), '[]'::jsonb)
        from written w
    $sql$, tbl, column_list, select_list, update_list, replace(select_list, 'p.', 'w.'))
    using records, uid, seq
    into written, part_accepted;
    seq := seq + written;
    if written = entry.n then
      -- Every record of this table won: the outcome is known without reading the rows again.
      accepted := accepted || part_accepted;
      continue;
    end if;

    record_sql := private.record_json_sql(tbl, 't', 'jsonb');
    execute format($sql$
      select coalesce(jsonb_agg(jsonb_build_object('table', %1$L::text, 'id', o.id, 'version', o.version,
                                                   'changeSeq', o.change_seq) order by o.ord)
                      filter (where o.same), '[]'::jsonb),
             coalesce(jsonb_agg(jsonb_build_object('table', %1$L::text, 'id', o.id, 'version', o.version,
                                                   'winner', o.winner) order by o.ord)
                      filter (where not o.same), '[]'::jsonb)
        from (select r.id, r.version, e.ord, t.change_seq,
                     (t.version, t.updated_at, t.device_id)
                       = (r.version, date_trunc('milliseconds', r."updatedAt"), r."deviceId" collate "C") as same,
                     case when (t.version, t.updated_at, t.device_id)
                                 = (r.version, date_trunc('milliseconds', r."updatedAt"), r."deviceId" collate "C")
                          then null else %2$s end as winner
                from jsonb_array_elements($1) with ordinality as e(value, ord)
                cross join lateral jsonb_to_record(e.value)
                       as r("table" text, id text, version integer, "updatedAt" timestamptz, "deviceId" text)
                cross join lateral (
                       select * from public.%1$I t
                        where t.user_id = $2 and t.id = r.id collate "C" offset 0) as t
               where r."table" = %1$L) as o
    $sql$, tbl, record_sql)
    using records, uid
    into part_accepted, part_rejected;
    accepted := accepted || part_accepted;
    rejected := rejected || part_rejected;
  end loop;

  if seq > first_seq then
    update private.sync_state s set last_seq = seq where s.user_id = uid;
  end if;
  return jsonb_build_object('accepted', accepted, 'rejected', rejected);
end;
$$;

create function public.sync_push(batch jsonb) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.apply_push(batch)
$$;
comment on function public.sync_push(jsonb) is
  'Applies a batch of records for the caller under the conflict rule, in one transaction. Returns {accepted: [{table,id,version,changeSeq}], rejected: [{table,id,version,winner}]}.';

-- sync_pull is generated from the catalog (the synced tables and their columns) as a function with static
-- SQL, so its plans are prepared once per connection instead of being planned on every page. A migration
-- that adds a synced column or table calls `select private.define_sync_pull();` afterwards.
create function private.define_sync_pull() returns void
language plpgsql volatile
set search_path = ''
as $define$
declare
  keys_sql text;
  records_sql text;
begin
  -- The page's last key: the lim-th lowest change_seq above the cursor over all tables (index-only work
  -- on (user_id, change_seq)), then the records of each table up to it, as JSON, in one range scan per
  -- table. change_seq is unique per user across tables, so it alone orders the page.
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
      page_size integer := least(lim, 10000);
      page_end bigint;
      more boolean;
      oldest bigint;
      page json;
    begin
      if uid is null then
        raise exception 'sync_pull needs a signed-in user' using errcode = '42501';
      end if;
      if after_seq is null or after_seq < 0 then
        raise exception 'sync_pull: cursor must be an integer >= 0' using errcode = '22023';
      end if;
      if page_size is null or page_size < 1 then
        raise exception 'sync_pull: lim must be at least 1' using errcode = '22023';
      end if;
      select coalesce(max(s.oldest_retained_seq), 0) into oldest from private.sync_state s where s.user_id = uid;

      -- A STABLE function reads every statement from the calling query's snapshot: the keys and the
      -- records below see the same rows.
      select max(k.change_seq) filter (where k.rn <= page_size), count(*) > page_size
        into page_end, more
        from (select a.change_seq, row_number() over (order by a.change_seq) as rn
                from (select u.change_seq from (%1$s) as u order by u.change_seq limit page_size + 1) as a) as k;

      if page_end is null then
        return json_build_object('records', '[]'::json, 'nextCursor', after_seq, 'hasMore', false,
                                 'oldestRetainedSeq', oldest);
      end if;
      select json_build_object(
               'records', (select json_agg(r.rec) from (select p.rec from (%2$s) as p order by p.change_seq) as r),
               'nextCursor', page_end,
               'hasMore', more,
               'oldestRetainedSeq', oldest)
        into page;
      return page;
    end;
    $body$
  $fn$, keys_sql, records_sql);
end;
$define$;

select private.define_sync_pull();

comment on function public.sync_pull(bigint, integer) is
  'Records of the caller with change_seq > cursor, ascending, at most lim (capped at 10000). Returns {records, nextCursor, hasMore, oldestRetainedSeq}.';

create function public.sync_summary(tables text[]) returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  tbl text;
  live bigint;
  dead bigint;
  checksum bigint;
  result jsonb := '[]'::jsonb;
begin
  if uid is null then
    raise exception 'sync_summary needs a signed-in user' using errcode = '42501';
  end if;
  foreach tbl in array coalesce(tables, '{}'::text[]) loop
    if not exists (select 1 from private.synced_tables s where s.name = tbl) then
      -- A table this server does not hold has no records (as in the reference model).
      result := result || jsonb_build_array(jsonb_build_object('table', tbl, 'count', 0, 'deleted', 0, 'checksum', 0));
      continue;
    end if;
    execute format($sql$
      select count(*) filter (where t.deleted_at is null),
             count(*) filter (where t.deleted_at is not null),
             coalesce(sum(('x' || left(md5(%1$L || ':' || t.id || ':' || t.version || ':0'), 8))::bit(32)::bigint)
                        filter (where t.deleted_at is null), 0) %% 4294967296
        from public.%1$I t
       where t.user_id = $1 and t.purged_at is null
    $sql$, tbl)
    using uid
    into live, dead, checksum;
    result := result || jsonb_build_array(
      jsonb_build_object('table', tbl, 'count', live, 'deleted', dead, 'checksum', checksum));
  end loop;
  return result;
end;
$$;
comment on function public.sync_summary(text[]) is
  'Per requested table: live records, tombstones, and the sum mod 2^32 of the first 32 bits of md5(table:id:version:0) over live records.';

create function private.register_machine(
  p_machine_id text, p_device_id text, p_name text, p_hostname text, p_platform text
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  seq bigint;
  result jsonb;
begin
  if uid is null then
    raise exception 'register_machine needs a signed-in user' using errcode = '42501';
  end if;
  if p_machine_id is null or p_machine_id = '' or p_device_id is null or p_device_id = '' then
    raise exception 'register_machine: machine_id and device_id are required' using errcode = '22023';
  end if;
  seq := private.lock_sync_state(uid) + 1;
  insert into public.machines as m
         (user_id, id, version, updated_at, deleted_at, device_id, change_seq, synced_at,
          machine_id, name, hostname, platform, last_seen_at)
  values (uid, p_machine_id, 1, date_trunc('milliseconds', now()), null, p_device_id, seq, now(),
          p_machine_id, p_name, p_hostname, p_platform, now())
  on conflict (user_id, id) do update
     set version = m.version + 1,
         updated_at = greatest(excluded.updated_at, m.updated_at),
         deleted_at = null,
         device_id = excluded.device_id,
         change_seq = excluded.change_seq,
         synced_at = excluded.synced_at,
         name = coalesce(excluded.name, m.name),
         hostname = coalesce(excluded.hostname, m.hostname),
         platform = coalesce(excluded.platform, m.platform),
         last_seen_at = excluded.last_seen_at;
  update private.sync_state s set last_seq = seq where s.user_id = uid;
  execute format('select %s from public.machines t where t.user_id = $1 and t.id = $2',
                 private.record_json_sql('machines', 't', 'jsonb'))
    using uid, p_machine_id
    into result;
  return result;
end;
$$;

create function public.register_machine(
  machine_id text, device_id text, name text, hostname text default null, platform text default null
) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.register_machine(register_machine.machine_id, register_machine.device_id,
                                  register_machine.name, register_machine.hostname, register_machine.platform)
$$;
comment on function public.register_machine(text, text, text, text, text) is
  'Records (or refreshes) the caller''s machine as a new version of its machines row; returns that ServerRecord.';

create function private.upsert_profile() returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  v_login text;
  v_email text;
  v_name text;
  v_avatar text;
  profile public.user_profiles;
begin
  if uid is null then
    raise exception 'upsert_profile needs a signed-in user' using errcode = '42501';
  end if;
  select coalesce(i.identity_data ->> 'user_name', i.identity_data ->> 'preferred_username',
                  u.raw_user_meta_data ->> 'user_name', u.raw_user_meta_data ->> 'preferred_username'),
         coalesce(u.email, i.identity_data ->> 'email'),
         coalesce(i.identity_data ->> 'full_name', i.identity_data ->> 'name',
                  u.raw_user_meta_data ->> 'full_name', u.raw_user_meta_data ->> 'name'),
         coalesce(i.identity_data ->> 'avatar_url', u.raw_user_meta_data ->> 'avatar_url')
    into v_login, v_email, v_name, v_avatar
    from auth.users u
    left join auth.identities i on i.user_id = u.id and i.provider = 'github'
   where u.id = uid
   order by i.last_sign_in_at desc nulls last
   limit 1;
  if not found then
    raise exception 'upsert_profile: no such user' using errcode = '42501';
  end if;
  insert into public.user_profiles as p
         (user_id, id, version, updated_at, device_id, change_seq, synced_at,
          github_login, email, display_name, avatar_url)
  values (uid, uid::text, 1, date_trunc('milliseconds', now()), 'server', 0, now(),
          v_login, v_email, v_name, v_avatar)
  on conflict (user_id, id) do update
     set version = p.version + 1, updated_at = excluded.updated_at, synced_at = excluded.synced_at,
         github_login = excluded.github_login, email = excluded.email,
         display_name = excluded.display_name, avatar_url = excluded.avatar_url
   where (p.github_login, p.email, p.display_name, p.avatar_url)
         is distinct from (excluded.github_login, excluded.email, excluded.display_name, excluded.avatar_url);
  select * into strict profile from public.user_profiles p where p.user_id = uid and p.id = uid::text;
  return jsonb_build_object('userId', profile.user_id, 'githubLogin', profile.github_login,
                            'email', profile.email, 'displayName', profile.display_name,
                            'avatarUrl', profile.avatar_url, 'version', profile.version,
                            'updatedAt', private.iso(profile.updated_at));
end;
$$;

create function public.upsert_profile() returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.upsert_profile()
$$;
comment on function public.upsert_profile() is
  'Creates or refreshes the caller''s profile from their GitHub identity; returns {userId, githubLogin, email, displayName, avatarUrl, version, updatedAt}.';

-- Purges tombstones that reached the server more than `horizon` ago, for every user: the payload is
-- dropped and the tombstone leaves pulls and summaries, but its key and version stamp stay, so a stale
-- write of the record is still rejected (with the purged tombstone as winner). Each user's purge
-- watermark (oldestRetainedSeq) rises to the highest purged change_seq. Returns how many were purged.
-- Service role only. Schedule it daily with pg_cron:
--   select cron.schedule('agentlogs-purge-tombstones', '17 3 * * *', 'select public.purge_tombstones()');
create function public.purge_tombstones(horizon interval default interval '30 days') returns bigint
language plpgsql volatile security invoker
set search_path = ''
as $$
declare
  tbl text;
  cleared text;
  purged bigint;
  total bigint := 0;
begin
  if horizon is null or horizon < interval '0' then
    raise exception 'purge_tombstones: horizon must be a non-negative interval' using errcode = '22023';
  end if;
  -- Same lock as every writer, taken in key order: no push interleaves with the purge.
  perform 1 from private.sync_state s order by s.user_id for update;
  for tbl in select s.name from private.synced_tables s order by s.push_order loop
    select string_agg(format('%I = null', c.column_name), ', ') into cleared
      from private.payload_columns(tbl) as c;
    execute format($sql$
      with gone as (
        update public.%1$I t set purged_at = now(), %2$s
         where t.deleted_at is not null and t.purged_at is null and t.synced_at <= now() - $1
        returning t.user_id, t.change_seq
      ),
      per_user as (select g.user_id, max(g.change_seq) as top, count(*) as n from gone g group by g.user_id),
      raised as (
        update private.sync_state s set oldest_retained_seq = greatest(s.oldest_retained_seq, p.top)
          from per_user p where s.user_id = p.user_id
        returning 1
      )
      select coalesce(sum(p.n), 0)::bigint from per_user p
    $sql$, tbl, cleared)
    using horizon
    into purged;
    total := total + purged;
  end loop;
  return total;
end;
$$;
comment on function public.purge_tombstones(interval) is
  'Service role: purges tombstones older than the horizon (default 30 days): payload dropped, out of pulls, version stamp kept; advances each user''s oldestRetainedSeq.';

-- Execution rights: nothing for anon (Supabase grants functions to anon by default), the sync API for
-- authenticated, the purge for service_role.
revoke all on function private.iso(timestamptz), private.payload_columns(text),
  private.record_json_sql(text, text, text), private.define_sync_pull(), private.lock_sync_state(uuid),
  private.apply_push(jsonb), private.register_machine(text, text, text, text, text), private.upsert_profile() from public, anon;
grant execute on function private.iso(timestamptz), private.payload_columns(text),
  private.record_json_sql(text, text, text), private.apply_push(jsonb),
  private.register_machine(text, text, text, text, text), private.upsert_profile() to authenticated;
grant execute on function private.iso(timestamptz), private.payload_columns(text) to service_role;

revoke all on function public.sync_push(jsonb), public.sync_pull(bigint, integer), public.sync_summary(text[]),
  public.register_machine(text, text, text, text, text), public.upsert_profile(),
  public.purge_tombstones(interval) from public, anon, authenticated;
grant execute on function public.sync_push(jsonb), public.sync_pull(bigint, integer), public.sync_summary(text[]),
  public.register_machine(text, text, text, text, text), public.upsert_profile() to authenticated;
grant execute on function public.purge_tombstones(interval) to service_role;
