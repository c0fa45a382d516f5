-- Visuals in Storage, the footprint and pruning (docs/sync-protocol.md, "Visuals in Storage",
-- "Footprint and pruning").
begin;
select plan(11);

insert into auth.users (id, aud, role, email) values
  ('55555555-5555-4555-8555-555555555555', 'authenticated', 'authenticated', 'owner@example.com'),
  ('66666666-6666-4666-8666-666666666666', 'authenticated', 'authenticated', 'stranger@example.com');
insert into auth.identities (provider_id, user_id, identity_data, provider) values
  ('5', '55555555-5555-4555-8555-555555555555', '{"user_name": "owner5"}', 'github'),
  ('6', '66666666-6666-4666-8666-666666666666', '{"user_name": "stranger6"}', 'github');

select is((select public from storage.buckets where id = 'visuals'), false, 'the visuals bucket is private');

set local role authenticated;
set local request.jwt.claims = '{"sub": "55555555-5555-4555-8555-555555555555", "role": "authenticated"}';
select is(public.upsert_profile() ->> 'githubLogin', 'owner5', 'the owner registers');
select lives_ok(
  $$insert into storage.objects (bucket_id, name, owner_id, metadata)
    values ('visuals', '55555555-5555-4555-8555-555555555555/aa.png', '55555555-5555-4555-8555-555555555555',
            '{"size": 1234, "mimetype": "image/png"}')$$,
  'the owner stores an image in their folder');
select throws_ok(
  $$insert into storage.objects (bucket_id, name, metadata)
    values ('visuals', '66666666-6666-4666-8666-666666666666/bb.png', '{"size": 1}')$$,
  '42501', null, 'not in the folder of another user');
select is(
  (public.sync_footprint() -> 'storage' ->> 'bytes')::bigint, 1234::bigint,
  'the footprint counts the owner''s stored bytes');
select is(
  jsonb_array_length(public.sync_push('{"deviceId": "d", "records": [{"table": "turns", "id": "t1", "version": 1,
     "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d",
     "payload": {"content": "old words", "timestamp": "2020-01-01T00:00:00Z", "input_tokens": 7}}]}') -> 'accepted'),
  1, 'the owner pushes a turn');
select is(
  (select (t ->> 'rows')::int from jsonb_array_elements(public.sync_footprint() -> 'tables') as t
    where t ->> 'table' = 'turns'),
  1, 'the footprint counts the owner''s turns');
select is(public.sync_prune('2021-01-01T00:00:00Z') ->> 'turns', '1', 'prune empties the old turn');
select is(
  (select row(content, input_tokens, content_state::jsonb ->> 'content') from public.turns where id = 't1')::text,
  row(null::text, 7::bigint, 'withheld')::text,
  'its text is gone, its tokens stay, the column is marked withheld');

set local request.jwt.claims = '{"sub": "66666666-6666-4666-8666-666666666666", "role": "authenticated"}';
select is((select count(*)::int from storage.objects where bucket_id = 'visuals'), 0,
  'a stranger sees no object of the owner');
select throws_ok(
  $$insert into storage.objects (bucket_id, name, metadata)
    values ('visuals', '66666666-6666-4666-8666-666666666666/cc.png', '{"size": 1}')$$,
  '42501', null, 'an account the project does not allow stores nothing, even in its own folder');

select * from finish();
rollback;
