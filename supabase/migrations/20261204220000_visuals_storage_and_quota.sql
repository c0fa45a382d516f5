-- agentlogs: screenshots in Supabase Storage, the footprint of a user's data, pruning old text
-- (docs/sync-protocol.md, "Visuals in Storage" and "Footprint and pruning";
-- docs/decisions/0094-visuals-in-storage-and-quota.md).
--
-- Visuals. Images found in transcripts become `visuals` records linked to their turn (`turn_id`, `session_id`)
-- and named by their content (`sha256`, `media_type`, `byte_size`). The bytes go to the private bucket
-- `visuals` under `<user id>/<sha256>.<ext>`; the policies below let a signed-in user read, write and delete
-- objects of their own folder only, and write only when the account may write to the project (the same list
-- sync_push checks). A synced column is added, so sync_pull is regenerated (decision 0043).
--
-- Footprint. sync_footprint() returns what this user's rows take per table (pg_column_size of each row,
-- summed) and what their stored objects take (the sizes Storage records), which `agentlogs sync status`
-- shows against the plan.
--
-- Pruning. sync_prune(before) removes the text of this user's turns, sessions and commits older than
-- `before` and keeps every metric. The records keep their version and change_seq (no machine pulls them
-- again), and their content_state marks each removed column `withheld`, so a machine that does pull one
-- (a new machine, a full resync) never lets the emptied copy replace text it holds.

alter table public.visuals add column turn_id text;
alter table public.visuals add column session_id text;
alter table public.visuals add column sha256 text;
alter table public.visuals add column media_type text;
alter table public.visuals add column byte_size bigint;

select private.define_sync_pull();

-- ---------------------------------------------------------------------------------------------------------
-- The bucket and its policies
-- ---------------------------------------------------------------------------------------------------------

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('visuals', 'visuals', false, 20971520, array['image/png', 'image/jpeg', 'image/gif', 'image/webp'])
on conflict (id) do nothing;

-- Whether the signed-in account may write to this project (private.allowed_users, bound at its first push).
create function private.may_write() returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from private.allowed_users a where a.user_id = auth.uid())
$$;
revoke all on function private.may_write() from public, anon;
grant execute on function private.may_write() to authenticated;

create policy "visuals: owner reads" on storage.objects for select to authenticated
  using (bucket_id = 'visuals' and (storage.foldername(name))[1] = (select auth.uid()::text));
create policy "visuals: allowed owner writes" on storage.objects for insert to authenticated
  with check (bucket_id = 'visuals' and (storage.foldername(name))[1] = (select auth.uid()::text)
              and (select private.may_write()));
create policy "visuals: allowed owner replaces" on storage.objects for update to authenticated
  using (bucket_id = 'visuals' and (storage.foldername(name))[1] = (select auth.uid()::text))
  with check (bucket_id = 'visuals' and (storage.foldername(name))[1] = (select auth.uid()::text)
              and (select private.may_write()));
create policy "visuals: owner deletes" on storage.objects for delete to authenticated
  using (bucket_id = 'visuals' and (storage.foldername(name))[1] = (select auth.uid()::text));

-- ---------------------------------------------------------------------------------------------------------
-- Footprint
-- ---------------------------------------------------------------------------------------------------------

create function public.sync_footprint() returns jsonb
language plpgsql stable security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  tables jsonb := '[]'::jsonb;
  t text;
  row_count bigint;
  byte_count bigint;
  object_count bigint;
  object_bytes bigint;
begin
  if uid is null then
    raise exception 'sync_footprint needs a signed-in user' using errcode = '42501';
  end if;
  foreach t in array array['user_profiles', 'machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals']
  loop
    execute format('select count(*), coalesce(sum(pg_catalog.pg_column_size(r.*)), 0) from public.%I r '
                   'where r.user_id = $1', t)
      into row_count, byte_count using uid;
    tables := tables || jsonb_build_object('table', t, 'rows', row_count, 'bytes', byte_count);
  end loop;
  select count(*), coalesce(sum((o.metadata ->> 'size')::bigint), 0)
    into object_count, object_bytes
    from storage.objects o
   where o.bucket_id = 'visuals' and (storage.foldername(o.name))[1] = uid::text;
  return jsonb_build_object('tables', tables,
                            'storage', jsonb_build_object('bucket', 'visuals', 'objects', object_count,
                                                          'bytes', object_bytes));
end;
$$;
comment on function public.sync_footprint() is
  'This user''s rows per synced table (count, sum of pg_column_size) and objects in the visuals bucket (count, bytes).';

-- ---------------------------------------------------------------------------------------------------------
-- Pruning old text
-- ---------------------------------------------------------------------------------------------------------

-- content_state with `columns` marked withheld (null stays null when nothing is marked).
create function private.withheld(state text, columns text[]) returns text
language sql immutable
set search_path = ''
as $$
  select (coalesce(nullif(state, '')::jsonb, '{}'::jsonb)
          || (select jsonb_object_agg(c, 'withheld') from unnest(columns) as c))::text
$$;

create function private.prune_text(before timestamptz) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  turns_pruned bigint;
  sessions_pruned bigint;
  commits_pruned bigint;
begin
  perform private.require_writer(uid);
  if before is null or before > now() then
    raise exception 'sync_prune: before must be a time in the past' using errcode = '22008';
  end if;
  update public.turns t
     set content = null, tool_calls = null,
         content_state = private.withheld(t.content_state, array['content', 'tool_calls'])
   where t.user_id = uid and t."timestamp" < before and (t.content is not null or t.tool_calls is not null);
  get diagnostics turns_pruned = row_count;
  update public.sessions s
     set title = null, content_state = private.withheld(s.content_state, array['title'])
   where s.user_id = uid and s.ended_at < before and s.title is not null;
  get diagnostics sessions_pruned = row_count;
  update public.cognitive_commits c
     set title = null, files_read = null, files_changed = null,
         content_state = private.withheld(c.content_state, array['title', 'files_read', 'files_changed'])
   where c.user_id = uid and c.closed_at < before
     and (c.title is not null or c.files_read is not null or c.files_changed is not null);
  get diagnostics commits_pruned = row_count;
  return jsonb_build_object('turns', turns_pruned, 'sessions', sessions_pruned, 'cognitive_commits', commits_pruned);
end;
$$;

create function public.sync_prune(before timestamptz) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.prune_text(before)
$$;
comment on function public.sync_prune(timestamptz) is
  'Removes the text of this user''s turns, sessions and commits older than `before` (metrics stay); the columns are marked withheld in content_state.';

revoke all on function private.withheld(text, text[]), private.prune_text(timestamptz) from public, anon;
grant execute on function private.withheld(text, text[]), private.prune_text(timestamptz) to authenticated;
revoke all on function public.sync_footprint(), public.sync_prune(timestamptz) from public, anon, authenticated;
grant execute on function public.sync_footprint(), public.sync_prune(timestamptz) to authenticated;
