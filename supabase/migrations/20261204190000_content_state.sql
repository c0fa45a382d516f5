-- agentlogs: the state of each record's content columns travels with the record (docs/privacy.md).
--
-- content_state is a JSON object naming each text or path column of the payload that is not plain as it left
-- its machine (`redacted`, `withheld`, `encrypted`); null when every one is plain (records of clients that
-- predate content levels, and records sent at sync.content=full). The server stores it like any payload column;
-- clients use it on pull so that a redacted, withheld or locked copy never overwrites a fuller local copy.
--
-- A synced column is added, so sync_pull is regenerated (decision 0043).

alter table public.projects add column content_state text;
alter table public.sessions add column content_state text;
alter table public.cognitive_commits add column content_state text;
alter table public.turns add column content_state text;
alter table public.visuals add column content_state text;

select private.define_sync_pull();
