-- Turning encryption off and sealed images (docs/privacy.md, decision 0098): clear_content_key removes the row only
-- for the current key check; the visuals bucket takes sealed images as application/octet-stream.
begin;
select plan(6);

insert into auth.users (id, aud, role, email) values
  ('55555555-5555-4555-8555-555555555555', 'authenticated', 'authenticated', 'ada@example.com');
insert into auth.identities (provider_id, user_id, identity_data, provider) values
  ('5', '55555555-5555-4555-8555-555555555555', '{"user_name": "ada"}', 'github');

select ok(
  (select 'application/octet-stream' = any (allowed_mime_types) from storage.buckets where id = 'visuals'),
  'the visuals bucket accepts sealed images');
select ok(
  (select 'image/png' = any (allowed_mime_types) from storage.buckets where id = 'visuals'),
  'and still the image types');

set local role authenticated;
set local request.jwt.claims = '{"sub": "55555555-5555-4555-8555-555555555555", "role": "authenticated"}';
select public.upsert_profile();
select public.set_content_key(
  '{"algorithm": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "c2FsdHNhbHRzYWx0c2FsdA"}',
  'alkc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
select throws_ok(
  $$select public.clear_content_key('alkc1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')$$,
  'PT409', null, 'a key check that is not the current one removes nothing');
select is(public.clear_content_key('alkc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), true,
  'the current key check turns encryption off');
select is(public.content_key(), null, 'encryption is off afterwards');

reset role;
set local role anon;
set local request.jwt.claims = '{"role": "anon"}';
select throws_ok($$select public.clear_content_key('alkc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')$$,
  '42501', null, 'anon cannot call clear_content_key');

select * from finish();
rollback;
