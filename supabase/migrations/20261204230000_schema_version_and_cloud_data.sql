-- agentlogs: the schema version a client checks, and removing a user's records from the project.
--
-- agentlogs_schema() lists the migrations applied to this database, as the Supabase CLI (and `agentlogs schema
-- apply`, which records them the same way) keeps them in supabase_migrations.schema_migrations. A client compares
-- it with the migrations it ships and, when some are missing, names the command that applies them. Like every
-- function here it is not anon's to call: before a login, `agentlogs setup` reads the versions from the database
-- itself (with the database URL it needs to apply them anyway), or learns from the anon key alone only that the
-- function exists (refused) or not (unknown to the API).
--
-- delete_my_cloud_data() removes every synced record and the profile of the signed-in user (`agentlogs sync
-- disable --delete-cloud-data`). The records of other users, the user's place in private.allowed_users (who may
-- write is the owner's decision, not data) and the user's change counter in private.sync_state (so that the pull
-- cursors of the user's other machines stay valid for what they push later) are kept.

create function private.schema_versions() returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  versions jsonb;
begin
  if to_regclass('supabase_migrations.schema_migrations') is null then
    return jsonb_build_object('versions', '[]'::jsonb, 'latest', null);
  end if;
  execute 'select coalesce(jsonb_agg(version order by version), ''[]''::jsonb)
             from supabase_migrations.schema_migrations'
    into versions;
  return jsonb_build_object('versions', versions, 'latest', versions ->> (jsonb_array_length(versions) - 1));
end;
$$;

create function public.agentlogs_schema() returns jsonb
language sql stable security invoker
set search_path = ''
as $$
  select private.schema_versions()
$$;
comment on function public.agentlogs_schema() is
  'The migration versions applied to this database (supabase_migrations.schema_migrations), oldest first.';

create function private.delete_cloud_data() returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  t record;
  removed bigint;
  counts jsonb := '{}'::jsonb;
begin
  if uid is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  -- Serialises with the user's pushes, which take the same lock.
  perform private.lock_sync_state(uid);
  -- Children first, so no row ever points at a removed parent.
  for t in select name from private.synced_tables order by push_order desc loop
    execute format('delete from public.%I where user_id = $1', t.name) using uid;
    get diagnostics removed = row_count;
    counts := counts || jsonb_build_object(t.name, removed);
  end loop;
  delete from public.user_profiles where user_id = uid;
  get diagnostics removed = row_count;
  counts := counts || jsonb_build_object('user_profiles', removed);
  delete from private.machine_syncs where user_id = uid;
  get diagnostics removed = row_count;
  counts := counts || jsonb_build_object('machine_syncs', removed);
  return counts;
end;
$$;

create function public.delete_my_cloud_data() returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.delete_cloud_data()
$$;
comment on function public.delete_my_cloud_data() is
  'Removes every synced record, the profile and the machine sync times of the signed-in user; returns the rows removed per table.';

revoke all on function private.schema_versions() from public, anon;
grant execute on function private.schema_versions() to authenticated, service_role;
revoke all on function public.agentlogs_schema() from public, anon;
grant execute on function public.agentlogs_schema() to authenticated, service_role;

revoke all on function private.delete_cloud_data() from public, anon;
grant execute on function private.delete_cloud_data() to authenticated;
revoke all on function public.delete_my_cloud_data() from public, anon;
grant execute on function public.delete_my_cloud_data() to authenticated;
