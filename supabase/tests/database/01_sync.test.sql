-- The sync functions as the API roles call them: conflict rule, idempotent replay, isolation, anon.
begin;
select plan(16);

insert into auth.users (id, aud, role, email, raw_user_meta_data) values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'alice@example.com', '{"user_name": "alice"}'),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'bob@example.com', '{"user_name": "bob"}');
-- Both may write (what `agentlogs access allow` records).
insert into private.allowed_users (github_login, user_id) values
  ('alice', '11111111-1111-4111-8111-111111111111'), ('bob', '22222222-2222-4222-8222-222222222222');

set local role authenticated;
set local request.jwt.claims = '{"sub": "11111111-1111-4111-8111-111111111111", "role": "authenticated"}';

select is(
  public.sync_push('{"deviceId": "d1", "records": [
    {"table": "turns", "id": "t1", "version": 1, "updatedAt": "2026-01-01T00:00:00.000Z", "deletedAt": null,
     "deviceId": "d1", "payload": {"role": "user", "content": "hello", "input_tokens": 3}}]}'),
  '{"accepted": [{"table": "turns", "id": "t1", "version": 1, "changeSeq": 1}], "rejected": []}'::jsonb,
  'a new record is accepted with change_seq 1');

select is(
  public.sync_push('{"deviceId": "d1", "records": [
    {"table": "turns", "id": "t1", "version": 1, "updatedAt": "2026-01-01T00:00:00+00:00", "deletedAt": null,
     "deviceId": "d1", "payload": {"role": "user", "content": "hello", "input_tokens": 3}}]}') -> 'accepted',
  '[{"table": "turns", "id": "t1", "version": 1, "changeSeq": 1}]'::jsonb,
  'replaying the same write is accepted with the stored change_seq');

select is(
  (public.sync_push('{"deviceId": "d2", "records": [
    {"table": "turns", "id": "t1", "version": 2, "updatedAt": "2026-01-01T00:01:00.000Z", "deletedAt": null,
     "deviceId": "d2", "payload": {"role": "user", "content": "edited"}}]}') -> 'accepted' -> 0 ->> 'changeSeq')::int,
  2, 'a higher version wins with a new change_seq');

select is(
  public.sync_push('{"deviceId": "d3", "records": [
    {"table": "turns", "id": "t1", "version": 1, "updatedAt": "2026-06-30T00:00:00.000Z", "deletedAt": null,
     "deviceId": "zz", "payload": {"content": "stale"}}]}') #>> '{rejected,0,winner,payload,content}',
  'edited', 'a stale version is rejected with the winning copy');

select is(
  (public.sync_push('{"deviceId": "d4", "records": [
    {"table": "turns", "id": "t1", "version": 2, "updatedAt": "2026-01-01T00:01:00.000Z", "deletedAt": null,
     "deviceId": "d9", "payload": {"content": "tie broken by device id"}}]}') -> 'accepted' -> 0 ->> 'changeSeq')::int,
  3, 'equal version and time: the higher device id wins');

select is(
  (public.sync_pull(0, 10)::jsonb -> 'records' -> 0 ->> 'version')::int, 2, 'pull returns the winning version');
select is((public.sync_pull(0, 10)::jsonb ->> 'nextCursor')::int, 3, 'the cursor follows change_seq');
select is((public.sync_pull(3, 10)::jsonb -> 'records'), '[]'::jsonb, 'nothing after the last change_seq');
select is(
  public.sync_summary(array['turns']) -> 0 ->> 'count', '1', 'summary counts the live record');

select throws_ok(
  $$select public.sync_push('{"deviceId": "d", "records": [{"table": "no_such_table", "id": "x", "version": 1,
    "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d", "payload": {}}]}')$$,
  '42P01', null, 'an unknown table fails the batch');
select throws_ok(
  $$select public.sync_push('{"deviceId": "d", "records": [{"table": "turns", "id": "x", "version": 1,
    "updatedAt": "yesterday", "deletedAt": null, "deviceId": "d", "payload": {}}]}')$$,
  '22007', null, 'a time that is not ISO-8601 fails the batch');

set local request.jwt.claims = '{"sub": "22222222-2222-4222-8222-222222222222", "role": "authenticated"}';
select is(public.sync_pull(0, 10)::jsonb -> 'records', '[]'::jsonb, 'another user pulls none of alice''s records');
select is((select count(*)::int from public.turns), 0, 'another user reads no turns rows');
select throws_ok($$delete from public.turns$$, '42501', null, 'another user cannot delete through the table');

reset role;
set local role anon;
select throws_ok($$select public.sync_pull(0, 10)$$, '42501', null, 'anon cannot pull');
select throws_ok($$select * from public.turns$$, '42501', null, 'anon cannot read turns');

select * from finish();
rollback;
