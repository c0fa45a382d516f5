import type { Command } from '../command.js';

/** A row of the command table: the command's name, and how to load its module when it runs. */
export interface CommandEntry {
  /** e.g. `import` or `sync status`. */
  name: string;
  load(): Promise<Command>;
}

function one(name: string, load: () => Promise<Command>): CommandEntry {
  return { name, load };
}

/** Entries for a module that exports several commands (`config set`, `config get`, …). */
function many(names: string[], load: () => Promise<Command[]>): CommandEntry[] {
  return names.map((name) => ({
    name,
    load: async () => {
      const command = (await load()).find((c) => c.name === name);
      if (!command) throw new Error(`command table: the module has no command "${name}"`);
      return command;
    },
  }));
}

/**
 * The command table. Each command lives in its own file under `commands/`; this list is the only place
 * that names them, and a command's module (with its dependencies: SQLite, supabase-js, …) is loaded only
 * when that command runs, so start-up stays fast. Order is the order of `agentlogs --help`.
 * `test/command-table.test.ts` checks that every name here is the name its module gives the command.
 */
export const commandTable: CommandEntry[] = [
  one('import', async () => (await import('./import.js')).importCommand),
  one('stats', async () => (await import('./stats.js')).statsCommand),
  one('login', async () => (await import('./login.js')).loginCommand),
  one('whoami', async () => (await import('./whoami.js')).whoamiCommand),
  one('logout', async () => (await import('./logout.js')).logoutCommand),
  ...many(
    ['config', 'config set', 'config get', 'config unset', 'config list'],
    async () => (await import('./config.js')).configCommands,
  ),
  one('sync', async () => (await import('./sync.js')).syncCommand),
  one('sync status', async () => (await import('./sync-status.js')).syncStatusCommand),
  one('sync pending', async () => (await import('./sync-pending.js')).syncPendingCommand),
  one('sync reset', async () => (await import('./sync-reset.js')).syncResetCommand),
  one('push', async () => (await import('./push.js')).pushCommand),
  one('pull', async () => (await import('./pull.js')).pullCommand),
  one('machines', async () => (await import('./machines.js')).machinesCommand),
  ...many(
    ['commits list', 'commits show', 'commits title', 'commits hide', 'commits unhide', 'commits delete'],
    async () => (await import('./commits.js')).commitsCommands,
  ),
];

/** Every command, loaded (for the global `--help`). */
export function loadAllCommands(): Promise<Command[]> {
  return Promise.all(commandTable.map((entry) => entry.load()));
}
