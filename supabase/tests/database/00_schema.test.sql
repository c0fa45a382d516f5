-- The schema's shape and its security: tables, row-level security, policies, grants, functions.
begin;
select plan(27);

select tables_are('public',
  array['user_profiles', 'machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals'],
  'public holds exactly the synced tables and the profiles');

select is(
  (select count(*)::int from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity),
  0, 'row-level security is on for every table in public');

select policies_are('public', 'turns', array['own turns']);
select policies_are('public', 'sessions', array['own sessions']);
select policies_are('public', 'user_profiles', array['own profile']);
select policy_roles_are('public', 'turns', 'own turns', array['authenticated']);
select policy_cmd_is('public', 'turns', 'own turns'::name, 'select', 'the turns policy only reads');

select col_is_pk('public', 'turns', array['user_id', 'id'], 'a retried push cannot duplicate a turn');
select col_is_pk('public', 'machines', array['user_id', 'id'], 'one machines row per user and id');
select has_index('public', 'turns', 'turns_user_seq', array['user_id', 'change_seq'], 'pull cursor index');
select has_index('public', 'sessions', 'sessions_user_seq', array['user_id', 'change_seq']);

select table_privs_are('public', 'turns', 'anon', array[]::text[], 'anon has no rights on turns');
select table_privs_are('public', 'turns', 'authenticated', array['SELECT'], 'authenticated may only read turns');
select table_privs_are('public', 'user_profiles', 'anon', array[]::text[]);

select has_function('public', 'sync_push', array['jsonb']);
select has_function('public', 'sync_pull', array['bigint', 'integer']);
select has_function('public', 'sync_summary', array['text[]']);
select has_function('public', 'register_machine', array['text', 'text', 'text', 'text', 'text']);
select has_function('public', 'upsert_profile', array[]::text[]);
select has_function('public', 'purge_tombstones', array['interval']);

select function_privs_are('public', 'sync_push', array['jsonb'], 'anon', array[]::text[]);
select function_privs_are('public', 'sync_pull', array['bigint', 'integer'], 'anon', array[]::text[]);
select function_privs_are('public', 'sync_push', array['jsonb'], 'authenticated', array['EXECUTE']);
select function_privs_are('public', 'purge_tombstones', array['interval'], 'authenticated', array[]::text[]);
select function_privs_are('public', 'purge_tombstones', array['interval'], 'service_role', array['EXECUTE']);

select is(
  (select count(*)::int from pg_proc p
    where p.prosecdef and p.pronamespace <> 'private'::regnamespace
      and p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)),
  0, 'SECURITY DEFINER functions live only in the private schema');
select is(
  (select count(*)::int from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and not coalesce(p.proconfig @> array['search_path=""'], false)),
  0, 'every function pins search_path to empty');

select * from finish();
rollback;
