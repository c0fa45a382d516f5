-- agentlogs: CHECK constraints on the synced tables (docs/sync-protocol.md, "Limits and bounds";
-- docs/decisions/0089-cli-hygiene-network-failures-and-table-checks.md).
--
-- The sync functions check the envelope of every pushed record (caps of private.limits, version and time
-- bounds). These constraints are the last line behind them, on the values inside payloads: ids and short names
-- have bounded lengths, token counts are non-negative safe integers, costs finite and non-negative, versions at
-- least 1 (already so since the first migration), and every column with a fixed set of values keeps to it.
-- They are absolute ceilings, not the adjustable caps of private.limits (a CHECK cannot read a table): ids at
-- most 1000 characters (the highest max_id_chars allows), names and model ids 1000, paths 65536 (room for an
-- encrypted path).
--
-- A push with a violating record fails with SQLSTATE 23514 naming the constraint; the client splits the batch
-- and parks that record alone with this reason (packages/sync-core/src/push.ts), the others are accepted.
--
-- NOT VALID: rows already stored are not checked now (a project that stored a bad value before keeps working);
-- every new row and every update of a row is.

-- content_state: null, or a JSON object whose values are field states.
create function private.content_state_ok(value text) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select value is null
      or (jsonb_typeof(value::jsonb) = 'object'
          and not exists (select 1 from jsonb_each(value::jsonb) as s(k, v)
                           where char_length(s.k) > 100
                              or jsonb_typeof(s.v) <> 'string'
                              or (s.v #>> '{}') not in ('plain', 'redacted', 'withheld', 'encrypted')))
$$;
comment on function private.content_state_ok(text) is
  'Whether a content_state column holds null or a JSON object of field states (plain, redacted, withheld, encrypted).';

-- A lower-case short word (an agent or a kind): claude_code, codex, screenshot.
create function private.is_short_word(value text) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select value is null or value ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'
$$;

-- The envelope of every synced table.
do $$
declare
  t text;
begin
  foreach t in array array['machines', 'projects', 'sessions', 'cognitive_commits', 'turns', 'visuals'] loop
    execute format(
      'alter table public.%1$I add constraint %1$s_ids_bounded check (
         char_length(id) between 1 and 1000 and char_length(device_id) between 1 and 1000
         and char_length(machine_id) <= 1000) not valid', t);
    if t <> 'machines' then
      execute format(
        'alter table public.%1$I add constraint %1$s_content_state_known check (
           private.content_state_ok(content_state)) not valid', t);
    end if;
  end loop;
end;
$$;

alter table public.machines add constraint machines_names_bounded check (
  char_length(name) <= 1000 and char_length(hostname) <= 1000 and char_length(platform) <= 1000) not valid;

alter table public.projects add constraint projects_paths_bounded check (
  char_length(path) <= 65536 and char_length(name) <= 65536) not valid;

alter table public.sessions add constraint sessions_source_is_a_word check (private.is_short_word(source)) not valid;
alter table public.sessions add constraint sessions_ids_bounded_in_payload check (
  char_length(native_id) <= 1000 and char_length(project_id) <= 1000 and char_length(commit_id) <= 1000
  and char_length(cwd) <= 65536) not valid;

alter table public.cognitive_commits add constraint cognitive_commits_closed_by_known check (
  closed_by in ('git_commit', 'session_end', 'explicit', '')) not valid;
alter table public.cognitive_commits add constraint cognitive_commits_source_is_a_word check (
  private.is_short_word(source)) not valid;
alter table public.cognitive_commits add constraint cognitive_commits_flags_are_flags check (
  published in (0, 1) and hidden in (0, 1) and parallel >= 0) not valid;
alter table public.cognitive_commits add constraint cognitive_commits_ids_bounded_in_payload check (
  char_length(session_id) <= 1000 and char_length(project_id) <= 1000 and char_length(git_hash) <= 100
  and char_length(project_name) <= 65536) not valid;

alter table public.turns add constraint turns_role_known check (
  role in ('user', 'assistant', 'system', 'tool', '')) not valid;
alter table public.turns add constraint turns_speed_known check (speed in ('standard', 'fast')) not valid;
alter table public.turns add constraint turns_flags_are_flags check (
  is_sidechain in (0, 1) and triggers_visual in (0, 1)) not valid;
-- Safe integers (2^53 - 1): every client sums them as JavaScript numbers.
alter table public.turns add constraint turns_tokens_non_negative check (
  input_tokens between 0 and 9007199254740991
  and output_tokens between 0 and 9007199254740991
  and cache_creation_tokens between 0 and 9007199254740991
  and cache_creation_1h_tokens between 0 and 9007199254740991
  and cache_read_tokens between 0 and 9007199254740991
  and reasoning_tokens between 0 and 9007199254740991) not valid;
-- NaN compares greater than every number in Postgres, so the upper bound also refuses NaN and infinity.
alter table public.turns add constraint turns_cost_finite_non_negative check (
  cost_usd >= 0 and cost_usd < 1e12) not valid;
alter table public.turns add constraint turns_ids_bounded_in_payload check (
  char_length(session_id) <= 1000 and char_length(commit_id) <= 1000 and char_length(model) <= 1000
  and char_length(message_id) <= 1000 and char_length(request_id) <= 1000 and char_length(agent_id) <= 1000
  and char_length(cwd) <= 65536) not valid;

alter table public.visuals add constraint visuals_type_is_a_word check (
  type = '' or private.is_short_word(type)) not valid;
alter table public.visuals add constraint visuals_ids_bounded_in_payload check (
  char_length(commit_id) <= 1000 and char_length(path) <= 65536 and char_length(cloud_url) <= 65536) not valid;

-- The checks run as whoever writes the row (the definer sync functions); nobody calls them through the API.
revoke all on function private.content_state_ok(text), private.is_short_word(text) from public, anon;
grant execute on function private.content_state_ok(text), private.is_short_word(text) to authenticated, service_role;
