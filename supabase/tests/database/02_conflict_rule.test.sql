-- The conflict rule, stated once in private.beats (docs/decisions/0030-conflict-order-and-change-seq.md).
begin;
select plan(10);

select has_function('private', 'beats',
  array['integer', 'timestamp with time zone', 'text', 'integer', 'timestamp with time zone', 'text']);
select volatility_is('private', 'beats',
  array['integer', 'timestamp with time zone', 'text', 'integer', 'timestamp with time zone', 'text'],
  'immutable', 'the rule depends on its arguments only');

select ok(private.beats(2, '2026-01-01T00:00:01Z', 'a', 1, '2026-01-01T00:00:00Z', 'z'), 'the higher version wins');
select ok(not private.beats(1, '2026-01-01T00:00:00Z', 'z', 2, '2026-01-01T00:00:01Z', 'a'), 'the lower version loses');
select ok(private.beats(1, '2026-01-01T00:00:00Z', 'a', 1, '2026-01-01T00:00:00.001Z', 'z'),
  'at equal versions the earlier time wins');
select ok(not private.beats(1, '2026-01-01T00:00:00.001Z', 'z', 1, '2026-01-01T00:00:00Z', 'a'),
  'at equal versions the later time loses');
select ok(private.beats(1, '2026-01-01T00:00:00Z', 'b', 1, '2026-01-01T00:00:00Z', 'a'),
  'at equal times the greater device id wins');
select ok(not private.beats(1, '2026-01-01T00:00:00Z', 'B', 1, '2026-01-01T00:00:00Z', 'a'),
  'device ids compare byte-wise, as JavaScript compares strings');
select ok(not private.beats(1, '2026-01-01T00:00:00Z', 'a', 1, '2026-01-01T00:00:00Z', 'a'),
  'the same write beats nothing');

set local role anon;
select throws_ok($$select private.beats(1, now(), 'a', 1, now(), 'b')$$, '42501', null, 'anon cannot call it');

select * from finish();
rollback;
