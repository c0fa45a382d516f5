import type { Command } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { CONFIG_KEYS, maskSecret, ProfileConfig, type ResolvedSetting } from '../settings.js';

const keysHelp = [
  'Settings:',
  ...CONFIG_KEYS.map((k) => `  ${k.key.padEnd(18)} ${k.description} (env ${k.env})`),
  '',
  'Values are stored per profile (--profile NAME or AGENTLOGS_PROFILE) in <data dir>/config.json',
  '(profiles other than "default" under <data dir>/profiles/NAME/). An environment variable beats',
  'the stored value, which beats the default.',
].join('\n');

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

export const configSetCommand: Command = {
  name: 'config set',
  summary: 'Store a setting in the current profile',
  usage: 'config set <key> <value>',
  help: `Example: agentlogs config set supabase.url https://abcd.supabase.co\n\n${keysHelp}`,
  positionals: true,
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

export const configGetCommand: Command = {
  name: 'config get',
  summary: 'Print the effective value of a setting',
  usage: 'config get <key> [--reveal]',
  help: `Exits 1 when the setting has no value. Secrets are masked unless --reveal is given.\n\n${keysHelp}`,
  options: { reveal: { type: 'boolean' } },
  positionals: true,
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

export const configUnsetCommand: Command = {
  name: 'config unset',
  summary: 'Remove a setting from the current profile',
  usage: 'config unset <key>',
  help: keysHelp,
  positionals: true,
  async run(ctx, args) {
    const key = oneKey(args.positionals, 'config unset <key>');
    const removed = await new ProfileConfig(ctx).unset(key);
    ctx.out(
      removed ? `${key} removed (profile ${ctx.profile})` : `${key} was not set in profile ${ctx.profile}`,
    );
    return ExitCode.ok;
  },
};

export const configListCommand: Command = {
  name: 'config list',
  summary: 'Show every setting, its value and where it comes from',
  usage: 'config list [--json]',
  help: `Sources: env (an environment variable), profile (stored with 'config set'), default.\nSecrets are masked.\n\n${keysHelp}`,
  options: { json: { type: 'boolean' } },
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
            })),
          },
          null,
          2,
        ),
      );
      return ExitCode.ok;
    }
    ctx.out(`profile ${ctx.profile} (${config.path})`);
    const width = Math.max(...settings.map((s) => s.key.length));
    for (const s of settings) {
      const where = s.source === 'env' ? `env ${s.env}` : (s.source ?? 'unset');
      ctx.out(`  ${s.key.padEnd(width)}  ${s.value === undefined ? '-' : shown(s, false)}  (${where})`);
    }
    return ExitCode.ok;
  },
};

/** `agentlogs config` alone, or with an unknown subcommand. */
export const configCommand: Command = {
  name: 'config',
  summary: 'Read and change settings: config set|get|unset|list',
  usage: 'config set|get|unset|list ...',
  help: keysHelp,
  positionals: true,
  async run(_ctx, args) {
    const [sub] = args.positionals;
    throw usageError(
      sub ? `unknown subcommand "config ${sub}"` : 'config needs a subcommand',
      "use 'agentlogs config set|get|unset|list' (see 'agentlogs config --help')",
    );
  },
};

export const configCommands: Command[] = [
  configCommand,
  configSetCommand,
  configGetCommand,
  configUnsetCommand,
  configListCommand,
];
