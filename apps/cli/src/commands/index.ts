import { agentDirColumn, agentDirHelp, agentDirOptions, agentDirUsage } from '../agent-options.js';
import { type Command, type CommandSpec, commandSpec, type OptionSpecs } from '../command.js';
import { seeHelp } from '../docs.js';

/*
 * The command table: every command's name, summary, usage, help and options, as data. Help is printed from
 * here alone, so `agentlogs --help` and `agentlogs <command> --help` load no command code; a command's module
 * (with its dependencies: SQLite, supabase-js, …) is loaded only when that command runs. Each module exports
 * a `Command` whose `run` is typed by the options declared here (`Command<OptionsOf<typeof specs.stats>>`).
 * `test/command-table.test.ts` checks that every name here is the name its module gives the command.
 */

const json = { type: 'boolean', short: 'j' } as const;
const JSON_HELP = '  -j, --json';
const DRY_RUN_HELP =
  '  --dry-run   ask the server what would move and print the counts; changes nothing here or there';

/** Kept in step with CONFIG_KEYS in settings.ts (test/cli-parse.test.ts checks it). */
const CONFIG_KEYS_HELP = `Settings:
  supabase.url       URL of your Supabase project (Dashboard → Project Settings → API), e.g. https://abcd.supabase.co (env AGENTLOGS_SUPABASE_URL)
  supabase.anon_key  the project's anon (publishable) key, from the same page (env AGENTLOGS_SUPABASE_ANON_KEY)
  supabase.allow_http  true allows an http:// supabase.url beyond this machine (unencrypted; default false) (env AGENTLOGS_SUPABASE_ALLOW_HTTP)
  machine.name       the name this machine has in your records (default: its hostname) (env AGENTLOGS_MACHINE_NAME)
  sync.content       what leaves this machine: metrics, redacted (default) or full (env AGENTLOGS_SYNC_CONTENT)
  sync.enabled       whether this profile syncs: true (default), or false after 'agentlogs sync disable' (env AGENTLOGS_SYNC_ENABLED)
  sync.redact.patterns  your redaction patterns, a JSON array of regular expressions (env AGENTLOGS_SYNC_REDACT_PATTERNS)
  sync.exclude       projects that never leave this machine, a JSON array of path globs (env AGENTLOGS_SYNC_EXCLUDE)
  sync.plan          your Supabase plan for the quota: free (default), pro or a database size in MB (env AGENTLOGS_SYNC_PLAN)
  visuals.cache_mb   MB of images kept here that the project also holds (default 500) (env AGENTLOGS_VISUALS_CACHE_MB)

Values are stored per profile (--profile NAME or AGENTLOGS_PROFILE) in <data dir>/config.json
(profiles other than "default" under <data dir>/profiles/NAME/). An environment variable beats
the stored value, which beats the default.`;

const PASSPHRASE_HELP = `The passphrase is asked on the terminal (not echoed). For scripts: --passphrase-file FILE (its first
line) or AGENTLOGS_PASSPHRASE. It is never printed, logged or sent.`;

/** The filters `sessions list` and `search` share. */
const FILTER_OPTIONS = {
  project: { type: 'string' },
  machine: { type: 'string' },
  agent: { type: 'string' },
  since: { type: 'string', short: 's' },
  until: { type: 'string', short: 'u' },
} as const;

const COMMIT_ID_NOTE = 'The id may be a unique prefix of 6 or more characters.';
const COMMIT_SYNC_NOTE = "The change is local until the next 'agentlogs push' or 'agentlogs sync'.";

