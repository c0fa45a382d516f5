/**
 * `agentlogs service install|uninstall|status`: `agentlogs sync --watch` as a systemd user unit (Linux) or a
 * launchd agent (macOS). The file is written by us, the same text on every run (so installing twice changes
 * nothing); systemctl and launchctl are run only when they are on PATH.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { makeDir } from '../make-dir.js';
import type { specs } from './index.js';

export type ServicePlatform = 'linux' | 'macos';

export interface ServiceDefinition {
  platform: ServicePlatform;
  /** systemd unit name without `.service`, or the launchd label. */
  name: string;
  file: string;
  text: string;
  /** The command line the service runs. */
  argv: string[];
}

export function servicePlatform(flag: string | undefined): ServicePlatform {
  if (flag !== undefined) {
    if (flag === 'linux' || flag === 'macos') return flag;
    throw usageError(`--platform must be linux or macos, not "${flag}"`);
  }
  if (process.platform === 'darwin') return 'macos';
  if (process.platform === 'linux') return 'linux';
  throw new CliError(`no background service for ${process.platform} yet`, {
    exitCode: ExitCode.config,
    hint: "run 'agentlogs sync --watch' from your system's task scheduler at log-on",
  });
}

function homeOf(ctx: Pick<CommandContext, 'env'>): string {
  return ctx.env.HOME || os.homedir();
}

/** The agentlogs binary this process runs from (the installed package's `dist/bin.js`), with this node. */
function currentArgv(ctx: Pick<CommandContext, 'profile'>): string[] {
  const script = process.argv[1];
  if (!script)
    throw new CliError('cannot tell where this agentlogs is installed', { exitCode: ExitCode.internal });
  let resolved = script;
  try {
    resolved = realpathSync(script);
  } catch {
    // keep the path as given
  }
  const profile = ctx.profile === 'default' ? [] : ['--profile', ctx.profile];
  return [process.execPath, resolved, ...profile, 'sync', '--watch'];
}

/** Variables the service must see to find the same data and project as this shell. */
function serviceEnvironment(ctx: Pick<CommandContext, 'env' | 'home'>): Record<string, string> {
  const out: Record<string, string> = {};
  if (ctx.env.AGENTLOGS_HOME) out.AGENTLOGS_HOME = ctx.home;
  return out;
}

