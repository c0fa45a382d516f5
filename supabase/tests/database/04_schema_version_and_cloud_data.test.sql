-- The schema version a client checks, and removing one account's records (docs/sync-protocol.md).
begin;
select plan(8);

insert into auth.users (id, aud, role, email) values
  ('55555555-5555-4555-8555-555555555555', 'authenticated', 'authenticated', 'leaver@example.com'),
  ('66666666-6666-4666-8666-666666666666', 'authenticated', 'authenticated', 'stayer@example.com');
insert into public.machines (user_id, id, version, updated_at, device_id, change_seq, name) values
  ('55555555-5555-4555-8555-555555555555', 'm-leaver', 1, now(), 'd1', 1, 'leaver'),
  ('66666666-6666-4666-8666-666666666666', 'm-stayer', 1, now(), 'd2', 1, 'stayer');
insert into public.sessions (user_id, id, version, updated_at, device_id, change_seq, machine_id) values
  ('55555555-5555-4555-8555-555555555555', 's-leaver', 1, now(), 'd1', 2, 'm-leaver');

set local role anon;
select throws_ok($$select public.agentlogs_schema()$$, '42501', null, 'anon cannot read the schema version');
select throws_ok($$select public.delete_my_cloud_data()$$, '42501', null, 'anon cannot delete anything');

set local role authenticated;
set local request.jwt.claims = '{"sub": "55555555-5555-4555-8555-555555555555", "role": "authenticated"}';
select ok(
  (public.agentlogs_schema() -> 'versions') ? '20261204230000',
  'agentlogs_schema lists the applied migrations, this one included');
select is(
  public.agentlogs_schema() ->> 'latest',
  public.agentlogs_schema() -> 'versions' ->> -1,
  'latest is the newest applied version');
select is(
  (public.delete_my_cloud_data() ->> 'sessions')::int, 1, 'delete_my_cloud_data reports the rows it removed');

reset role;
select is((select count(*)::int from public.machines where user_id = '55555555-5555-4555-8555-555555555555'), 0,
  'every row of the caller is gone');
select is((select count(*)::int from public.sessions where user_id = '55555555-5555-4555-8555-555555555555'), 0,
  '... in every synced table');
select is((select count(*)::int from public.machines where user_id = '66666666-6666-4666-8666-666666666666'), 1,
  'another account keeps its rows');

select * from finish();
rollback;
