-- agentlogs: turning end-to-end encryption off, and sealed images in the visuals bucket (docs/privacy.md,
-- decision 0098).
--
-- clear_content_key(key_check) removes the caller's key parameters and key check, a compare-and-set like
-- set_content_key: only the current key check removes the row, so a machine that did not follow a passphrase change
-- made elsewhere cannot turn encryption off under it (PT409). The client proves the passphrase before calling it
-- and has replaced the ciphertext on the server by then; the server cannot check a passphrase it never sees.
--
-- With encryption on, an image is stored sealed (AES-256-GCM under the content key) as an opaque object named by a
-- keyed hash; it is uploaded as application/octet-stream, which the bucket now accepts besides the four image
-- types. Who may write to the bucket is unchanged (the policies of 20261204220000).

create function private.clear_content_key(key_check text) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  perform private.require_writer(uid);
  if key_check is null then
    raise exception 'clear_content_key needs the current key check' using errcode = '22023';
  end if;
  delete from private.content_keys c where c.user_id = uid and c.key_check = clear_content_key.key_check;
  if not found then
    raise exception 'encryption is off, or the passphrase was changed on another machine'
      using errcode = 'PT409', hint = 'Run agentlogs encryption status.';
  end if;
  return true;
end;
$$;

create function public.clear_content_key(key_check text) returns boolean
language sql volatile security invoker
set search_path = ''
as $$
  select private.clear_content_key(key_check)
$$;
comment on function public.clear_content_key(text) is
  'Turns encryption off for the caller: removes the key parameters when key_check is the current one (PT409 '
  'otherwise). The client re-uploads its ciphertext in plain form first.';

revoke all on function private.clear_content_key(text) from public, anon;
grant execute on function private.clear_content_key(text) to authenticated;
revoke all on function public.clear_content_key(text) from public, anon;
grant execute on function public.clear_content_key(text) to authenticated;

update storage.buckets
   set allowed_mime_types = array['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/octet-stream']
 where id = 'visuals';
