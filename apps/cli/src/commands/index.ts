import type { Command } from '../command.js';
import { configCommands } from './config.js';
import { importCommand } from './import.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { statsCommand } from './stats.js';
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
];