export const specs = {
  import: commandSpec({
    name: 'import',
    summary:
      'Import the transcripts of every coding agent found (Claude Code, Codex CLI, …) into the local database',
    usage: `import ${agentDirUsage} [--json]`,
    help: `Options:
${agentDirHelp()}
${JSON_HELP.padEnd(agentDirColumn)} print the result as JSON

With any --<agent>-dir option, only the folders given are read. Imports are incremental: files unchanged
since the last run are skipped, grown files are read from where the last run stopped. Transcripts are only
read, never changed. Malformed lines are skipped and reported with file:line.

Examples:
  agentlogs import
  agentlogs import --claude-dir ~/backup/.claude --json`,
    options: {
      ...agentDirOptions,
      json,
    },
  }),
  stats: commandSpec({
    name: 'stats',
    summary:
      'Token usage and cost from the local database, by day, month, model, project, session, machine, agent or 5-hour block',
    usage:
      'stats [--by day|month|model|project|session|machine|agent|block] [--since DATE] [--until DATE] [--agent NAME] [--breakdown] [--timezone TZ] [--offline] [--json]',
    help: `Options:
  --by KEY              group rows by day (default), month, model, project (the cwd path), session (with its
                        project, agent and last activity), machine, agent, or block (5-hour billing windows)
  -s, --since DATE      first local day to count (YYYY-MM-DD or YYYYMMDD, inclusive)
  -u, --until DATE      last local day to count (YYYY-MM-DD or YYYYMMDD, inclusive)
  --agent NAME          only the sessions of this agent (claude_code, codex; 'stats --by agent' lists them)
  -b, --breakdown       under each row, one row per model
  --timezone TZ         time zone for days and months (default: $TZ or the system zone)
  -O, --offline         accepted for ccusage users: stats never goes online (prices: see below)
${JSON_HELP}            print {"totals": {...}, "rows": [{"key", ...}]} for machines

Tokens: input, output, cache writes and cache reads, each response counted once. Cost: the transcript's
costUSD when present, otherwise the price table: the one 'agentlogs prices refresh' downloaded (LiteLLM's,
as ccusage uses), else the one shipped with agentlogs. Models missing from it are listed as unpriced
(marked * in the table) and not counted as $0. Run 'agentlogs import' first.

Blocks (--by block) are Claude's 5-hour usage windows, as 'ccusage blocks' shows them: a block starts at the
hour of the first message after a pause and ends 5 hours later; more than 5 hours without a message starts a
new block after a gap. The active block shows its burn rate and where it will end. They count claude_code
sessions unless --agent names another agent.

Examples:
  agentlogs stats --since 20261101 --breakdown
  agentlogs stats --by session --agent claude_code
  agentlogs stats --by block --json`,
    options: {
      by: { type: 'string' },
      since: { type: 'string', short: 's' },
      until: { type: 'string', short: 'u' },
      agent: { type: 'string' },
      breakdown: { type: 'boolean', short: 'b' },
      timezone: { type: 'string' },
      offline: { type: 'boolean', short: 'O' },
      json,
    },
  }),
  statusline: commandSpec({
    name: 'statusline',
    summary:
      "One line for Claude Code's status line: model, session, today's and this block's cost, burn rate",
    usage: 'statusline',
    help: `Reads the JSON Claude Code writes to a status line command's stdin and prints one line, as ccusage's
statusline does:

  🤖 Opus 4.1 | 💰 $0.09 session / $0.04 today / $0.04 block (4h 36m left) | 🔥 $1.02/hr | 🧠 85,000 (43%)

Session cost: Claude Code's own total (cost.total_cost_usd), else this session's usage in the database.
Today and the block: Claude Code usage in the database (run 'agentlogs sync --watch' or the import hook to
keep it current; the statusline never reads transcripts). Context: the input's context_window, else the
session's last response.

In ~/.claude/settings.json:
  "statusLine": { "type": "command", "command": "agentlogs statusline", "padding": 0 }`,
  }),
  'prices refresh': commandSpec({
    name: 'prices refresh',
    summary: 'Download current model prices (LiteLLM, as ccusage uses) for stats to use',
    usage: 'prices refresh [--json]',
    help: `Downloads LiteLLM's model_prices_and_context_window.json (AGENTLOGS_PRICES_URL chooses another
address) and keeps its per-token prices in <data dir>/prices.json with today's date. From then on stats,
machines and the statusline use them instead of the table shipped with agentlogs (unless that one is newer).
Nothing else goes online for prices.

Options:
${JSON_HELP}  print {source, date, models, file}`,
    options: { json },
  }),
  'prices show': commandSpec({
    name: 'prices show',
    summary: 'Say which price table is in force, from where and of which date',
    usage: 'prices show [--json]',
    help: `Options:
${JSON_HELP}  print {source, date, models, downloaded, file}`,
    options: { json },
  }),
  export: commandSpec({
    name: 'export',
    summary: 'Write a consistent copy of the local database to FILE (SQLite, or gzipped JSON lines)',
    usage: 'export FILE [--format sqlite|jsonl] [--json]',
    help: `The copy is consistent even while a sync or an import writes: it holds every change committed before
it started and none after. FILE must not exist yet. On a terminal a progress bar shows the bytes copied (or
the records written); never with --json.

Options:
  --format F   sqlite (default: a database file any SQLite tool opens) or jsonl (gzipped, one JSON object per
               line: a header {format, schemaVersion, exportedAt}, then {table, row} for every record)
${JSON_HELP}   print {file, format, bytes, tables}

'agentlogs restore FILE' merges it back.`,
    options: { format: { type: 'string' }, json },
    positionals: true,
  }),
  restore: commandSpec({
    name: 'restore',
    summary: 'Merge an export or backup into the local database, never replacing a newer record',
    usage: 'restore FILE [--json]',
    help: `Reads a file written by 'agentlogs export' (either format) or 'agentlogs backup', of this or an earlier
agentlogs. Each record is merged by id and version: one the database lacks is added, a higher version replaces
the local one, and a local record at the same or a higher version is kept. Nothing is deleted. Restored records
keep the sync state they had; 'agentlogs sync reset' compares them all with the server. On a terminal a
progress bar shows the records merged; never with --json.

Options:
${JSON_HELP}  print {file, tables: {table: {added, updated, kept}}}`,
    options: { json },
    positionals: true,
  }),
  backup: commandSpec({
    name: 'backup',
    summary: 'Keep a dated snapshot of the local database in the data folder, with retention',
    usage: 'backup [--keep-daily N] [--keep-weekly N] [--list] [--json]',
    help: `Writes <profile dir>/backups/agentlogs-<UTC time>.db (as 'agentlogs export' does), then removes older
snapshots beyond retention: the newest of each of the last N days that have one, and the newest of each of the
last N weeks (Monday to Sunday, UTC). The background service ('agentlogs sync --watch') takes one a day;
without it, run this once a day (from cron, a systemd timer or launchd).

Options:
  --keep-daily N    days to keep (default 7)
  --keep-weekly N   weeks to keep (default 4)
  --list            list the snapshots instead of taking one
${JSON_HELP}          print {file, tables, removed} (with --list: [{file, at, bytes}])`,
    options: {
      'keep-daily': { type: 'string' },
      'keep-weekly': { type: 'string' },
      list: { type: 'boolean' },
      json,
    },
  }),
  login: commandSpec({
    name: 'login',
    summary: 'Log in with GitHub to your Supabase project and register this machine',
    usage: 'login [--no-browser] [--timeout SECONDS] [--port PORT]',
    help: `Opens GitHub's consent page in your browser (PKCE flow through Supabase Auth). The browser comes back to
a one-off address on this machine, http://127.0.0.1:<port>/callback, and the session is stored in
<profile dir>/credentials/session.json (mode 0600).

Options:
  --no-browser       print the URL instead of opening a browser (also the default over SSH or without a display)
  --timeout SECONDS  how long to wait for the browser (default 300)
  --port PORT        listen on this port instead of a free one (for 'ssh -L PORT:127.0.0.1:PORT')

Over SSH: open the printed URL on your laptop. When the browser then fails to load
http://127.0.0.1:<port>/callback?code=..., copy that address from the address bar and paste it here.
Every step, also the Supabase dashboard settings: ${seeHelp('login')}`,
    options: {
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
      port: { type: 'string' },
    },
  }),
  whoami: commandSpec({
    name: 'whoami',
    summary: 'Show who is logged in, on which project, from which machine',
    usage: 'whoami [--json]',
    help: `Checks the session with the server (refreshing an expired access token). Exits 1 when logged out.
Offline, it shows the stored login and says it could not be checked.

-j, --json prints {user_id, github_login, email, machine_id, device_id, machine_name, project_url, profile, verified}.`,
    options: { json },
  }),
  logout: commandSpec({
    name: 'logout',
    summary: 'Sign out everywhere and delete the stored session',
    usage: 'logout',
    help: `Revokes every session of your account on the Supabase project (global sign-out), then deletes the
session stored on this machine. Offline, it deletes the local session and warns that the server was not told.`,
  }),
  'config set': commandSpec({
    name: 'config set',
    summary: 'Store a setting in the current profile',
    usage: 'config set <key> <value>',
    help: `Example: agentlogs config set supabase.url https://abcd.supabase.co\n\n${CONFIG_KEYS_HELP}`,
    positionals: true,
  }),
  'config get': commandSpec({
    name: 'config get',
    summary: 'Print the effective value of a setting',
    usage: 'config get <key> [--reveal]',
    help: `Exits 1 when the setting has no value. Secrets are masked unless --reveal is given.\n\n${CONFIG_KEYS_HELP}`,
    options: { reveal: { type: 'boolean' } },
    positionals: true,
  }),
  'config unset': commandSpec({
    name: 'config unset',
    summary: 'Remove a setting from the current profile',
    usage: 'config unset <key>',
    help: CONFIG_KEYS_HELP,
    positionals: true,
  }),
  'config list': commandSpec({
    name: 'config list',
    summary: 'Show every setting, its value and where it comes from',
    usage: 'config list [--json]',
    help: `Sources: env (an environment variable), profile (stored with 'config set'), default.\nSecrets are masked.\n\n${CONFIG_KEYS_HELP}`,
    options: { json },
  }),
  sync: commandSpec({
    name: 'sync',
    summary: 'Pull, push, pull: bring this machine and the server level (--watch: keep them level)',
    usage: `sync [--dry-run] [--json]\n       agentlogs sync --watch ${agentDirUsage}\n       agentlogs sync --status [--json]`,
    help: `Options:
${DRY_RUN_HELP}
${JSON_HELP}  print the report as JSON
  --status    same as 'agentlogs sync status'
  --watch     keep running: watch the transcript folders, import new lines and push them (after 500 ms of
              quiet), pull every 30 s (at once on a Supabase Realtime hint), retry with backoff when the
              network or the server is down.
              Ctrl-C or SIGTERM stops it after the request in flight. To run it as a systemd user service
              or a launchd agent: ${seeHelp('sync-service')}
  --<agent>-dir DIR   with --watch: the folders to watch (--claude-dir, --codex-dir, …: as for 'agentlogs import')

A sync pulls first (so conflicts are decided against the newest server copy), pushes what is pending, and
pulls again until nothing is left to send (at most 5 rounds). Sync needs 'agentlogs login' first;
AGENTLOGS_SYNC_ENABLED=false turns every network sync off.

Environment: AGENTLOGS_SYNC_RETRIES (default 4), AGENTLOGS_SYNC_BACKOFF_MS (first retry delay, default
15000, doubling up to AGENTLOGS_SYNC_BACKOFF_MAX_MS, default 300000), AGENTLOGS_SYNC_BATCH_SIZE (records per
push request, default 500), AGENTLOGS_SYNC_PULL_INTERVAL_MS (--watch, default 30000), AGENTLOGS_WATCH_SCAN_MS
(--watch folder rescan, default 10000), AGENTLOGS_SYNC_REALTIME=false (--watch without the Realtime hint).

Examples:
  agentlogs sync
  agentlogs sync --dry-run --json
  agentlogs sync --watch`,
    options: {
      'dry-run': { type: 'boolean' },
      json,
      status: { type: 'boolean' },
      watch: { type: 'boolean' },
      ...agentDirOptions,
    },
  }),
  'sync status': commandSpec({
    name: 'sync status',
    summary:
      'Show who and where sync runs as, the last push and pull, pending records, dead letters, the connection',
    usage: 'sync status [--json]   (also: sync --status)',
    help: `Says whether sync is on (it is off until you log in), shows the logged-in user, this machine, the
backend URL, the last push and pull (how long ago, how many records, what became of them), records pending
per table, records the server refused (parked with the reason; 'agentlogs sync retry' or
'agentlogs push --force' sends them again), the conflicts of the last push and pull, and checks the
connection (exit 5 when the check fails). --json keeps the field names and ISO 8601 instants.

Options:
${JSON_HELP}  print the status as JSON`,
    options: { json },
  }),
  'sync prune': commandSpec({
    name: 'sync prune',
    summary: 'Remove old text from the cloud and keep the metrics',
    usage: 'sync prune --older-than SPAN [--json]',
    help: `Empties the text (prompts, answers, tool calls, titles, file lists) of your turns, sessions and commits
older than SPAN on the server; tokens, costs, models and times stay, so stats on every machine are unchanged.
Local text is never touched: machines keep theirs, and a machine that pulls an emptied record (a new machine,
a full resync) never lets it replace text it holds. Images stay in Storage.

Options:
  --older-than SPAN   180d, 26w, 6m (30-day months) or a date YYYY-MM-DD
${JSON_HELP}           print {before, pruned: {turns, sessions, cognitive_commits}}`,
    options: { 'older-than': { type: 'string' }, json },
  }),
  'sync pending': commandSpec({
    name: 'sync pending',
    summary: 'List the records waiting to be pushed',
    usage: 'sync pending [--limit N] [--json]',
    help: `Options:
  --limit N   list at most N records (default 20; counts per table are always complete)
${JSON_HELP}  print {total, tables: {table: count}, records: [{table, id, version, change, updated_at}],
              excluded_sessions}

Works offline: it reads the local database only. Records parked as dead letters are not pending
('agentlogs sync status' lists them), nor are the records of projects sync.exclude keeps on this machine.`,
    options: { limit: { type: 'string' }, json },
  }),
  'sync reset': commandSpec({
    name: 'sync reset',
    summary: 'Start over: the next sync downloads everything and re-sends everything',
    usage: 'sync reset [--yes]',
    help: `Sets this machine's pull cursor back to the beginning and marks every local record to be pushed again;
dead letters are released. Nothing is deleted, here or on the server: the next 'agentlogs sync' compares
every record with the server's copy under the conflict rule. Use it when 'agentlogs sync status' or your
stats look wrong after a restore from backup or a switch of project.

Options:
  --yes   do not ask for confirmation (needed when stdin is not a terminal)`,
    options: { yes: { type: 'boolean' } },
  }),
  'sync retry': commandSpec({
    name: 'sync retry',
    summary: 'Send the parked records (dead letters) again at the next sync',
    usage: 'sync retry',
    help: `Records the server refused for good (too large, out of bounds, a value it cannot store) are parked on
this machine and listed by 'agentlogs sync status' with the reason. Once the reason is fixed (a newer
agentlogs, a raised server limit), 'agentlogs sync retry' makes them pending again; the next
'agentlogs sync' sends them. A record refused again is parked again. Works offline.`,
  }),
  'encryption enable': commandSpec({
    name: 'encryption enable',
    summary: 'Turn on end-to-end encryption of the text your machines upload (choose a passphrase)',
    usage: 'encryption enable [--passphrase-file FILE]',
    help: `${PASSPHRASE_HELP}

Derives a key from the passphrase (scrypt, 128 MiB), stores the key derivation parameters and a key check
(never the key) in your account's row on the server, and keeps the key on this machine in
<profile dir>/credentials/content-key.json (mode 0600). The next 'agentlogs sync' replaces the text this
machine uploaded before with ciphertext. Other machines: 'agentlogs encryption unlock'; until then they send
no text and show encrypted text as locked. A lost passphrase cannot be recovered; metrics (times, models,
tokens, costs) are never encrypted.`,
    options: { 'passphrase-file': { type: 'string' } },
  }),
  'encryption unlock': commandSpec({
    name: 'encryption unlock',
    summary: 'Give this machine the encryption key (asks the passphrase)',
    usage: 'encryption unlock [--passphrase-file FILE]',
    help: `${PASSPHRASE_HELP}

Checks the passphrase against the key check on the server (a wrong one is refused, exit 4), caches the key
in <profile dir>/credentials/content-key.json (mode 0600) and decrypts the fields pulled while this machine
was locked. The next 'agentlogs sync' uploads this machine's text, encrypted.`,
    options: { 'passphrase-file': { type: 'string' } },
  }),
  'encryption lock': commandSpec({
    name: 'encryption lock',
    summary: 'Delete the encryption key from this machine',
    usage: 'encryption lock',
    help: `Deletes the cached key. The machine keeps syncing metrics; its own text no longer leaves, and text
pulled from now on shows as locked. Text already in the local database stays. Works offline.`,
  }),
  'encryption status': commandSpec({
    name: 'encryption status',
    summary: 'Show whether your account encrypts and whether this machine holds the key',
    usage: 'encryption status [--json]',
    help: `Options:
${JSON_HELP}  print {account, machine, reason, epoch, kdf, key_file, locked_fields, uploaded_as, server_error}`,
    options: { json },
  }),
  'encryption change-passphrase': commandSpec({
    name: 'encryption change-passphrase',
    summary: 'Change the passphrase and re-encrypt everything on the server under the new key',
    usage: 'encryption change-passphrase [--passphrase-file FILE] [--new-passphrase-file FILE]',
    help: `Asks the current passphrase (or --passphrase-file FILE, or ${'$'}AGENTLOGS_PASSPHRASE) and the new one
(--new-passphrase-file FILE, or ${'$'}AGENTLOGS_NEW_PASSPHRASE). Syncs, stores the new key parameters (refused
when another machine changed them meanwhile), then re-encrypts every encrypted field on the server as a new
version of its record. Interrupted, running it again resumes. Other machines lock themselves until
'agentlogs encryption unlock' with the new passphrase.`,
    options: { 'passphrase-file': { type: 'string' }, 'new-passphrase-file': { type: 'string' } },
  }),
  'encryption disable': commandSpec({
    name: 'encryption disable',
    summary:
      'Turn end-to-end encryption off: the server gets the text back at your content level, unencrypted',
    usage: 'encryption disable [--passphrase-file FILE]',
    help: `Asks the passphrase (or --passphrase-file FILE, or ${'$'}AGENTLOGS_PASSPHRASE) and refuses without the right one.
Removes the key parameters from the server, re-uploads what was encrypted there in plain form at this machine's
content level (sync.content: redacted text stays redacted, metrics sends none), stores encrypted images
unencrypted at full (removes them otherwise), then deletes the key here. Other machines learn it at their next
sync, delete their key and send their text at their own level; no machine loses local text. Interrupted,
running it again resumes.`,
    options: { 'passphrase-file': { type: 'string' } },
  }),
  setup: commandSpec({
    name: 'setup',
    summary: 'Set up sync step by step: project, schema, checks, content level, login, first sync, service',
    usage:
      'setup [--yes] [--url URL] [--anon-key KEY] [--db-url URL] [--content LEVEL] [--no-login] [--no-browser] [--sync|--no-sync] [--service|--no-service]',
    help: `Asks for what is missing and checks the project before saving anything: that it answers, that it has
this release's schema (applying it when you give the database URL), and that GitHub sign-in is enabled. Then
it saves the project in the profile, sets the content level, logs in, imports your transcripts, shows what the
first upload will be (sessions, rows, MB) and offers to sync now and to install the background service.

Options (each question's answer; with --yes every other question takes its default):
  --yes, -y          ask nothing: take the answers from the options and the environment (off a terminal,
                     without --yes, each question is a line on stdout and each answer a line of stdin)
  --url URL          the project URL (env AGENTLOGS_SUPABASE_URL; default: the profile's)
  --anon-key KEY     the anon (publishable) key (env AGENTLOGS_SUPABASE_ANON_KEY; default: the profile's)
  --db-url URL       the database URL, to apply or upgrade the schema (env AGENTLOGS_DB_URL or SUPABASE_DB_URL);
                     without it a missing schema stops setup with the command that applies it
  --runner R         how the schema is applied: auto (default), supabase or builtin (see 'agentlogs schema apply')
  --content LEVEL    metrics, redacted or full (env AGENTLOGS_SYNC_CONTENT; default: the profile's, else redacted)
  --no-login         do not log in (with --yes: the default is to log in)
  --no-browser, --timeout SECONDS, --port PORT   passed to the login (see 'agentlogs login --help')
  --no-import        do not import transcripts before the first sync
  --sync, --no-sync  run the first sync now, or not (with --yes: yes)
  --service, --no-service   install the background service (with --yes: no)

Examples:
  agentlogs setup
  agentlogs setup --yes --url https://abcd.supabase.co --anon-key eyJ… --db-url "$SUPABASE_DB_URL" --content redacted`,
    options: {
      yes: { type: 'boolean', short: 'y' },
      url: { type: 'string' },
      'anon-key': { type: 'string' },
      'db-url': { type: 'string' },
      runner: { type: 'string' },
      content: { type: 'string' },
      'no-login': { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
      port: { type: 'string' },
      'no-import': { type: 'boolean' },
      sync: { type: 'boolean' },
      'no-sync': { type: 'boolean' },
      service: { type: 'boolean' },
      'no-service': { type: 'boolean' },
    },
  }),
  'schema status': commandSpec({
    name: 'schema status',
    summary: "Compare the project's schema with the migrations this release ships",
    usage: 'schema status [--db-url URL] [--json]',
    help: `Without --db-url, asks the project's API (after 'agentlogs login'); with it (or AGENTLOGS_DB_URL /
SUPABASE_DB_URL), reads supabase_migrations.schema_migrations in the database itself. Exit 1 when
migrations are missing.

Options:
  --db-url URL   the database URL (Dashboard → Connect → Direct connection or Session pooler → URI)
${JSON_HELP}     print {source, applied, missing, unknown, required, upToDate}`,
    options: { 'db-url': { type: 'string' }, json },
  }),
  'schema apply': commandSpec({
    name: 'schema apply',
    summary: 'Apply the migrations this release ships to your Supabase project (only those it lacks)',
    usage: 'schema apply --db-url URL [--runner auto|supabase|builtin] [--json]',
    help: `Applies the migrations the database lacks, oldest first, each in one transaction, and records each in
supabase_migrations.schema_migrations as 'supabase db push' does, so either tool sees the same history.
Safe to run again: with nothing missing it changes nothing.

Options:
  --db-url URL   the database URL (env AGENTLOGS_DB_URL or SUPABASE_DB_URL): Dashboard → Connect → Direct
                 connection (or Session pooler, on a network without IPv6) → URI, with the database password.
                 sslmode=disable|require|verify-full as in libpq; default require for a host other than this one
  --runner R     auto (default: the Supabase CLI when 'supabase' is on PATH, else the built-in runner),
                 supabase, or builtin
${JSON_HELP}     print {runner, applied, status}`,
    options: { 'db-url': { type: 'string' }, runner: { type: 'string' }, json },
  }),
  'sync disable': commandSpec({
    name: 'sync disable',
    summary: 'Go back to local-only: sign out everywhere, stop syncing; local data untouched',
    usage: 'sync disable [--delete-cloud-data] [--yes]',
    help: `Signs this account out at the server (every refresh token is revoked), deletes the stored session and
turns sync off for this profile (sync.enabled=false): push, pull and sync then refuse with exit 3. The local
database is not touched. Your records stay in your Supabase project unless you also pass --delete-cloud-data.

Options:
  --delete-cloud-data   first remove every record, the profile and the stored objects of this account from the
                        project (all machines' uploads; they stay on each machine). Asks for confirmation
  --yes                 do not ask (needed when stdin is not a terminal)

'agentlogs sync enable' turns sync back on.`,
    options: { 'delete-cloud-data': { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } },
  }),
  'sync enable': commandSpec({
    name: 'sync enable',
    summary: "Turn sync back on after 'sync disable'",
    usage: 'sync enable',
    help: `Sets sync.enabled=true for this profile. Log in again with 'agentlogs login', then 'agentlogs sync'.`,
  }),
  'service install': commandSpec({
    name: 'service install',
    summary: "Install 'agentlogs sync --watch' as a background service (systemd user unit, launchd agent)",
    usage: 'service install [--platform linux|macos] [--no-start]',
    help: `Writes a systemd user unit (Linux: $XDG_CONFIG_HOME/systemd/user/agentlogs-sync.service, default
~/.config/systemd/user) or a launchd agent (macOS: ~/Library/LaunchAgents/dev.agentlogs.sync.plist) that runs
this agentlogs with this node, then enables and starts it with systemctl --user or launchctl when present.
Running it again rewrites the same file. A named profile gets a service of its own (agentlogs-sync-NAME).

Options:
  --platform P   write the file for linux or macos (default: this machine's)
  --no-start     write the file only; do not run systemctl or launchctl

More: ${seeHelp('sync-service')}`,
    options: { platform: { type: 'string' }, 'no-start': { type: 'boolean' } },
  }),
  'service uninstall': commandSpec({
    name: 'service uninstall',
    summary: 'Stop and remove the background service',
    usage: 'service uninstall [--platform linux|macos]',
    help: `Stops and disables the service (when systemctl or launchctl is present) and deletes its file.`,
    options: { platform: { type: 'string' } },
  }),
  'service status': commandSpec({
    name: 'service status',
    summary: 'Whether the background service is installed and running',
    usage: 'service status [--platform linux|macos] [--json]',
    help: `Shows the service file, whether it is installed, and what systemctl or launchctl says of it.

Options:
${JSON_HELP}  print {platform, name, file, installed, manager, active}`,
    options: { platform: { type: 'string' }, json },
  }),
  'access list': commandSpec({
    name: 'access list',
    summary: 'List the GitHub accounts allowed to write to your Supabase project (owner only)',
    usage: 'access list [--json]',
    help: `The account that logged in to the project first owns it; only the accounts listed here may push.
Anyone else who signs in is refused (exit 4) and writes nothing.

Options:
${JSON_HELP}  print an array of {githubLogin, role, signedIn, addedAt}`,
    options: { json },
  }),
  'access allow': commandSpec({
    name: 'access allow',
    summary: 'Allow a GitHub account to write to your Supabase project (owner only)',
    usage: 'access allow <github login>',
    help: `The account may push from its first 'agentlogs login' on. Its records stay apart from yours.`,
    positionals: true,
  }),
  'access deny': commandSpec({
    name: 'access deny',
    summary: 'Stop a GitHub account from writing to your Supabase project (owner only)',
    usage: 'access deny <github login>',
    help: `Its records stay on the server; it can no longer push. The owner cannot be denied.`,
    positionals: true,
  }),
  push: commandSpec({
    name: 'push',
    summary: 'Send the records of this machine that the server does not have yet',
    usage: 'push [--dry-run] [--force] [--json]',
    help: `Options:
${DRY_RUN_HELP}
  --force     re-send every record, not only the pending ones (the server keeps what it already has)
${JSON_HELP}  print the report as JSON

Sends pending records in batches, parents first. When the server holds a newer version of a record, the
server's copy wins and replaces the local one (counted as a conflict). A record the server refuses for good is
parked as a dead letter ('agentlogs sync status' lists them) and the push goes on with the rest; the exit
code is then 1. Transient failures are retried with backoff (AGENTLOGS_SYNC_RETRIES, AGENTLOGS_SYNC_BACKOFF_MS).

Examples:
  agentlogs push --dry-run
  agentlogs push`,
    options: { 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, json },
  }),
  pull: commandSpec({
    name: 'pull',
    summary: 'Download what your other machines pushed since the last pull',
    usage: 'pull [--dry-run] [--json]',
    help: `Options:
${DRY_RUN_HELP}
${JSON_HELP}  print the report as JSON

Downloads every change after this machine's cursor (deletions included) and applies it under the conflict
rule: a local edit that is newer than the server's copy is kept (and pushed by the next push). Interrupted, a
pull keeps the pages it applied and continues from there next time.

Examples:
  agentlogs pull --dry-run
  agentlogs pull --json`,
    options: { 'dry-run': { type: 'boolean' }, json },
  }),
  machines: commandSpec({
    name: 'machines',
    summary: 'List your machines with their last sync and totals of the sessions recorded on each',
    usage: 'machines [--offline] [--json]',
    help: `Lists every machine known here (this one and those pulled from your other machines) with the totals
of the rows each recorded first (sessions, turns, tokens, cost) and, from the server, when each last
finished a sync. Totals cover what this machine has pulled: run 'agentlogs sync' first for everyone's.

Options:
  --offline   do not ask the server (last sync times are then unknown)
${JSON_HELP}  print an array of {id, name, hostname, platform, this_machine, last_sync_at, sessions, turns,
              input_tokens, output_tokens, cost_usd}`,
    options: { offline: { type: 'boolean' }, json },
  }),
  'hooks install': commandSpec({
    name: 'hooks install',
    summary: 'Add a Claude Code SessionEnd hook that imports each session as it ends',
    usage: 'hooks install [--scope user|project] [--json]',
    help: `Adds to Claude Code's settings a SessionEnd hook that runs 'agentlogs hooks run': each session is
imported the moment it ends, before Claude Code's clean-up (cleanupPeriodDays, default 30 days) can delete
its transcript. Your other settings and hooks stay as they are (same order, indentation and comments); a copy
of the file is kept in <data dir>/hooks/backups/. Installing twice changes nothing.

Options:
  --scope user      $CLAUDE_CONFIG_DIR/settings.json (each folder when comma-separated), else
                    ~/.claude/settings.json (default)
  --scope project   .claude/settings.local.json of the current folder (Claude Code keeps it out of git)
${JSON_HELP}        print {command, files: [{file, action, backup}]}

The hook names this Node and this agentlogs by absolute path, with --profile and the data folder when they
are not the defaults. After moving or reinstalling either, run 'agentlogs hooks install' again.`,
    options: { scope: { type: 'string' }, json },
  }),
  'hooks uninstall': commandSpec({
    name: 'hooks uninstall',
    summary: 'Remove the agentlogs hook from Claude Code settings, leaving the rest as it was',
    usage: 'hooks uninstall [--scope user|project] [--json]',
    help: `When the file has not changed since 'agentlogs hooks install', it is put back byte for byte as it was
before (a file the install created is removed). When it has, only the agentlogs hook (and the empty "hooks"
entries the install added) is taken out. A copy of the file is kept in <data dir>/hooks/backups/.

Options:
  --scope user|project   as for 'agentlogs hooks install' (default user)
${JSON_HELP}             print {files: [{file, action, backup}]}`,
    options: { scope: { type: 'string' }, json },
  }),
  'hooks status': commandSpec({
    name: 'hooks status',
    summary: 'Show where the agentlogs hook is installed and its last run',
    usage: 'hooks status [--json]',
    help: `Lists the Claude Code settings files (user, and the current project's when it has one), whether each
holds the agentlogs hook and whether the Node and agentlogs it names still exist, and the last line of
<data dir>/hooks.log. Exits 1 when the hook is installed nowhere or cannot run.

${JSON_HELP}  print {files: [{file, scope, installed, command, runnable, error}], log, last_run}`,
    options: { json },
  }),
  'hooks run': commandSpec({
    name: 'hooks run',
    summary: 'Import the session a Claude Code hook names (what the installed hook runs)',
    usage: 'hooks run --agent claude-code [--data-dir DIR]',
    help: `Reads the JSON Claude Code writes to a hook's stdin (session_id, transcript_path, cwd,
hook_event_name) and imports that transcript and its subagent files. It always exits 0 and prints nothing,
so it never holds up or disturbs Claude Code; each run writes one line to <data dir>/hooks.log (the failure,
when there is one). A transcript it could not import is imported by the next 'agentlogs import'.

Options:
  --agent claude-code   the agent whose hook input this is
  --data-dir DIR        the agentlogs data folder (default: $AGENTLOGS_HOME or the usual one)`,
    options: { agent: { type: 'string' }, 'data-dir': { type: 'string' } },
  }),
  doctor: commandSpec({
    name: 'doctor',
    summary: 'Check for transcripts about to be deleted, the database, the configuration and sync',
    usage: 'doctor [--json]',
    help: `Checks:
  retention   reads Claude Code's cleanupPeriodDays (settings.json, default 30 days; Claude Code deletes
              transcripts older than that, by file time, when it starts) and lists the transcripts it
              will delete within 7 days that are not imported yet, or have grown since their import
  kept        how many sessions the database keeps whose transcripts are already gone from disk
  hook        whether the SessionEnd hook of 'agentlogs hooks install' is installed and can run
  database    SQLite's quick check, the size of its write-ahead log, the schema version
  config      whether the profile's settings can be used
  sync        whether a Supabase project is set and this machine logged in (optional)

Exit codes: 0 when nothing needs doing, 1 when something does (each such line starts with "!" and says
what to do). Codex CLI deletes no rollouts, so it has no retention to check.

${JSON_HELP}  print {ok, checks: [{name, status, message, hint}], retention, database, hooks}`,
    options: { json },
  }),
  'sessions list': commandSpec({
    name: 'sessions list',
    summary:
      'List sessions, newest first, with machine, project, agent, first prompt, turns, tokens and cost',
    usage:
      'sessions list [--project P] [--machine M] [--agent A] [--since DATE] [--until DATE] [--limit N] [--json]',
    help: `Options:
  --project P        sessions of this project (its path, last folder name, or part of the path)
  --machine M        sessions recorded on this machine (name or id)
  --agent A          sessions of this agent (claude_code, codex, opencode, gemini_cli, qwen_code,
                     copilot_cli, amp, antigravity_cli, droid)
  -s, --since DATE   from this local day (YYYY-MM-DD, inclusive)
  -u, --until DATE   up to this local day (inclusive)
  --limit N          at most N sessions (default 50; 0 = all)
${JSON_HELP}          print {"total", "sessions": [...]}

On a terminal, a long list opens in $PAGER (less by default).`,
    options: { ...FILTER_OPTIONS, limit: { type: 'string' }, json },
  }),
  'sessions show': commandSpec({
    name: 'sessions show',
    summary: 'Show a session: prompts and answers, tool calls on one line, subagents nested, cost per turn',
    usage: 'sessions show <id> [--json]',
    help: `The id is the agent's session id (or the row id), or 6 or more of its first characters.
Tool calls are folded to one line with the size of their result; a subagent's turns are nested under the
call that started it; a turn's images are listed with the id 'agentlogs visuals get' takes. On a terminal
the conversation opens in $PAGER (less by default).

${JSON_HELP}  print {"session", "turns": [...]}`,
    options: { json },
    positionals: true,
  }),
  search: commandSpec({
    name: 'search',
    summary: 'Full-text search over every turn (prompts, answers, tool calls), best matches first',
    usage:
      'search <words> [--project P] [--machine M] [--agent A] [--since DATE] [--until DATE] [--limit N] [--json]',
    help: `Every word must occur; "a phrase" in that order; word* matches a prefix; OR between two terms matches
either. Ranked by bm25 (a match in the text counts twice one in a tool call); each hit shows a snippet with
the words marked, and the session id to pass to 'agentlogs sessions show'.

Options:
  --project P        sessions of this project (its path, last folder name, or part of the path)
  --machine M        sessions recorded on this machine (name or id)
  --agent A          sessions of this agent (claude_code, codex, opencode, gemini_cli, qwen_code,
                     copilot_cli, amp, antigravity_cli, droid)
  -s, --since DATE   from this local day (YYYY-MM-DD, inclusive)
  -u, --until DATE   up to this local day (inclusive)
  --limit N          at most N hits (default 20)
${JSON_HELP}          print {"query", "hits": [{"snippet", "matches": [[start, end]], ...}], "total", "sessions", "locked_sessions"}

Text that is encrypted and has no key on this machine is not searched: the result says in how many sessions.

Examples:
  agentlogs search "fix the migration" --project api
  agentlogs search migrat* --since 2026-11-01 --json`,
    options: { ...FILTER_OPTIONS, limit: { type: 'string' }, json },
    positionals: true,
  }),
  ui: commandSpec({
    name: 'ui',
    summary: 'Open a local read-only dashboard: costs over time, sessions, search, sync status',
    usage: 'ui [--port PORT] [--no-open]',
    help: `Serves the dashboard on 127.0.0.1 only (never on the network), behind a random token in the URL it
prints; it reads the local database and changes none of your sessions. Every file it needs ships with
agentlogs (works offline). Pages: cost per day by machine, model or project; sessions; a session with its
screenshots inline; search; sync per machine. It asks the project, when logged in, only for the other
machines' last syncs (sync page) and for a screenshot pulled from another machine, fetched and kept when
first shown (as 'agentlogs visuals get'). Ctrl-C stops it.

Options:
  --port PORT   listen on this port (default: a free one)
  --no-open     print the URL without opening a browser`,
    options: { port: { type: 'string' }, 'no-open': { type: 'boolean' } },
  }),
  'visuals list': commandSpec({
    name: 'visuals list',
    summary: 'List the images found in transcripts (screenshots, images read by tools)',
    usage: 'visuals list [--session ID] [--limit N] [--json]',
    help: `Options:
  --session ID   only the images of this session (its row id)
  --limit N      at most N, newest first (default 50; 0 = all)
${JSON_HELP}     print an array of {id, captured_at, media_type, bytes, sha256, session_id, turn_id, commit_id,
                 machine_id, local}

Works offline. "local" says whether the image file is on this machine; 'agentlogs visuals get ID' fetches
one that is only in the project.`,
    options: { session: { type: 'string' }, limit: { type: 'string' }, json },
  }),
  'visuals get': commandSpec({
    name: 'visuals get',
    summary: 'Print the path of an image, fetching it from the project the first time',
    usage: 'visuals get <id> [--output FILE] [--json]',
    help: `The id may be a unique prefix of 6 or more characters. An image recorded on another machine is
downloaded from your project's Storage (bucket "visuals") when first viewed, checked against its SHA-256 and kept
in the data folder (up to visuals.cache_mb; least recently viewed images the project holds go first).

Options:
  --output FILE  also copy the image to FILE and print that path
${JSON_HELP}     print {id, path, fetched, sha256, media_type, bytes}`,
    options: { output: { type: 'string' }, json },
    positionals: true,
  }),
  'commits list': commandSpec({
    name: 'commits list',
    summary: 'List cognitive commits (units of work closed by a git commit or the end of a session)',
    usage: 'commits list [--all] [--session ID] [--agent NAME] [--limit N] [--json]',
    help: `Options:
  --all          include hidden commits
  --session ID   only the commits of this session
  --agent NAME   only the commits of this agent's sessions (claude_code, codex)
  --limit N      at most N commits, newest first (default 50; 0 = all)
${JSON_HELP}     print an array of {id, title, hidden, session_id, project_name, git_hash, closed_by,
                 started_at, closed_at, machine_id, machine_name, turns, input_tokens, output_tokens,
                 files_changed, version, pending}

Deleted commits are never listed.`,
    options: {
      all: { type: 'boolean' },
      session: { type: 'string' },
      agent: { type: 'string' },
      limit: { type: 'string' },
      json,
    },
  }),
  'commits show': commandSpec({
    name: 'commits show',
    summary: 'Show one cognitive commit',
    usage: 'commits show <id> [--json]',
    help: `${COMMIT_ID_NOTE} -j, --json prints the fields of \`commits list --json\`.`,
    options: { json },
    positionals: true,
  }),
  'commits title': commandSpec({
    name: 'commits title',
    summary: 'Give a commit a title (synced to your other machines)',
    usage: 'commits title <id> <text>',
    help: `An empty text removes the title.\n${COMMIT_ID_NOTE} ${COMMIT_SYNC_NOTE}`,
    positionals: true,
  }),
  'commits hide': commandSpec({
    name: 'commits hide',
    summary: 'Hide a commit from lists (synced as a flag; unhide brings it back)',
    usage: 'commits hide <id>',
    help: `Hidden commits still count in stats and stay on every machine; \`commits list --all\` shows them.\n${COMMIT_ID_NOTE} ${COMMIT_SYNC_NOTE}`,
    positionals: true,
  }),
  'commits unhide': commandSpec({
    name: 'commits unhide',
    summary: 'Show a hidden commit in lists again',
    usage: 'commits unhide <id>',
    help: `Clears the hidden flag.\n${COMMIT_ID_NOTE} ${COMMIT_SYNC_NOTE}`,
    positionals: true,
  }),
  'commits delete': commandSpec({
    name: 'commits delete',
    summary: 'Delete a commit on every machine (a tombstone; a re-import never brings it back)',
    usage: 'commits delete <id>',
    help: `The commit and its visuals become tombstones that sync to your other machines. Its turns stay: they
are the usage record of the session and keep counting in stats.
${COMMIT_ID_NOTE} ${COMMIT_SYNC_NOTE}`,
    positionals: true,
  }),
};

/** A command word that has subcommands (`agentlogs commits list`); `sync` also runs on its own. */
export interface CommandGroup {
  name: string;
  summary: string;
  /** Printed under the list of subcommands in the group's help. */
  help?: string;
}

export const commandGroups: CommandGroup[] = [
  { name: 'config', summary: 'Read and change the settings of a profile', help: CONFIG_KEYS_HELP },
  { name: 'sync', summary: 'Sync this machine with your Supabase project' },
  { name: 'prices', summary: 'The model prices that costs are computed with' },
  { name: 'schema', summary: "Your Supabase project's schema: compare it with this release, apply it" },
  {
    name: 'service',
    summary: "Run 'agentlogs sync --watch' in the background (systemd user unit, launchd agent)",
  },
  { name: 'access', summary: 'Who may write to your Supabase project (the owner decides)' },
  { name: 'encryption', summary: 'End-to-end encryption of the text your machines upload' },
  {
    name: 'hooks',
    summary: 'Claude Code hooks that import each session as it ends',
    help: "Without the hook, a session is kept only if 'agentlogs import' runs before Claude Code deletes it.",
  },
  {
    name: 'sessions',
    summary: 'Read your sessions: list them, show one conversation',
  },
  {
    name: 'visuals',
    summary: 'Images found in transcripts, stored once by content and synced through Supabase Storage',
  },
  {
    name: 'commits',
    summary: 'Cognitive commits: the units of work of a session, each closed by a git commit or its end',
    help: `${COMMIT_ID_NOTE} Edits are local until the next 'agentlogs push' or 'agentlogs sync'.`,
  },
];

/** A row of the command table: the command's spec, and how to load its code when it runs. */
export interface CommandEntry {
  /** e.g. `import` or `sync status`. */
  name: string;
  spec: CommandSpec;
  load(): Promise<Command>;
}

function one<O extends OptionSpecs>(spec: CommandSpec<O>, load: () => Promise<Command<O>>): CommandEntry {
  return { name: spec.name, spec: spec as CommandSpec, load: load as () => Promise<Command> };
}

/** Rows for a module that exports several commands (`commits list`, `commits show`, …). */
function many(list: CommandSpec[], load: () => Promise<Command[]>): CommandEntry[] {
  return list.map((spec) => ({
    name: spec.name,
    spec,
    load: async () => {
      const command = (await load()).find((c) => c.name === spec.name);
      if (!command) throw new Error(`command table: the module has no command "${spec.name}"`);
      return command;
    },
  }));
}

/** The commands, in the order of `agentlogs --help`. This list is the only place that names their modules. */
export const commandTable: CommandEntry[] = [
  one(specs.setup, async () => (await import('./setup.js')).setupCommand),
  one(specs.import, async () => (await import('./import.js')).importCommand),
  one(specs.stats, async () => (await import('./stats.js')).statsCommand),
  one(specs.statusline, async () => (await import('./statusline.js')).statuslineCommand),
  ...many(
    [specs['prices refresh'], specs['prices show']],
    async () => (await import('./prices.js')).pricesCommands,
  ),
  ...many(
    [specs.export, specs.restore, specs.backup],
    async () => (await import('./backup.js')).backupCommands,
  ),
  one(specs.login, async () => (await import('./login.js')).loginCommand),
  one(specs.whoami, async () => (await import('./whoami.js')).whoamiCommand),
  one(specs.logout, async () => (await import('./logout.js')).logoutCommand),
  ...many(
    [specs['config set'], specs['config get'], specs['config unset'], specs['config list']],
    async () => (await import('./config.js')).configCommands,
  ),
  ...many(
    [specs['schema status'], specs['schema apply']],
    async () => (await import('./schema.js')).schemaCommands,
  ),
  one(specs.sync, async () => (await import('./sync.js')).syncCommand),
  one(specs['sync status'], async () => (await import('./sync-status.js')).syncStatusCommand),
  one(specs['sync pending'], async () => (await import('./sync-pending.js')).syncPendingCommand),
  one(specs['sync reset'], async () => (await import('./sync-reset.js')).syncResetCommand),
  one(specs['sync retry'], async () => (await import('./sync-retry.js')).syncRetryCommand),
  one(specs['sync prune'], async () => (await import('./sync-prune.js')).syncPruneCommand),
  ...many(
    [specs['sync disable'], specs['sync enable']],
    async () => (await import('./sync-disable.js')).syncDisableCommands,
  ),
  ...many(
    [specs['service install'], specs['service uninstall'], specs['service status']],
    async () => (await import('./service.js')).serviceCommands,
  ),
  ...many(
    [specs['access list'], specs['access allow'], specs['access deny']],
    async () => (await import('./access.js')).accessCommands,
  ),
  ...many(
    [
      specs['encryption enable'],
      specs['encryption unlock'],
      specs['encryption lock'],
      specs['encryption status'],
      specs['encryption change-passphrase'],
      specs['encryption disable'],
    ],
    async () => (await import('./encryption.js')).encryptionCommands,
  ),
  one(specs.push, async () => (await import('./push.js')).pushCommand),
  one(specs.pull, async () => (await import('./pull.js')).pullCommand),
  one(specs.doctor, async () => (await import('./doctor.js')).doctorCommand),
  ...many(
    [specs['hooks install'], specs['hooks uninstall'], specs['hooks status'], specs['hooks run']],
    async () => (await import('./hooks.js')).hooksCommands,
  ),
  one(specs.machines, async () => (await import('./machines.js')).machinesCommand),
  ...many(
    [specs['sessions list'], specs['sessions show']],
    async () => (await import('./sessions.js')).sessionsCommands,
  ),
  one(specs.search, async () => (await import('./search.js')).searchCommand),
  one(specs.ui, async () => (await import('./ui.js')).uiCommand),
  ...many(
    [specs['visuals list'], specs['visuals get']],
    async () => (await import('./visuals.js')).visualsCommands,
  ),
  ...many(
    [
      specs['commits list'],
      specs['commits show'],
      specs['commits title'],
      specs['commits hide'],
      specs['commits unhide'],
      specs['commits delete'],
    ],
    async () => (await import('./commits.js')).commitsCommands,
  ),
];

/** Every command's code, loaded (for the table's own test). */
export function loadAllCommands(): Promise<Command[]> {
  return Promise.all(commandTable.map((entry) => entry.load()));
}
