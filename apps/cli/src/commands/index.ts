import type { Command } from '../command.js';
import { importCommand } from './import.js';
import { statsCommand } from './stats.js';

/**
 * The command table. Each command lives in its own file under `commands/`; this list is the only place
 * that names them. Order is the order of `agentlogs --help`.
 */
export const commands: Command[] = [importCommand, statsCommand];
