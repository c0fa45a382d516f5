-- Who may write, and the caps of private.limits (docs/sync-protocol.md, "Limits and bounds").
begin;
select plan(12);

insert into auth.users (id, aud, role, email) values
  ('33333333-3333-4333-8333-333333333333', 'authenticated', 'authenticated', 'owner@example.com'),
  ('44444444-4444-4444-8444-444444444444', 'authenticated', 'authenticated', 'stranger@example.com');
insert into auth.identities (provider_id, user_id, identity_data, provider) values
  ('3', '33333333-3333-4333-8333-333333333333', '{"user_name": "Owner"}', 'github'),
  ('4', '44444444-4444-4444-8444-444444444444', '{"user_name": "stranger"}', 'github');

set local role authenticated;
set local request.jwt.claims = '{"sub": "33333333-3333-4333-8333-333333333333", "role": "authenticated"}';
select is(public.upsert_profile() ->> 'githubLogin', 'Owner', 'the first account to register gets its profile');
select is(public.access_list() -> 0 ->> 'role', 'owner', '... and owns the project');
select is(public.sync_limits() ->> 'maxRecordBytes', '4194304', 'sync_limits returns the caps');
select throws_ok(
  $$select public.sync_summary(array_fill('t'::text, array[101]))$$, '54000', null,
  'a table list over max_array_items is refused');
select throws_ok(
  $$select public.sync_push('{"deviceId": "d", "records": [{"table": "turns", "id": "t", "version": 1,
     "updatedAt": "9999-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d", "payload": {}}]}')$$,
  '22008', null, 'an updatedAt far in the future is refused');
select throws_ok(
  $$select public.sync_push('{"deviceId": "d", "records": [{"table": "turns", "id": "t", "version": 10001,
     "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d", "payload": {}}]}')$$,
  '22003', null, 'a version more than max_version_step above the stored one is refused');
select throws_ok(
  $$select public.register_machine(repeat('m', 201), 'd', 'name')$$, '54000', null,
  'a machine id over max_id_chars is refused');

set local request.jwt.claims = '{"sub": "44444444-4444-4444-8444-444444444444", "role": "authenticated"}';
select throws_ok($$select public.upsert_profile()$$, 'PT403', null, 'a stranger cannot register');
select throws_ok(
  $$select public.sync_push('{"deviceId": "d", "records": [{"table": "turns", "id": "t", "version": 1,
     "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d", "payload": {}}]}')$$,
  'PT403', null, 'a stranger cannot push');
select throws_ok($$select public.access_allow('stranger')$$, 'PT403', null, 'a stranger cannot allow itself');

set local request.jwt.claims = '{"sub": "33333333-3333-4333-8333-333333333333", "role": "authenticated"}';
select is(public.access_allow('Stranger') ->> 'githubLogin', 'stranger', 'the owner allows the login');
set local request.jwt.claims = '{"sub": "44444444-4444-4444-8444-444444444444", "role": "authenticated"}';
select is(
  jsonb_array_length(public.sync_push('{"deviceId": "d", "records": [{"table": "turns", "id": "t", "version": 1,
     "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d", "payload": {}}]}') -> 'accepted'),
  1, 'once allowed, the account writes');

select * from finish();
rollback;
