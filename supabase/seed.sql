-- agentlogs has no reference data: every row belongs to a signed-in user and arrives through sync.
-- This file exists so `supabase db push --include-seed` and `supabase db reset` have a seed to run.
select 1;
