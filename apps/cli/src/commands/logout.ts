import type { Command, OptionsOf } from '../command.js';
import { CredentialStore, openProject } from '../config.js';
import { ExitCode } from '../errors.js';
import { oneLine } from '../printable.js';
import type { specs } from './index.js';

/**
 * Signs out everywhere (the server revokes every session of the account), then removes this project's session
 * from this machine. What it prints claims only what the server confirmed: when the server could not be reached
 * or refused, the session is removed here and the output says the server was not told.
 */
export const logoutCommand: Command<OptionsOf<typeof specs.logout>> = {
  name: 'logout',
  async run(ctx) {
    let project: Awaited<ReturnType<typeof openProject>>;
    try {
      project = await openProject(ctx);
    } catch (error) {
      // Without a configured project there is no server to tell; still remove what is stored here.
      const credentials = new CredentialStore(ctx);
      credentials.clear();
      ctx.err(
        `agentlogs logout: deleted the stored session; ${(error as Error).message}, so the server was not told`,
      );
      return ExitCode.ok;
    }
    const stored = project.storedSession();
    if (stored === undefined) {
      project.credentials.forgetSession(project.storageKey);
      ctx.out(`Not logged in to ${project.url}; nothing to do.`);
      return ExitCode.ok;
    }
    const failure =
      (await project.checkReachableForRefresh()) ??
      (await project.remote.signOutEverywhere(project.client, {
        url: project.url,
        anonKey: project.anonKey,
      }));
    project.credentials.forgetSession(project.storageKey);
    if (!failure) {
      ctx.out(
        `Logged out of ${project.url}: every session of this account was signed out, and the local session deleted.`,
      );
      return ExitCode.ok;
    }
    if (failure.code === 'network' || failure.code === 'server') {
      ctx.err(
        `agentlogs logout: warning: ${failure.message}. Signed out locally; the server could not be reached, so the server was not told: ` +
          'its refresh token stays valid until it is used elsewhere or you run `agentlogs logout` on another logged-in machine.',
      );
      ctx.out(`Logged out locally from ${project.url}.`);
      return ExitCode.ok;
    }
    if (failure.code === 'session_revoked' || failure.code === 'not_logged_in') {
      ctx.out(
        `Logged out locally from ${project.url}: the server had already ended this session (revoked or expired), so other sessions were not signed out.`,
      );
      return ExitCode.ok;
    }
    ctx.err(
      `agentlogs logout: warning: the server refused to sign out (${oneLine(failure.message)}). Signed out locally; other sessions of this account stay signed in.`,
    );
    ctx.out(`Logged out locally from ${project.url}.`);
    return ExitCode.ok;
  },
};
