import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { rowId } from '@agentlogs/schema';
import type { AuthFailure } from '@agentlogs/supabase-remote';
import { isNotAllowedError, isSyncError } from '@agentlogs/sync-core';
import type { Command, OptionsOf } from '../command.js';
import { openProject, ProfileConfig, type ProjectConnection, QUICK_CHECK_MS } from '../config.js';
import type { CommandContext } from '../context.js';
import { loadDevice } from '../device.js';
import { seeHelp } from '../docs.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { oneLine } from '../printable.js';
import type { specs } from './index.js';

const DEFAULT_TIMEOUT_SECONDS = 300;

/** What the browser (or a pasted URL) brought back to the loopback address. */
type CallbackResult = { code: string } | { error: string; errorCode?: string; description: string };

interface PendingCallback {
  result: CallbackResult;
  /** Answers the browser with the outcome page (no-op for a pasted URL). */
  respond(ok: boolean, message: string): void;
}

/**
 * The callback in `url`, or undefined when it is none. `state` is the nonce this login put in its redirect
 * URL: Supabase Auth keeps the query of the redirect URL, so a genuine callback carries it back; an address
 * without it, or with another one, did not come from this login and is refused (`'foreign'`).
 */
function parseCallback(url: URL, state: string): CallbackResult | 'foreign' | undefined {
  if (url.pathname !== '/callback') return undefined;
  if (url.searchParams.get('state') !== state) return 'foreign';
  const code = url.searchParams.get('code');
  if (code) return { code };
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const error = url.searchParams.get('error') ?? fragment.get('error');
  if (!error) return undefined;
  const errorCode = url.searchParams.get('error_code') ?? fragment.get('error_code') ?? undefined;
  return {
    error,
    ...(errorCode ? { errorCode } : {}),
    description: oneLine(
      url.searchParams.get('error_description') ?? fragment.get('error_description') ?? '',
    ),
  };
}

