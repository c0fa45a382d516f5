-- agentlogs: the conflict rule, stated once.
--
-- private.beats(a, b) is the rule of docs/decisions/0030-conflict-order-and-change-seq.md: version a beats
-- version b iff a has the higher version; at equal versions iff a has the EARLIER updated_at; at equal times
-- iff a has the greater device_id (compared byte-wise, as JavaScript compares strings). An equal stamp is the
-- same write replayed, which neither beats (the functions test that identity with `=`, not with the rule).
-- Until this migration the rule was spelled out inline in private.apply_push and public.sync_push_preview;
-- both are redefined here to call private.beats, with no other change (except that sync_push_preview and
-- sync_pull_preview now type their empty jsonb arrays, which `supabase db lint` warned about). sync-core's
-- compareVersions is the same rule in TypeScript; runRemoteContract checks that the two agree.
--
-- No synced column or table changes, so sync_pull is not regenerated (decision 0043).

-- plpgsql rather than sql: a function with its own search_path is never inlined, and plpgsql evaluates the
-- comparison as a simple expression, about twice as fast per call as a non-inlined sql function.
create function private.beats(
  a_version integer, a_updated_at timestamptz, a_device_id text,
  b_version integer, b_updated_at timestamptz, b_device_id text
) returns boolean
language plpgsql immutable parallel safe
set search_path = ''
as $$
begin
  return (a_version, b_updated_at, a_device_id collate "C") > (b_version, a_updated_at, b_device_id collate "C");
end;
$$;
comment on function private.beats(integer, timestamptz, text, integer, timestamptz, text) is
  'The conflict rule: true iff version stamp a beats b (higher version; then earlier updated_at; then greater device_id).';

revoke all on function private.beats(integer, timestamptz, text, integer, timestamptz, text) from public, anon;
grant execute on function private.beats(integer, timestamptz, text, integer, timestamptz, text)
  to authenticated, service_role;

-- Existing rows are looked up one by one on the primary key (lateral subqueries, and planner settings
-- that rule out the alternatives): while a bulk push has left the table's statistics behind, the planner
-- would otherwise scan all of a user's rows for every batch and make a large first sync quadratic.
create or replace function private.apply_push(batch jsonb) returns jsonb
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
            or private.beats(i.version, i.updated_at, i.device_id, t.version, t.updated_at, t.device_id)
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

-- The dry run of `agentlogs push|sync --dry-run`: the same rule as the push.
create or replace function public.sync_push_preview(batch jsonb) returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  records jsonb := batch -> 'records';
  tbl text;
  part jsonb;
  result jsonb := '[]'::jsonb;
begin
  if uid is null then
    raise exception 'sync_push_preview needs a signed-in user' using errcode = '42501';
  end if;
  if records is null or jsonb_typeof(records) <> 'array' then
    raise exception 'sync_push_preview: the batch must be {"deviceId": …, "records": [ … ]}' using errcode = '22023';
  end if;
  if jsonb_array_length(records) > 10000 then
    raise exception 'sync_push_preview: % records in one batch; at most 10000', jsonb_array_length(records)
      using errcode = '22023', hint = 'Split the preview into smaller batches.';
  end if;
  for tbl in
    select distinct r."table" from jsonb_to_recordset(records) as r("table" text) where r."table" is not null
  loop
    if not exists (select 1 from private.synced_tables s where s.name = tbl) then
      raise exception 'sync_push_preview: unknown table "%"', tbl
        using errcode = '42P01', hint = 'Apply the latest agentlogs schema to the project (supabase db push).';
    end if;
    execute format($sql$
      select jsonb_build_object(
               'table', %1$L::text,
               'new', count(*) filter (where t.id is null),
               'update', count(*) filter (where t.id is not null
                 and private.beats(r.version, r.updated_at, r.device_id, t.version, t.updated_at, t.device_id)),
               'same', count(*) filter (where t.id is not null
                 and (r.version, r.updated_at, r.device_id) = (t.version, t.updated_at, t.device_id)),
               'serverWins', count(*) filter (where t.id is not null
                 and private.beats(t.version, t.updated_at, t.device_id, r.version, r.updated_at, r.device_id)))
        from (select q.id, q.version, date_trunc('milliseconds', q."updatedAt") as updated_at,
                     q."deviceId" collate "C" as device_id
                from jsonb_to_recordset($1) as q("table" text, id text, version integer, "updatedAt" timestamptz,
                                                 "deviceId" text)
               where q."table" = %1$L) as r
        left join public.%1$I t on t.user_id = $2 and t.id = r.id
    $sql$, tbl)
    using records, uid
    into part;
    result := result || jsonb_build_array(part);
  end loop;
  return result;
end;
$$;

-- Unchanged but for a typed empty array (`supabase db lint` warned of the implicit text-to-jsonb cast).
create or replace function public.sync_pull_preview(cursor bigint) returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  after_seq bigint := $1;
  tbl text;
  live bigint;
  dead bigint;
  tables jsonb := '[]'::jsonb;
  last bigint;
  oldest bigint;
begin
  if uid is null then
    raise exception 'sync_pull_preview needs a signed-in user' using errcode = '42501';
  end if;
  if after_seq is null or after_seq < 0 then
    raise exception 'sync_pull_preview: cursor must be an integer >= 0' using errcode = '22023';
  end if;
  select coalesce(max(s.last_seq), 0), coalesce(max(s.oldest_retained_seq), 0) into last, oldest
    from private.sync_state s where s.user_id = uid;
  -- A cursor below the purge watermark makes the client download everything again (full resync).
  if after_seq > 0 and after_seq < oldest then
    after_seq := 0;
  end if;
  for tbl in select s.name from private.synced_tables s order by s.push_order loop
    execute format($sql$
      select count(*) filter (where t.deleted_at is null), count(*) filter (where t.deleted_at is not null)
        from public.%1$I t
       where t.user_id = $1 and t.change_seq > $2 and t.purged_at is null
    $sql$, tbl)
    using uid, after_seq
    into live, dead;
    tables := tables || jsonb_build_array(jsonb_build_object('table', tbl, 'live', live, 'deleted', dead));
  end loop;
  return jsonb_build_object('cursor', after_seq, 'fullResync', after_seq <> $1, 'lastSeq', last,
                            'oldestRetainedSeq', oldest, 'tables', tables);
end;
$$;
