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
  machine.name       the name this machine has in your records (default: its hostname) (env AGENTLOGS_MACHINE_NAME)
  sync.content       what leaves this machine: metrics, redacted (default) or full (env AGENTLOGS_SYNC_CONTENT)
  sync.redact.patterns  your redaction patterns, a JSON array of regular expressions (env AGENTLOGS_SYNC_REDACT_PATTERNS)
  sync.exclude       projects that never leave this machine, a JSON array of path globs (env AGENTLOGS_SYNC_EXCLUDE)
  sync.plan          your Supabase plan for the quota: free (default), pro or a database size in MB (env AGENTLOGS_SYNC_PLAN)
  visuals.cache_mb   MB of images kept here that the project also holds (default 500) (env AGENTLOGS_VISUALS_CACHE_MB)

Values are stored per profile (--profile NAME or AGENTLOGS_PROFILE) in <data dir>/config.json
(profiles other than "default" under <data dir>/profiles/NAME/). An environment variable beats
the stored value, which beats the default.`;

const COMMIT_ID_NOTE = 'The id may be a unique prefix of 6 or more characters.';
const COMMIT_SYNC_NOTE = "The change is local until the next 'agentlogs push' or 'agentlogs sync'.";

export const specs = {
  import: commandSpec({
    name: 'import',
    summary: 'Import Claude Code and Codex CLI transcripts into the local database',
    usage: 'import [--claude-dir DIR]... [--codex-dir DIR]... [--json]',
    help: `Options:
  --claude-dir DIR   read Claude Code transcripts from DIR (a "projects" folder or a folder holding one);
                     repeatable. Default: $CLAUDE_CONFIG_DIR (comma-separated), else ~/.config/claude/projects
                     and ~/.claude/projects
  --codex-dir DIR    read Codex CLI rollouts from DIR (a "sessions" folder or a folder holding one); repeatable.
                     Default: $CODEX_HOME/sessions, else ~/.codex/sessions
${JSON_HELP}         print the result as JSON

With --claude-dir or --codex-dir, only the folders given are read. Imports are incremental: files unchanged
since the last run are skipped, grown files are read from where the last run stopped. Transcripts are only
read, never changed. Malformed lines are skipped and reported with file:line.

Examples:
  agentlogs import
  agentlogs import --claude-dir ~/backup/.claude --json`,
    options: {
      'claude-dir': { type: 'string', multiple: true },
      'codex-dir': { type: 'string', multiple: true },
      json,
    },
  }),
  stats: commandSpec({
    name: 'stats',
    summary:
      'Token usage and cost from the local database, by day, month, model, project, session or machine',
    usage:
      'stats [--by day|month|model|project|session|machine] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--timezone TZ] [--json]',
    help: `Options:
  --by KEY              group rows by day (default), month, model, project (the cwd path), session or machine
  -s, --since DATE      first local day to count (YYYY-MM-DD, inclusive)
  -u, --until DATE      last local day to count (YYYY-MM-DD, inclusive)
  --timezone TZ         time zone for days and months (default: $TZ or the system zone)
${JSON_HELP}            print {"totals": {...}, "rows": [{"key", ...}]} for machines

Tokens: input, output, cache writes and cache reads, each response counted once. Cost: the transcript's
costUSD when present, otherwise the offline price table shipped with agentlogs; models missing from it are
listed as unpriced (marked * in the table) and not counted as $0. Run 'agentlogs import' first.`,
    options: {
      by: { type: 'string' },
      since: { type: 'string', short: 's' },
      until: { type: 'string', short: 'u' },
      timezone: { type: 'string' },
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
    usage:
      'sync [--dry-run] [--json]\n       agentlogs sync --watch [--claude-dir DIR]... [--codex-dir DIR]...\n       agentlogs sync --status [--json]',
    help: `Options:
${DRY_RUN_HELP}
${JSON_HELP}  print the report as JSON
  --status    same as 'agentlogs sync status'
  --watch     keep running: watch the transcript folders, import new lines and push them (after 500 ms of
              quiet), pull every 30 s (at once on a Supabase Realtime hint), retry with backoff when the
              network or the server is down.
              Ctrl-C or SIGTERM stops it after the request in flight. To run it as a systemd user service
              or a launchd agent: ${seeHelp('sync-service')}
  --claude-dir DIR, --codex-dir DIR   with --watch: the folders to watch (defaults as for 'agentlogs import')

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
      'claude-dir': { type: 'string', multiple: true },
      'codex-dir': { type: 'string', multiple: true },
    },
  }),
  'sync status': commandSpec({
    name: 'sync status',
    summary:
      'Show who and where sync runs as, the last push and pull, pending records, dead letters, the connection',
    usage: 'sync status [--json]   (also: sync --status)',
    help: `Shows the logged-in user, this machine, the backend URL, the last push and pull with their outcome,
records pending per table, dead letters (records the server refused or that are over its caps, with the
reason; released by 'agentlogs sync retry' or 'agentlogs push --force'),
the conflicts of the last push and pull, and checks the connection (exit 5 when the check fails).

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
${JSON_HELP}  print {total, tables: {table: count}, records: [{table, id, version, change, updated_at}]}

Works offline: it reads the local database only. Records parked as dead letters are not pending
('agentlogs sync status' lists them).`,
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
    usage: 'commits list [--all] [--session ID] [--limit N] [--json]',
    help: `Options:
  --all          include hidden commits
  --session ID   only the commits of this session
  --limit N      at most N commits, newest first (default 50; 0 = all)
${JSON_HELP}     print an array of {id, title, hidden, session_id, project_name, git_hash, closed_by,
                 started_at, closed_at, machine_id, machine_name, turns, input_tokens, output_tokens,
                 files_changed, version, pending}

Deleted commits are never listed.`,
    options: {
      all: { type: 'boolean' },
      session: { type: 'string' },
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
  { name: 'access', summary: 'Who may write to your Supabase project (the owner decides)' },
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
  one(specs.import, async () => (await import('./import.js')).importCommand),
  one(specs.stats, async () => (await import('./stats.js')).statsCommand),
  one(specs.login, async () => (await import('./login.js')).loginCommand),
  one(specs.whoami, async () => (await import('./whoami.js')).whoamiCommand),
  one(specs.logout, async () => (await import('./logout.js')).logoutCommand),
  ...many(
    [specs['config set'], specs['config get'], specs['config unset'], specs['config list']],
    async () => (await import('./config.js')).configCommands,
  ),
  one(specs.sync, async () => (await import('./sync.js')).syncCommand),
  one(specs['sync status'], async () => (await import('./sync-status.js')).syncStatusCommand),
  one(specs['sync pending'], async () => (await import('./sync-pending.js')).syncPendingCommand),
  one(specs['sync reset'], async () => (await import('./sync-reset.js')).syncResetCommand),
  one(specs['sync retry'], async () => (await import('./sync-retry.js')).syncRetryCommand),
  one(specs['sync prune'], async () => (await import('./sync-prune.js')).syncPruneCommand),
  ...many(
    [specs['access list'], specs['access allow'], specs['access deny']],
    async () => (await import('./access.js')).accessCommands,
  ),
  one(specs.push, async () => (await import('./push.js')).pushCommand),
  one(specs.pull, async () => (await import('./pull.js')).pullCommand),
  one(specs.machines, async () => (await import('./machines.js')).machinesCommand),
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