function page(ok: boolean, message: string): string {
  const title = ok ? 'agentlogs: logged in' : 'agentlogs: login failed';
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const color = ok ? '#1a7f37' : '#cf222e';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;line-height:1.5">
<h1 style="color:${color}">${ok ? 'Logged in' : 'Login failed'}</h1><p>${escaped}</p>
<p>You can close this tab and return to the terminal.</p></body></html>`;
}

/**
 * The loopback server on 127.0.0.1 that receives `/callback` from the browser. It answers only requests
 * addressed to `127.0.0.1:<its port>` (a page of another site that resolves its own name to 127.0.0.1 sends
 * its own name as Host: DNS rebinding) that carry this login's `state`; anything else is refused and does
 * not end the login.
 */
async function startLoopback(
  port: number,
  state: string,
): Promise<{ server: Server; port: number; next: Promise<PendingCallback> }> {
  let deliver: (pending: PendingCallback) => void = () => {};
  const next = new Promise<PendingCallback>((resolve) => {
    deliver = resolve;
  });
  let delivered = false;
  let host = '';
  const server = createServer((req, res) => {
    if (req.headers.host !== host) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('Misdirected request\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const result = parseCallback(url, state);
    if (result === 'foreign') {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(false, 'This address does not belong to the login in progress.'));
      return;
    }
    if (!result || delivered) {
      res.writeHead(result ? 409 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(false, result ? 'This login has already been handled.' : 'Nothing here.'));
      return;
    }
    delivered = true;
    deliver({
      result,
      respond(ok, message) {
        const body = page(ok, message);
        res.writeHead(ok ? 200 : 400, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
          connection: 'close',
        });
        res.end(body);
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(`port ${port} on 127.0.0.1 is in use`, {
              exitCode: ExitCode.usage,
              hint: 'pick another --port',
            })
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  host = `127.0.0.1:${bound}`;
  return { server, port: bound, next };
}

/** Whether a browser can be opened here: not over SSH without a display, not on a headless Linux. */
function browserAvailable(env: NodeJS.ProcessEnv): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32')
    return !(env.SSH_CONNECTION || env.SSH_TTY);
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

async function openBrowser(url: string): Promise<boolean> {
  try {
    const { default: open } = await import('open');
    const child = await open(url);
    child.on('error', () => {});
    return true;
  } catch {
    return false;
  }
}

/** Lines pasted into the terminal: the address the browser ended on, for logins where the redirect cannot arrive. */
function watchPastedUrl(onUrl: (url: URL) => void, isCallback: (url: URL) => boolean): () => void {
  const stdin = process.stdin;
  if (stdin.destroyed || stdin.readableEnded) return () => {};
  const rl = createInterface({ input: stdin, terminal: false });
  rl.on('line', (line) => {
    const text = line.trim();
    try {
      const url = new URL(text);
      if (isCallback(url)) onUrl(url);
    } catch {
      // not a URL: ignore
    }
  });
  rl.on('error', () => {});
  return () => {
    rl.close();
    stdin.pause();
    stdin.unref?.();
  };
}

function timeoutArg(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw usageError(`--timeout must be a whole number of seconds from 1 to 3600 (got "${String(value)}")`);
  }
  return seconds;
}

function portArg(value: unknown): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw usageError(`--port must be a number from 1024 to 65535 (got "${String(value)}")`);
  }
  return port;
}

/** Turns an auth failure during login into the CLI's one-line error. */
export function loginFailure(failure: AuthFailure, url: string): CliError {
  switch (failure.code) {
    case 'network':
      return new CliError(failure.message, {
        exitCode: ExitCode.unavailable,
        hint: `check your network connection and the project URL (${url})`,
      });
    case 'server':
      return new CliError(failure.message, { exitCode: ExitCode.unavailable, hint: 'try again in a minute' });
    case 'bad_api_key':
      return new CliError(`${url} refused the anon key`, {
        exitCode: ExitCode.config,
        hint: "copy the anon key from Dashboard → Project Settings → API and run 'agentlogs config set supabase.anon_key <key>'",
      });
    case 'code_verifier_rejected':
      return new CliError("the server rejected this login's code verifier, so its code cannot be used", {
        exitCode: ExitCode.auth,
        hint: "the stored verifier does not match the login that was started (changed or from another login); run 'agentlogs login' again",
      });
    case 'code_verifier_missing':
      return new CliError('the code verifier of this login is no longer stored on this machine', {
        exitCode: ExitCode.auth,
        hint: "run 'agentlogs login' again and finish it in one go",
      });
    case 'code_invalid':
      return new CliError('the login code expired or was already used', {
        exitCode: ExitCode.auth,
        hint: "run 'agentlogs login' again",
      });
    default:
      return new CliError(`login failed: ${failure.message}`, { exitCode: ExitCode.auth });
  }
}

function callbackFailure(result: { error: string; errorCode?: string; description: string }): CliError {
  if (result.errorCode === 'signup_disabled') {
    return new CliError('your Supabase project does not allow new users to sign up', {
      exitCode: ExitCode.auth,
      hint: 'enable "Allow new users to sign up" in Dashboard → Authentication → Sign In / Providers, then log in again',
    });
  }
  if (result.error === 'access_denied') {
    return new CliError(`GitHub login was denied${result.description ? `: ${result.description}` : ''}`, {
      exitCode: ExitCode.auth,
      hint: "run 'agentlogs login' again and choose Authorize on GitHub's page",
    });
  }
  return new CliError(`login failed: ${result.description || oneLine(result.error)}`, {
    exitCode: ExitCode.auth,
  });
}

/** Registers the profile (GitHub login) and this machine with the backend after a login. */
async function registerWithBackend(ctx: CommandContext, project: ProjectConnection) {
  const device = loadDevice(ctx.home, ctx.env, new ProfileConfig(ctx).get('machine.name').value);
  const machineId = rowId.machine(device.deviceId);
  try {
    const rpc = new project.remote.ProjectRpc(project.client);
    await rpc.upsertProfile();
    await rpc.registerMachine({
      machineId,
      deviceId: device.deviceId,
      name: device.name,
      hostname: device.hostname,
      platform: device.platform,
    });
  } catch (error) {
    if (isNotAllowedError(error)) {
      throw new CliError(`logged in, but this account may not write to ${project.url}`, {
        exitCode: ExitCode.auth,
        hint: "ask the project's owner to run 'agentlogs access allow <your GitHub login>', then run 'agentlogs login' again",
        cause: error,
      });
    }
    const code = isSyncError(error) ? error.serverCode : undefined;
    const missing = code === 'PGRST202' || code === '42883' || code === 'PGRST205';
    throw new CliError(
      missing
        ? 'logged in, but the agentlogs schema is not in your Supabase project yet'
        : `logged in, but registering this machine failed: ${(error as Error).message}`,
      {
        exitCode: missing ? ExitCode.config : ExitCode.unavailable,
        hint: missing
          ? `apply it with 'supabase link --project-ref <ref>' and 'supabase db push --remote' (see ${seeHelp('supabase')}), then run 'agentlogs login' again`
          : "run 'agentlogs login' again",
        cause: error,
      },
    );
  }
  return { device, machineId };
}

export const loginCommand: Command<OptionsOf<typeof specs.login>> = {
  name: 'login',
  async run(ctx, args) {
    const timeoutSeconds = timeoutArg(args.values.timeout);
    const port = portArg(args.values.port);
    const project = await openProject(ctx);
    const { remote } = project;

    // A disabled GitHub provider can be seen before any browser is involved.
    let settings: { githubEnabled: boolean };
    try {
      settings = await remote.fetchAuthSettings(project.url, project.anonKey, {
        // AbortSignal.any arrived in Node 20.3; before it, the timeout alone.
        signal:
          typeof AbortSignal.any === 'function'
            ? AbortSignal.any([ctx.signal, AbortSignal.timeout(QUICK_CHECK_MS)])
            : AbortSignal.timeout(QUICK_CHECK_MS),
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if ((error as { name?: string })?.name === 'TimeoutError') {
        throw new CliError(
          `cannot reach ${project.url}: no answer within ${QUICK_CHECK_MS / 1000} s (timeout)`,
          {
            exitCode: ExitCode.unavailable,
            hint: `check your network connection and the project URL (${project.url})`,
          },
        );
      }
      throw loginFailure(remote.toAuthFailure(error), project.url);
    }
    if (!settings.githubEnabled) {
      throw new CliError('GitHub login is not enabled in your Supabase project', {
        exitCode: ExitCode.config,
        hint: `enable it in Dashboard → Authentication → Sign In / Providers → GitHub with the client id and secret of a GitHub OAuth app (see ${seeHelp('login')})`,
      });
    }

    const previous = project.storedSession();
    if (previous?.user) {
      const who = previous.user.user_metadata?.user_name ?? previous.user.email ?? 'another user';
      ctx.err(`Already logged in as ${oneLine(String(who))}; this login replaces that session.`);
    }

    const state = randomBytes(24).toString('base64url');
    const loopback = await startLoopback(port, state);
    const callbackAddress = `http://127.0.0.1:${loopback.port}/callback`;
    const redirectTo = `${callbackAddress}?state=${state}`;
    let stopPaste: () => void = () => {};
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    try {
      // The login runs under a key of its own: a stored session stays untouched (and cannot interfere, e.g. by
      // a failed refresh clearing the verifier) until the new one replaces it.
      const loginKey = `${project.storageKey}:login`;
      const loginClient = remote.createProjectClient({
        url: project.url,
        anonKey: project.anonKey,
        storage: project.credentials,
        storageKey: loginKey,
      });
      const { url: authorizeUrl, flowId } = await remote.startGitHubLogin(loginClient, redirectTo);
      const wantBrowser = args.values['no-browser'] !== true && browserAvailable(ctx.env);
      const opened = wantBrowser && (await openBrowser(authorizeUrl));
      ctx.err(
        opened
          ? 'Opened your browser to log in with GitHub. If it did not open, visit:'
          : 'To log in with GitHub, open this URL in a browser:',
      );
      ctx.err(`  ${authorizeUrl}`);
      ctx.err(
        `Waiting up to ${timeoutSeconds} s for the browser to come back to ${callbackAddress} (Ctrl-C to cancel).` +
          (opened
            ? ''
            : '\nIf that page fails to load (e.g. over SSH), paste its full address here and press Enter.'),
      );

      const pasted = new Promise<PendingCallback>((resolve) => {
        stopPaste = watchPastedUrl(
          (url) => {
            const result = parseCallback(url, state);
            if (result === 'foreign') {
              ctx.err(
                'That address does not belong to this login (its state does not match): paste the address the browser ended on for the URL above.',
              );
            } else if (result) resolve({ result, respond: () => {} });
          },
          (url) => parseCallback(url, state) !== undefined,
        );
      });
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new CliError(`no answer from the browser within ${timeoutSeconds} s`, {
                exitCode: ExitCode.failure,
                hint:
                  `if GitHub's page ended on your Site URL instead of a page saying "Logged in", add ${callbackAddress.replace(/:\d+\//, ':*/')} ` +
                  `to Dashboard → Authentication → URL Configuration → Redirect URLs (this login used ${callbackAddress}), then run 'agentlogs login' again`,
              }),
            ),
          timeoutSeconds * 1000,
        );
      });
      const aborted = new Promise<never>((_, reject) => {
        if (ctx.signal.aborted) reject(ctx.signal.reason);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
      const pending = await Promise.race([loopback.next, pasted, timedOut, aborted]);
      clearTimeout(timer);
      stopPaste();

      const { result } = pending;
      if ('error' in result) {
        const failure = callbackFailure(result);
        pending.respond(false, `${failure.message}.`);
        throw failure;
      }
      let session: Awaited<ReturnType<typeof remote.finishGitHubLogin>>;
      try {
        session = await remote.finishGitHubLogin(loginClient, result.code, flowId);
      } catch (error) {
        const failure = loginFailure(remote.toAuthFailure(error), project.url);
        pending.respond(false, `${failure.message}.`);
        throw failure;
      }
      project.credentials.adoptSession(loginKey, project.storageKey);
      const login = oneLine(remote.githubLogin(session.user) ?? session.user.email ?? session.user.id);
      let registered: Awaited<ReturnType<typeof registerWithBackend>>;
      try {
        registered = await registerWithBackend(ctx, project);
      } catch (error) {
        pending.respond(
          false,
          error instanceof Error ? `${error.message}.` : 'Registering this machine failed.',
        );
        throw error;
      }
      pending.respond(
        true,
        `You are logged in to agentlogs as ${login}. This machine is "${registered.device.name}".`,
      );
      finished = true;
      ctx.out(
        `Logged in to ${project.url} as ${login}${session.user.email ? ` (${oneLine(session.user.email)})` : ''}.`,
      );
      ctx.out(
        `This machine: ${oneLine(registered.device.name)} (${registered.machineId}), profile ${ctx.profile}.`,
      );
      return ExitCode.ok;
    } finally {
      clearTimeout(timer);
      stopPaste();
      if (!finished) project.credentials.removePendingLogins(project.storageKey);
      // Let the outcome page reach the browser, then drop whatever is left.
      const closed = new Promise<void>((resolve) => loopback.server.close(() => resolve()));
      loopback.server.closeIdleConnections();
      const force = setTimeout(() => loopback.server.closeAllConnections(), 1000);
      await closed;
      clearTimeout(force);
    }
  },
};
