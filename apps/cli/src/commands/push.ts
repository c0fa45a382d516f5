import type { Command, OptionsOf } from '../command.js';
import { executeOperation } from '../sync/execute.js';
import type { specs } from './index.js';

export const pushCommand: Command<OptionsOf<typeof specs.push>> = {
  name: 'push',
  run: (ctx, args) => executeOperation(ctx, args, 'push'),
};
