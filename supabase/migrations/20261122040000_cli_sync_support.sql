-- agentlogs: functions behind `agentlogs push|pull|sync --dry-run` and `agentlogs machines`.
--
--   sync_push_preview(batch jsonb) -> jsonb     what sync_push would decide for a batch, per table, writing nothing
--   sync_pull_preview(cursor bigint) -> jsonb   records a pull from `cursor` would receive, per table
--   sync_machine_seen(machine_id, outcome) -> jsonb   records that a machine finished a sync (no change_seq)
--   sync_machines() -> jsonb                    the caller's machines with their last finished sync
--
-- The previews read with the caller's rights (row-level security applies) and decide with the same rule as
-- private.apply_push: a record is taken when the server has no row for its id or when it beats the stored
-- version (a higher version; at equal versions the earlier updated_at, truncated to milliseconds; at equal
-- times the greater device_id); an equal stamp is the same write replayed (accepted again, nothing changes);
-- anything else loses to the server's copy.

-- When each machine of a user last finished a sync. Not a synced table: it changes on every sync of every
-- machine and would otherwise make each sync write a record.
create table private.machine_syncs (
  user_id uuid not null references auth.users (id) on delete cascade,
  machine_id text not null,
  last_sync_at timestamptz not null,
  last_outcome jsonb not null default '{}'::jsonb,
  primary key (user_id, machine_id)
);
alter table private.machine_syncs enable row level security;
create policy "own machine syncs" on private.machine_syncs for select to authenticated
  using ((select auth.uid()) = user_id);
grant select on private.machine_syncs to authenticated;
grant all on private.machine_syncs to service_role;

create function public.sync_push_preview(batch jsonb) returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  records jsonb := batch -> 'records';
  tbl text;
  part jsonb;
  result jsonb := '[]';
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
                 and (r.version, t.updated_at, r."deviceId" collate "C")
                     > (t.version, date_trunc('milliseconds', r."updatedAt"), t.device_id)),
               'same', count(*) filter (where t.id is not null
                 and (r.version, date_trunc('milliseconds', r."updatedAt"), r."deviceId" collate "C")
                     = (t.version, t.updated_at, t.device_id)),
               'serverWins', count(*) filter (where t.id is not null
                 and (r.version, t.updated_at, r."deviceId" collate "C")
                     < (t.version, date_trunc('milliseconds', r."updatedAt"), t.device_id)))
        from jsonb_to_recordset($1) as r("table" text, id text, version integer, "updatedAt" timestamptz,
                                         "deviceId" text)
        left join public.%1$I t on t.user_id = $2 and t.id = r.id
       where r."table" = %1$L
    $sql$, tbl)
    using records, uid
    into part;
    result := result || jsonb_build_array(part);
  end loop;
  return result;
end;
$$;
comment on function public.sync_push_preview(jsonb) is
  'What sync_push would decide for a batch, without writing: per table {table, new, update, same, serverWins}.';

create function public.sync_pull_preview(cursor bigint) returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  after_seq bigint := $1;
  tbl text;
  live bigint;
  dead bigint;
  tables jsonb := '[]';
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
comment on function public.sync_pull_preview(bigint) is
  'Records a pull from cursor would receive, per table {table, live, deleted}, plus lastSeq and whether a full resync would run.';

create function private.machine_seen(p_machine_id text, p_outcome jsonb) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  seen timestamptz := now();
begin
  if uid is null then
    raise exception 'sync_machine_seen needs a signed-in user' using errcode = '42501';
  end if;
  if p_machine_id is null or p_machine_id = '' or length(p_machine_id) > 100 then
    raise exception 'sync_machine_seen: machine_id must be 1 to 100 characters' using errcode = '22023';
  end if;
  insert into private.machine_syncs as m (user_id, machine_id, last_sync_at, last_outcome)
  values (uid, p_machine_id, seen, coalesce(p_outcome, '{}'::jsonb))
  on conflict (user_id, machine_id) do update
     set last_sync_at = excluded.last_sync_at, last_outcome = excluded.last_outcome;
  return jsonb_build_object('machineId', p_machine_id, 'lastSyncAt', private.iso(seen));
end;
$$;

create function public.sync_machine_seen(machine_id text, outcome jsonb default '{}'::jsonb) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.machine_seen(machine_id, outcome)
$$;
comment on function public.sync_machine_seen(text, jsonb) is
  'Records that the caller''s machine finished a sync now (shown by agentlogs machines); writes no synced record.';

create function public.sync_machines() returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  result jsonb;
begin
  if uid is null then
    raise exception 'sync_machines needs a signed-in user' using errcode = '42501';
  end if;
  select coalesce(jsonb_agg(jsonb_build_object(
           'machineId', k.machine_id,
           'name', m.name,
           'hostname', m.hostname,
           'platform', m.platform,
           'lastSyncAt', private.iso(s.last_sync_at),
           'lastOutcome', s.last_outcome) order by k.machine_id), '[]'::jsonb)
    into result
    from (select m0.id as machine_id from public.machines m0
           where m0.user_id = uid and m0.deleted_at is null
          union
          select s0.machine_id from private.machine_syncs s0 where s0.user_id = uid) as k
    left join public.machines m on m.user_id = uid and m.id = k.machine_id and m.deleted_at is null
    left join private.machine_syncs s on s.user_id = uid and s.machine_id = k.machine_id;
  return result;
end;
$$;
comment on function public.sync_machines() is
  'The caller''s machines (synced machines rows and machines that reported a sync) with their last finished sync.';

revoke all on function private.machine_seen(text, jsonb) from public, anon;
grant execute on function private.machine_seen(text, jsonb) to authenticated;
grant execute on function private.iso(timestamptz) to authenticated;
revoke all on function public.sync_push_preview(jsonb), public.sync_pull_preview(bigint),
  public.sync_machine_seen(text, jsonb), public.sync_machines() from public, anon, authenticated;
grant execute on function public.sync_push_preview(jsonb), public.sync_pull_preview(bigint),
  public.sync_machine_seen(text, jsonb), public.sync_machines() to authenticated;

-- Realtime hint for `agentlogs sync --watch`: every accepted push updates the caller's row of private.sync_state
-- (last_seq), so a subscription to its changes (row-level security: own row only) tells a watching machine to pull
-- now instead of at its next 30 s pull. Only a hint: nothing is read from the event. Projects without Realtime's
-- publication (plain Postgres) skip this.
do $$
begin
  if exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime')
     and not exists (select 1 from pg_catalog.pg_publication_tables
                      where pubname = 'supabase_realtime' and schemaname = 'private' and tablename = 'sync_state') then
    alter publication supabase_realtime add table private.sync_state;
  end if;
end;
$$;
