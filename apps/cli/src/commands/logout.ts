import type { Command, OptionsOf } from '../command.js';
import { CredentialStore, openProject } from '../config.js';
import { ExitCode } from '../errors.js';
import type { specs } from './index.js';

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
      project.credentials.clear();
      ctx.out(`Not logged in to ${project.url}; nothing to do.`);
      return ExitCode.ok;
    }
    const failure =
      (await project.checkReachableForRefresh()) ?? (await project.remote.signOutEverywhere(project.client));
    project.credentials.clear();
    if (failure && (failure.code === 'network' || failure.code === 'server')) {
      ctx.err(
        `agentlogs logout: warning: ${failure.message}. The session is deleted on this machine, but the server was not told: ` +
          'its refresh token stays valid until it is used elsewhere or you run `agentlogs logout` on another logged-in machine.',
      );
      ctx.out(`Logged out locally from ${project.url}.`);
      return ExitCode.ok;
    }
    ctx.out(
      `Logged out of ${project.url}: every session of this account was signed out, and the local session deleted.`,
    );
    return ExitCode.ok;
  },
};
