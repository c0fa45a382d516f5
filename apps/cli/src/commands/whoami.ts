import { rowId } from '@agentlogs/schema';
import type { Command, OptionsOf } from '../command.js';
import { openProject, ProfileConfig, QUICK_CHECK_MS } from '../config.js';
import { loadDevice } from '../device.js';
import { CliError, ExitCode } from '../errors.js';
import { oneLine } from '../printable.js';
import type { specs } from './index.js';

export const whoamiCommand: Command<OptionsOf<typeof specs.whoami>> = {
  name: 'whoami',
  async run(ctx, args) {
    const json = args.values.json === true;
    const project = await openProject(ctx);
    const { remote } = project;
    const loggedOut = (why: string) => {
      if (json) ctx.out(JSON.stringify({ logged_in: false, project_url: project.url, profile: ctx.profile }));
      ctx.err(`agentlogs whoami: ${why}`);
      ctx.err(`  hint: run 'agentlogs login'${ctx.profile === 'default' ? '' : ` --profile ${ctx.profile}`}`);
      return ExitCode.failure;
    };
    const stored = project.storedSession();
    if (!stored?.user?.id) return loggedOut(`not logged in to ${project.url}`);

    let user: { id: string; email?: string | undefined; user_metadata?: Record<string, unknown> } = {
      id: stored.user.id,
      email: stored.user.email,
      user_metadata: stored.user.user_metadata ?? {},
    };
    let verified = true;
    try {
      // One quick request first: offline, the stored login is shown at once, with the host and the cause.
      const offline = await remote.checkReachable(project.url, project.anonKey, {
        timeoutMs: QUICK_CHECK_MS,
      });
      if (offline && ['network', 'server', 'bad_api_key'].includes(offline.code)) throw offline;
      user = (await remote.currentUser(project.client)).user;
    } catch (error) {
      const failure = remote.toAuthFailure(error);
      if (failure.code === 'not_logged_in' || failure.code === 'session_revoked') {
        project.credentials.forgetSession(project.storageKey);
        return loggedOut(`the session for ${project.url} was revoked or has expired; you are logged out`);
      }
      if (failure.code === 'bad_api_key') {
        throw new CliError(`${project.url} refused the anon key`, {
          exitCode: ExitCode.config,
          hint: "copy the anon key from Dashboard → Project Settings → API and run 'agentlogs config set supabase.anon_key <key>'",
        });
      }
      if (failure.code !== 'network' && failure.code !== 'server') {
        throw new CliError(`could not check the session: ${failure.message}`, { exitCode: ExitCode.auth });
      }
      verified = false;
      ctx.err(
        `agentlogs whoami: warning: ${failure.message}; showing the stored login, not checked with the server`,
      );
    }

    const device = loadDevice(ctx.home, ctx.env, new ProfileConfig(ctx).get('machine.name').value);
    const meta = user.user_metadata ?? {};
    const login = [meta.user_name, meta.preferred_username].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    const info = {
      logged_in: true,
      user_id: user.id,
      github_login: login ?? null,
      email: user.email ?? null,
      machine_id: rowId.machine(device.deviceId),
      device_id: device.deviceId,
      machine_name: device.name,
      project_url: project.url,
      profile: ctx.profile,
      verified,
    };
    if (json) {
      ctx.out(JSON.stringify(info, null, 2));
      return ExitCode.ok;
    }
    // The login, email and machine name come from the server.
    ctx.out(
      `Logged in to ${info.project_url} as ${oneLine(info.github_login ?? info.email ?? info.user_id)}`,
    );
    ctx.out(`  user id:   ${oneLine(info.user_id)}`);
    if (info.email) ctx.out(`  email:     ${oneLine(info.email)}`);
    ctx.out(`  machine:   ${oneLine(info.machine_name)} (${info.machine_id})`);
    ctx.out(`  profile:   ${info.profile}`);
    return ExitCode.ok;
  },
};
