import type { Command, OptionsOf } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { maskSecret, ProfileConfig, type ResolvedSetting } from '../settings.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

function shown(setting: ResolvedSetting, reveal: boolean): string {
  if (setting.value === undefined) return '';
  return setting.secret && !reveal ? maskSecret(setting.value) : setting.value;
}

function oneKey(positionals: string[], usage: string): string {
  const [key, ...extra] = positionals;
  if (!key || extra.length > 0)
    throw usageError(`expected exactly one setting name`, `usage: agentlogs ${usage}`);
  return key;
}

export const configSetCommand: Command<OptionsOf<(typeof specs)['config set']>> = {
  name: 'config set',
  async run(ctx, args) {
    const [key, value, ...extra] = args.positionals;
    if (!key || value === undefined || extra.length > 0) {
      throw usageError('expected a setting name and one value', 'usage: agentlogs config set <key> <value>');
    }
    const config = new ProfileConfig(ctx);
    const stored = await config.set(key, value);
    const setting = config.get(key);
    ctx.out(`${key} = ${setting.secret ? maskSecret(stored) : stored} (profile ${ctx.profile})`);
    if (setting.source === 'env') {
      ctx.err(
        `agentlogs: note: ${setting.env} is set in the environment and takes precedence over this value`,
      );
    }
    return ExitCode.ok;
  },
};

export const configGetCommand: Command<OptionsOf<(typeof specs)['config get']>> = {
  name: 'config get',
  async run(ctx, args) {
    const key = oneKey(args.positionals, 'config get <key>');
    const setting = new ProfileConfig(ctx).get(key);
    if (setting.value === undefined) {
      ctx.err(`agentlogs config get: ${key} is not set (profile ${ctx.profile})`);
      return ExitCode.failure;
    }
    ctx.out(shown(setting, args.values.reveal === true));
    return ExitCode.ok;
  },
};

export const configUnsetCommand: Command<OptionsOf<(typeof specs)['config unset']>> = {
  name: 'config unset',
  async run(ctx, args) {
    const key = oneKey(args.positionals, 'config unset <key>');
    const removed = await new ProfileConfig(ctx).unset(key);
    ctx.out(
      removed ? `${key} removed (profile ${ctx.profile})` : `${key} was not set in profile ${ctx.profile}`,
    );
    return ExitCode.ok;
  },
};

export const configListCommand: Command<OptionsOf<(typeof specs)['config list']>> = {
  name: 'config list',
  async run(ctx, args) {
    const config = new ProfileConfig(ctx);
    const settings = config.list();
    if (args.values.json === true) {
      ctx.out(
        JSON.stringify(
          {
            profile: ctx.profile,
            file: config.path,
            settings: settings.map((s) => ({
              key: s.key,
              value: s.value === undefined ? null : shown(s, false),
              source: s.source ?? null,
              env: s.env,
              secret: s.secret,
              ...(s.problem ? { problem: s.problem } : {}),
            })),
          },
          null,
          2,
        ),
      );
      return ExitCode.ok;
    }
    ctx.out(`profile ${ctx.profile} (${config.path})`);
    const rows = settings.map((s) => {
      const where = s.problem
        ? `invalid: ${s.problem}`
        : s.source === 'env'
          ? `env ${s.env}`
          : (s.source ?? 'unset');
      return [s.key, s.value === undefined ? '-' : shown(s, false), `(${where})`];
    });
    for (const line of renderTable(rows, { indent: '  ' })) ctx.out(line);
    return ExitCode.ok;
  },
};

export const configCommands: Command[] = [
  configSetCommand,
  configGetCommand,
  configUnsetCommand,
  configListCommand,
];
