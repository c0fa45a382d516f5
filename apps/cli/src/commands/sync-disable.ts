import { createInterface } from 'node:readline/promises';
import type { Command, OptionsOf } from '../command.js';
import { CredentialStore, openLoggedInProject, openProject, ProfileConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import type { specs } from './index.js';

async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const onAbort = () => rl.close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let answer = '';
  try {
    answer = await rl.question(question);
  } catch {
    answer = '';
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    rl.close();
  }
  if (ctx.signal.aborted)
    throw new CliError('interrupted; nothing was changed', { exitCode: ExitCode.interrupted });
  return /^y(es)?$/i.test(answer.trim());
}

const int = (n: number) => n.toLocaleString('en-US');

/** Removes this account's stored objects and rows from the project; prints what went. */
async function deleteCloudData(ctx: CommandContext): Promise<void> {
  const project = await openLoggedInProject(ctx);
  const session = await project.remote.currentSession(project.client);
  let deleted: Awaited<ReturnType<typeof project.remote.deleteCloudData>>;
  try {
    deleted = await project.remote.deleteCloudData(project.client, session.user.id, { signal: ctx.signal });
  } catch (error) {
    throw new CliError(`removing your data from ${project.url} failed: ${(error as Error).message}`, {
      exitCode: ExitCode.unavailable,
      hint: 'nothing was turned off; run the command again (what was removed stays removed)',
    });
  }
  const rows = Object.values(deleted.rows).reduce((a, b) => a + b, 0);
  const objects = Object.values(deleted.objects).reduce((a, b) => a + b, 0);
  const perTable = Object.entries(deleted.rows)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${int(n)}`)
    .join(', ');
  ctx.out(
    `Removed from ${project.url}: ${int(rows)} rows${perTable ? ` (${perTable})` : ''}` +
      `${Object.keys(deleted.objects).length > 0 ? `, ${int(objects)} stored objects` : ''}.`,
  );
}

export const syncDisableCommand: Command<OptionsOf<(typeof specs)['sync disable']>> = {
  name: 'sync disable',
  async run(ctx, args) {
    const deleteCloud = args.values['delete-cloud-data'] === true;
    if (deleteCloud && args.values.yes !== true) {
      if (!process.stdin.isTTY || ctx.stdout !== process.stdout) {
        throw usageError(
          '--delete-cloud-data needs confirmation',
          "run 'agentlogs sync disable --delete-cloud-data --yes' to confirm",
        );
      }
      const ok = await confirm(
        ctx,
        'This removes every record you synced, from every machine, from your Supabase project (each machine keeps its own copy). Continue? [y/N] ',
      );
      if (!ok) {
        ctx.out('Nothing was changed.');
        return ExitCode.failure;
      }
    }
    if (deleteCloud) await deleteCloudData(ctx);

    // Sign out everywhere, as `logout` does; without a project or a session there is nothing to revoke.
    let signedOut = 'no session was stored';
    try {
      const project = await openProject(ctx);
      if (project.storedSession() !== undefined) {
        const failure =
          (await project.checkReachableForRefresh()) ??
          (await project.remote.signOutEverywhere(project.client));
        signedOut =
          failure && (failure.code === 'network' || failure.code === 'server')
            ? `the server could not be told (${failure.message}); the session was deleted here`
            : 'every session of this account was signed out';
      }
      project.credentials.clear();
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== ExitCode.config) throw error;
      new CredentialStore(ctx).clear();
    }
    await new ProfileConfig(ctx).set('sync.enabled', 'false');
    ctx.out(`Sync is off for profile ${ctx.profile}: ${signedOut}; the local database is untouched.`);
    if (deleteCloud)
      ctx.out(
        "After 'agentlogs sync enable' and a login, run 'agentlogs sync reset --yes' on each machine to upload its records again.",
      );
    else ctx.out("Your records stay in your Supabase project; 'agentlogs sync enable' turns sync back on.");
    return ExitCode.ok;
  },
};

export const syncEnableCommand: Command<OptionsOf<(typeof specs)['sync enable']>> = {
  name: 'sync enable',
  async run(ctx) {
    const config = new ProfileConfig(ctx);
    await config.set('sync.enabled', 'true');
    const setting = config.get('sync.enabled');
    if (setting.source === 'env' && setting.value === 'false') {
      ctx.err(`agentlogs sync enable: note: ${setting.env}=false still turns sync off in this shell`);
    }
    const profile = ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`;
    ctx.out(
      `Sync is on for profile ${ctx.profile}. Next: 'agentlogs login${profile}', then 'agentlogs sync${profile}'.`,
    );
    return ExitCode.ok;
  },
};

export const syncDisableCommands = [syncDisableCommand, syncEnableCommand];
