-- End-to-end encryption's key parameters (docs/privacy.md, decision 0085): one row per user, set by
-- compare-and-set, readable by its user only, never by anon.
begin;
select plan(10);

insert into auth.users (id, aud, role, email) values
  ('55555555-5555-4555-8555-555555555555', 'authenticated', 'authenticated', 'ada@example.com'),
  ('66666666-6666-4666-8666-666666666666', 'authenticated', 'authenticated', 'bob@example.com');
insert into auth.identities (provider_id, user_id, identity_data, provider) values
  ('5', '55555555-5555-4555-8555-555555555555', '{"user_name": "ada"}', 'github'),
  ('6', '66666666-6666-4666-8666-666666666666', '{"user_name": "bob"}', 'github');

set local role authenticated;
set local request.jwt.claims = '{"sub": "55555555-5555-4555-8555-555555555555", "role": "authenticated"}';
select public.upsert_profile();
select is(public.content_key(), null, 'encryption is off until it is enabled');
select is(
  public.set_content_key('{"algorithm": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "c2FsdHNhbHRzYWx0c2FsdA"}',
                         'alkc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') ->> 'epoch',
  '1', 'enabling stores the parameters and the key check');
select is(public.content_key() #>> '{kdf,N}', '131072', 'content_key returns them');
select throws_ok(
  $$select public.set_content_key('{"algorithm": "scrypt"}', 'alkc1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')$$,
  'PT409', null, 'enabling again is refused');
select throws_ok(
  $$select public.set_content_key('{"algorithm": "scrypt"}', 'alkc1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
                                  'alkc1:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC')$$,
  'PT409', null, 'a change from a key check that is not the current one is refused');
select is(
  public.set_content_key('{"algorithm": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "bmV3c2FsdG5ld3NhbHRuZXc"}',
                         'alkc1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
                         'alkc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') ->> 'epoch',
  '2', 'a change from the current key check is a new epoch');
select throws_ok(
  $$select public.set_content_key('{}', 'not a key check', 'alkc1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')$$,
  '23514', null, 'a malformed key check is refused');

set local request.jwt.claims = '{"sub": "66666666-6666-4666-8666-666666666666", "role": "authenticated"}';
select is(public.content_key(), null, 'another user does not see the row');
select throws_ok($$select * from private.content_keys$$, '42501', null, 'the table is not readable directly');

reset role;
set local role anon;
set local request.jwt.claims = '{"role": "anon"}';
select throws_ok($$select public.content_key()$$, '42501', null, 'anon cannot call content_key');

select * from finish();
rollback;