/** systemd: `%` is a specifier, `"` and `\` are escaped inside a quoted word. */
function systemdWord(word: string): string {
  const escaped = word.replaceAll('%', '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)
    ? escaped
    : `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function xml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

export function serviceDefinition(
  ctx: Pick<CommandContext, 'env' | 'home' | 'profile'>,
  platform: ServicePlatform,
): ServiceDefinition {
  const argv = currentArgv(ctx);
  const environment = serviceEnvironment(ctx);
  const suffix = ctx.profile === 'default' ? '' : `-${ctx.profile}`;
  const profileNote = ctx.profile === 'default' ? '' : ` (profile ${ctx.profile})`;
  if (platform === 'linux') {
    const name = `agentlogs-sync${suffix}`;
    const configHome = ctx.env.XDG_CONFIG_HOME || path.join(homeOf(ctx), '.config');
    const env = Object.entries(environment).map(([k, v]) => `Environment=${systemdWord(`${k}=${v}`)}\n`);
    const text = `# Written by 'agentlogs service install'; 'agentlogs service uninstall' removes it.
[Unit]
Description=agentlogs: keep AI coding agent sessions in sync across machines${profileNote}
After=network-online.target

[Service]
ExecStart=${argv.map(systemdWord).join(' ')}
${env.join('')}Restart=on-failure
RestartSec=30
# 3: configuration or schema, 4: logged out: a restart does not help; fix it, then start the service again.
RestartPreventExitStatus=3 4
# SIGTERM lets the request in flight finish (at most 30 s).
TimeoutStopSec=45

[Install]
WantedBy=default.target
`;
    return { platform, name, file: path.join(configHome, 'systemd', 'user', `${name}.service`), text, argv };
  }
  const name = `dev.agentlogs.sync${ctx.profile === 'default' ? '' : `.${ctx.profile}`}`;
  const home = homeOf(ctx);
  const pathVar = [
    ...new Set([path.dirname(process.execPath), '/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin']),
  ].join(':');
  const vars = { PATH: pathVar, ...environment };
  const text = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by 'agentlogs service install'; 'agentlogs service uninstall' removes it. -->
<plist version="1.0">
<dict>
  <key>Label</key><string>${xml(name)}</string>
  <key>ProgramArguments</key>
  <array>
${argv.map((a) => `    <string>${xml(a)}</string>\n`).join('')}  </array>
  <key>EnvironmentVariables</key>
  <dict>
${Object.entries(vars)
  .map(([k, v]) => `    <key>${xml(k)}</key><string>${xml(v)}</string>\n`)
  .join('')}  </dict>
  <key>RunAtLoad</key><true/>
  <!-- Restart after a crash or a failure exit, not after a clean stop. -->
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>ThrottleInterval</key><integer>30</integer>
  <key>StandardErrorPath</key><string>${xml(path.join(home, 'Library', 'Logs', `${name}.log`))}</string>
</dict>
</plist>
`;
  return { platform, name, file: path.join(home, 'Library', 'LaunchAgents', `${name}.plist`), text, argv };
}

/** `systemctl` or `launchctl` on PATH, when the platform is this machine's. */
function manager(ctx: Pick<CommandContext, 'env'>, platform: ServicePlatform): string | undefined {
  const own = process.platform === 'darwin' ? 'macos' : process.platform === 'linux' ? 'linux' : undefined;
  if (own !== platform) return undefined;
  const name = platform === 'linux' ? 'systemctl' : 'launchctl';
  for (const dir of (ctx.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function runTool(
  tool: string,
  args: string[],
  ctx: Pick<CommandContext, 'env'>,
): { ok: boolean; output: string } {
  const result = spawnSync(tool, args, { env: ctx.env, encoding: 'utf8', timeout: 30_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return { ok: result.status === 0, output: output || (result.error?.message ?? '') };
}

function uid(): number {
  return process.getuid?.() ?? 0;
}

export interface InstallResult {
  definition: ServiceDefinition;
  changed: boolean;
  started: boolean;
  /** Why the service was not started, when it was not. */
  startProblem?: string;
}

/** Writes the service file (unchanged when it already holds the same text) and starts it when it can. */
export function installService(
  ctx: Pick<CommandContext, 'env' | 'home' | 'profile'>,
  platform: ServicePlatform,
  options: { start: boolean },
): InstallResult {
  const definition = serviceDefinition(ctx, platform);
  const before = existsSync(definition.file) ? readFileSync(definition.file, 'utf8') : undefined;
  const changed = before !== definition.text;
  if (changed) {
    makeDir(path.dirname(definition.file));
    writeFileSync(definition.file, definition.text, { mode: 0o644 });
  }
  if (!options.start) return { definition, changed, started: false, startProblem: 'not asked to start it' };
  const tool = manager(ctx, platform);
  if (!tool) {
    return {
      definition,
      changed,
      started: false,
      startProblem: `${platform === 'linux' ? 'systemctl' : 'launchctl'} is not on PATH`,
    };
  }
  const steps =
    platform === 'linux'
      ? [
          ['--user', 'daemon-reload'],
          ['--user', 'enable', '--now', definition.name],
          ...(changed && before !== undefined ? [['--user', 'restart', definition.name]] : []),
        ]
      : [
          ...(before !== undefined ? [['bootout', `gui/${uid()}/${definition.name}`]] : []),
          ['bootstrap', `gui/${uid()}`, definition.file],
        ];
  for (const [i, args] of steps.entries()) {
    const result = runTool(tool, args, ctx);
    // A bootout of an agent that was not loaded fails harmlessly.
    if (!result.ok && !(platform === 'macos' && i === 0 && before !== undefined)) {
      return {
        definition,
        changed,
        started: false,
        startProblem: `${path.basename(tool)} ${args.join(' ')}: ${result.output}`,
      };
    }
  }
  return { definition, changed, started: true };
}

function startCommands(definition: ServiceDefinition): string {
  return definition.platform === 'linux'
    ? `systemctl --user daemon-reload && systemctl --user enable --now ${definition.name}`
    : `launchctl bootstrap gui/$(id -u) ${definition.file}`;
}

export function describeInstall(result: InstallResult): string[] {
  const { definition } = result;
  const lines = [
    `${result.changed ? 'Wrote' : 'Unchanged:'} ${definition.file}`,
    `It runs: ${definition.argv.join(' ')}`,
  ];
  if (result.started)
    lines.push(
      `Started ${definition.name}; 'agentlogs service status' shows it, 'agentlogs sync status' what it did.`,
    );
  else lines.push(`Not started (${result.startProblem}); to start it: ${startCommands(definition)}`);
  return lines;
}

export const serviceInstallCommand: Command<OptionsOf<(typeof specs)['service install']>> = {
  name: 'service install',
  async run(ctx, args) {
    const platform = servicePlatform(args.values.platform);
    const result = installService(ctx, platform, { start: args.values['no-start'] !== true });
    for (const line of describeInstall(result)) ctx.out(line);
    return result.started || args.values['no-start'] === true || !manager(ctx, platform)
      ? ExitCode.ok
      : ExitCode.failure;
  },
};

export const serviceUninstallCommand: Command<OptionsOf<(typeof specs)['service uninstall']>> = {
  name: 'service uninstall',
  async run(ctx, args) {
    const platform = servicePlatform(args.values.platform);
    const definition = serviceDefinition(ctx, platform);
    const tool = manager(ctx, platform);
    if (tool) {
      if (platform === 'linux') runTool(tool, ['--user', 'disable', '--now', definition.name], ctx);
      else runTool(tool, ['bootout', `gui/${uid()}/${definition.name}`], ctx);
    }
    const existed = existsSync(definition.file);
    rmSync(definition.file, { force: true });
    if (tool && platform === 'linux') runTool(tool, ['--user', 'daemon-reload'], ctx);
    ctx.out(
      existed
        ? `Removed ${definition.file}${tool ? ` and stopped ${definition.name}` : ''}.`
        : `Not installed (${definition.file} does not exist).`,
    );
    return ExitCode.ok;
  },
};

export const serviceStatusCommand: Command<OptionsOf<(typeof specs)['service status']>> = {
  name: 'service status',
  async run(ctx, args) {
    const platform = servicePlatform(args.values.platform);
    const definition = serviceDefinition(ctx, platform);
    const installed = existsSync(definition.file);
    const current = installed && readFileSync(definition.file, 'utf8') === definition.text;
    const tool = manager(ctx, platform);
    let active: string | null = null;
    if (tool && installed) {
      const result =
        platform === 'linux'
          ? runTool(tool, ['--user', 'is-active', definition.name], ctx)
          : runTool(tool, ['print', `gui/${uid()}/${definition.name}`], ctx);
      active =
        platform === 'linux'
          ? result.output.split('\n')[0] || 'unknown'
          : result.ok
            ? 'loaded'
            : 'not loaded';
    }
    const report = {
      platform,
      name: definition.name,
      file: definition.file,
      installed,
      current,
      manager: tool ? path.basename(tool) : null,
      active,
    };
    if (args.values.json === true) ctx.out(JSON.stringify(report, null, 2));
    else {
      ctx.out(`Service: ${definition.name} (${platform})`);
      ctx.out(
        `File:    ${definition.file} ${installed ? (current ? '(installed)' : '(installed by another agentlogs or edited; install again to update)') : '(not installed)'}`,
      );
      ctx.out(
        `State:   ${active ?? (tool ? 'not installed' : `unknown (${platform === 'linux' ? 'systemctl' : 'launchctl'} not on PATH)`)}`,
      );
    }
    return installed ? ExitCode.ok : ExitCode.failure;
  },
};

export const serviceCommands = [serviceInstallCommand, serviceUninstallCommand, serviceStatusCommand];
