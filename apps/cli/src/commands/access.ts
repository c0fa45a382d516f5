import type { AccessEntry, ProjectRpc } from '@agentlogs/supabase-remote';
import { isNotAllowedError } from '@agentlogs/sync-core';
import type { Command, OptionsOf } from '../command.js';
import { openLoggedInProject } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { syncCliError } from '../sync/run.js';
import { assertSyncEnabled } from '../sync/session.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** Runs an owner-only call; a refusal says who may run it. */
async function asOwner<T>(
  ctx: CommandContext,
  name: string,
  call: (rpc: ProjectRpc) => Promise<T>,
): Promise<T> {
  assertSyncEnabled(ctx, name);
  const project = await openLoggedInProject(ctx);
  try {
    return await call(new project.remote.ProjectRpc(project.client, { timeoutMs: 15_000 }));
  } catch (error) {
    if (isNotAllowedError(error)) {
      throw new CliError(`only the owner of ${project.url} manages who may write`, {
        exitCode: ExitCode.auth,
        hint: 'run it while logged in as the account that logged in to the project first',
        cause: error,
      });
    }
    throw syncCliError(error);
  }
}

function loginArg(name: string, positionals: string[]): string {
  const [login, ...rest] = positionals;
  if (!login || rest.length > 0)
    throw usageError(`${name} takes one GitHub login`, `e.g. 'agentlogs ${name} octocat'`);
  if (!GITHUB_LOGIN.test(login)) {
    throw usageError(
      `"${login.slice(0, 60)}" is not a GitHub login`,
      'a login has 1 to 39 letters, digits and single hyphens',
    );
  }
  return login;
}

export const accessListCommand: Command<OptionsOf<(typeof specs)['access list']>> = {
  name: 'access list',
  async run(ctx, args) {
    const entries: AccessEntry[] = await asOwner(ctx, 'access list', (rpc) => rpc.accessList());
    if (args.values.json === true) {
      ctx.out(JSON.stringify(entries, null, 2));
      return ExitCode.ok;
    }
    for (const line of renderTable(
      entries.map((e) => [e.githubLogin, e.role, e.signedIn ? 'yes' : 'not yet', e.addedAt]),
      { header: ['login', 'role', 'has written', 'allowed at'] },
    ))
      ctx.out(line);
    return ExitCode.ok;
  },
};

export const accessAllowCommand: Command<OptionsOf<(typeof specs)['access allow']>> = {
  name: 'access allow',
  async run(ctx, args) {
    const login = loginArg('access allow', args.positionals);
    const entry = await asOwner(ctx, 'access allow', (rpc) => rpc.accessAllow(login));
    ctx.out(
      entry.role === 'owner'
        ? `${entry.githubLogin} owns the project and may write.`
        : `${entry.githubLogin} may write to the project: log in with 'agentlogs login' as that GitHub account.`,
    );
    return ExitCode.ok;
  },
};

export const accessDenyCommand: Command<OptionsOf<(typeof specs)['access deny']>> = {
  name: 'access deny',
  async run(ctx, args) {
    const login = loginArg('access deny', args.positionals);
    const removed = await asOwner(ctx, 'access deny', (rpc) => rpc.accessDeny(login));
    ctx.out(
      removed
        ? `${login} may no longer write (its records stay).`
        : `${login} was not allowed; nothing changed.`,
    );
    return ExitCode.ok;
  },
};

export const accessCommands = [accessListCommand, accessAllowCommand, accessDenyCommand];
