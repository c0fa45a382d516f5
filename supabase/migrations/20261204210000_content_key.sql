-- agentlogs: end-to-end encryption of content fields (docs/privacy.md, decision 0085).
--
-- The server keeps, per user, what every machine needs to derive the same key from the passphrase and to tell a
-- wrong passphrase from a right one: the key derivation parameters (scrypt N, r, p and the salt, as JSON) and a
-- key check (an HMAC of a constant under a subkey of the derived key). Neither lets anyone decrypt; the key and
-- the passphrase never reach the server. `epoch` counts passphrase changes, so a machine whose cached key was
-- made under an older passphrase sees it and locks itself instead of encrypting under the old key.
--
-- Clients read the row with content_key() and write it with set_content_key(), a compare-and-set on the key
-- check they knew: two machines enabling encryption at once, or changing the passphrase at once, cannot both
-- win; the loser gets PT409 and reads the row again.

create table private.content_keys (
  user_id uuid primary key references auth.users (id) on delete cascade,
  kdf jsonb not null check (jsonb_typeof(kdf) = 'object' and octet_length(kdf::text) <= 1024),
  key_check text collate "C" not null check (key_check ~ '^alkc1:[A-Za-z0-9_-]{20,100}$'),
  epoch integer not null default 1 check (epoch >= 1),
  updated_at timestamptz not null default now()
);
alter table private.content_keys enable row level security;
revoke all on private.content_keys from public, anon, authenticated;
grant all on private.content_keys to service_role;

create function private.content_key_row(k private.content_keys) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object('kdf', k.kdf, 'keyCheck', k.key_check, 'epoch', k.epoch,
                            'updatedAt', private.iso(k.updated_at))
$$;

create function private.content_key() returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  k private.content_keys;
begin
  if uid is null then
    raise exception 'content_key needs a signed-in user' using errcode = '42501';
  end if;
  select * into k from private.content_keys c where c.user_id = uid;
  if not found then
    return null;
  end if;
  return private.content_key_row(k);
end;
$$;

create function public.content_key() returns jsonb
language sql stable security invoker
set search_path = ''
as $$
  select private.content_key()
$$;
comment on function public.content_key() is
  'The caller''s content key parameters {kdf, keyCheck, epoch, updatedAt}, or null when encryption is off.';

create function private.set_content_key(kdf jsonb, key_check text, previous_check text) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  k private.content_keys;
begin
  perform private.require_writer(uid);
  if kdf is null or key_check is null then
    raise exception 'set_content_key needs kdf and key_check' using errcode = '22023';
  end if;
  if previous_check is null then
    insert into private.content_keys as c (user_id, kdf, key_check)
    values (uid, kdf, key_check)
    on conflict (user_id) do nothing
    returning * into k;
    if not found then
      raise exception 'encryption is already enabled for this account'
        using errcode = 'PT409', hint = 'Run agentlogs encryption unlock on this machine.';
    end if;
  else
    update private.content_keys c
       set kdf = set_content_key.kdf, key_check = set_content_key.key_check, epoch = c.epoch + 1,
           updated_at = now()
     where c.user_id = uid and c.key_check = previous_check
    returning * into k;
    if not found then
      raise exception 'the passphrase was changed on another machine'
        using errcode = 'PT409', hint = 'Run agentlogs encryption unlock with the current passphrase.';
    end if;
  end if;
  return private.content_key_row(k);
end;
$$;

create function public.set_content_key(kdf jsonb, key_check text, previous_check text default null) returns jsonb
language sql volatile security invoker
set search_path = ''
as $$
  select private.set_content_key(kdf, key_check, previous_check)
$$;
comment on function public.set_content_key(jsonb, text, text) is
  'Enables encryption (previous_check null: only when it is off) or changes the passphrase (previous_check = the '
  'current key check); returns the new row as content_key() does. PT409 when the row changed meanwhile.';

revoke all on function private.content_key_row(private.content_keys), private.content_key(),
  private.set_content_key(jsonb, text, text) from public, anon;
grant execute on function private.content_key(), private.set_content_key(jsonb, text, text) to authenticated;
revoke all on function public.content_key(), public.set_content_key(jsonb, text, text) from public, anon;
grant execute on function public.content_key(), public.set_content_key(jsonb, text, text) to authenticated;
