import type { Command } from '../command.js';
import { commitsCommands } from './commits.js';
import { configCommands } from './config.js';
import { importCommand } from './import.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { machinesCommand } from './machines.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { statsCommand } from './stats.js';
import { syncCommand } from './sync.js';
import { syncPendingCommand } from './sync-pending.js';
import { syncResetCommand } from './sync-reset.js';
import { syncStatusCommand } from './sync-status.js';
import { whoamiCommand } from './whoami.js';

/**
 * The command table. Each command lives in its own file under `commands/`; this list is the only place
 * that names them. Order is the order of `agentlogs --help`.
 */
export const commands: Command[] = [
  importCommand,
  statsCommand,
  loginCommand,
  whoamiCommand,
  logoutCommand,
  ...configCommands,
  syncCommand,
  syncStatusCommand,
  syncPendingCommand,
  syncResetCommand,
  pushCommand,
  pullCommand,
  machinesCommand,
  ...commitsCommands,
];
