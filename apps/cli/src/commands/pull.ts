import type { Command, OptionsOf } from '../command.js';
import { executeOperation } from '../sync/execute.js';
import type { specs } from './index.js';

export const pullCommand: Command<OptionsOf<typeof specs.pull>> = {
  name: 'pull',
  run: (ctx, args) => executeOperation(ctx, args, 'pull'),
};
