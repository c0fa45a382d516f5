-- CHECK constraints of the synced tables: a push with a value out of bounds is refused with 23514 naming the
-- constraint (docs/sync-protocol.md, "Limits and bounds").
begin;
select plan(12);

insert into auth.users (id, aud, role, email) values
  ('55555555-5555-4555-8555-555555555555', 'authenticated', 'authenticated', 'checks@example.com');
insert into auth.identities (provider_id, user_id, identity_data, provider) values
  ('5', '55555555-5555-4555-8555-555555555555', '{"user_name": "checks"}', 'github');

set local role authenticated;
set local request.jwt.claims = '{"sub": "55555555-5555-4555-8555-555555555555", "role": "authenticated"}';
select is(public.upsert_profile() ->> 'githubLogin', 'checks', 'the account registers (and may write)');

create function pg_temp.push_turn(id text, payload text) returns jsonb language sql as $$
  select public.sync_push(jsonb_build_object('deviceId', 'd', 'records', jsonb_build_array(jsonb_build_object(
    'table', 'turns', 'id', id, 'version', 1, 'updatedAt', '2026-01-01T00:00:00Z', 'deletedAt', null,
    'deviceId', 'd', 'payload', payload::jsonb))))
$$;

select is(
  jsonb_array_length(pg_temp.push_turn('ok', '{"role": "assistant", "input_tokens": 10, "output_tokens": 5,
    "cost_usd": 0.01, "speed": "fast", "content_state": "{\"content\":\"redacted\"}"}') -> 'accepted'),
  1, 'a turn within every bound is accepted');
select throws_like($$select pg_temp.push_turn('neg', '{"role": "assistant", "output_tokens": -1}')$$,
  '%turns_tokens_non_negative%', 'a negative token count is refused');
select throws_ok($$select pg_temp.push_turn('huge', '{"role": "assistant", "input_tokens": 9007199254740992}')$$,
  '23514', null, 'a token count above 2^53 - 1 is refused');
select throws_like($$select pg_temp.push_turn('cost', '{"role": "assistant", "cost_usd": -0.5}')$$,
  '%turns_cost_finite_non_negative%', 'a negative cost is refused');
select throws_ok($$select pg_temp.push_turn('nan', '{"role": "assistant", "cost_usd": "NaN"}')$$,
  '23514', null, 'a cost of NaN is refused');
select throws_like($$select pg_temp.push_turn('role', '{"role": "admin"}')$$,
  '%turns_role_known%', 'a role outside the enumeration is refused');
select throws_like($$select pg_temp.push_turn('speed', '{"role": "user", "speed": "warp"}')$$,
  '%turns_speed_known%', 'a speed outside the enumeration is refused');
select throws_like(
  $$select pg_temp.push_turn('state', '{"role": "user", "content_state": "{\"content\":\"stolen\"}"}')$$,
  '%turns_content_state_known%', 'a field state outside the enumeration is refused');
select throws_like($$select pg_temp.push_turn('model', format('{"role": "user", "model": "%s"}', repeat('m', 1001)))$$,
  '%turns_ids_bounded_in_payload%', 'a model id over 1000 characters is refused');
select throws_like(
  $$select public.sync_push('{"deviceId": "d", "records": [{"table": "cognitive_commits", "id": "c", "version": 1,
     "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null, "deviceId": "d",
     "payload": {"closed_by": "rm -rf", "hidden": 0}}]}')$$,
  '%cognitive_commits_closed_by_known%', 'a commit closed by an unknown cause is refused');
select is(
  (select count(*)::integer from public.turns where user_id = '55555555-5555-4555-8555-555555555555'),
  1, 'only the valid turn was stored');

select * from finish();
rollback;
