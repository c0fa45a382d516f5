/**
 * End-to-end encryption on this machine (docs/privacy.md, docs/decisions/0085-end-to-end-encryption-wiring.md):
 * the passphrase (asked on the terminal, or from `--passphrase-file` / `AGENTLOGS_PASSPHRASE`), the key cached in
 * a file of mode 0600, and the account's key parameters on the server (`content_key`). Neither the passphrase
 * nor the key is ever printed or logged.
 */
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ContentKey,
  exportContentKey,
  importContentKey,
  isContentPolicyError,
  isInvalidKdfParamsError,
  isWrongPassphraseError,
  type KdfParams,
  unlock,
  validateKdfParams,
  verifyKeyCheck,
} from '@agentlogs/content-policy';
import type { ContentEncryption, ContentPolicyOptions } from '@agentlogs/local-store';
import type { ProjectRpc, RemoteContentKey } from '@agentlogs/supabase-remote';
import { isSyncError } from '@agentlogs/sync-core';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { makeDir } from '../make-dir.js';
import { dataDir } from '../settings.js';

/** What this machine holds: the key, the key check it matches, and during a passphrase change the old key. */
export interface CachedKey {
  key: ContentKey;
  keyCheck: string;
  /** The key of the passphrase being replaced, kept until every field on the server is re-encrypted. */
  previous?: { key: ContentKey; keyCheck: string };
  /**
   * Set while `encryption disable` runs: the account's key is removed from the server but ciphertext may remain
   * there, so the key stays here until the command finishes (run again, it resumes).
   */
  disabling?: boolean;
  /** Set while `encryption enable` seals the images the project held in the clear (run again, it resumes). */
  sealing?: boolean;
}

export function keyFilePath(ctx: Pick<CommandContext, 'home' | 'profile'>): string {
  return path.join(dataDir(ctx), 'credentials', 'content-key.json');
}

const KEY_FILE_HINT = "run 'agentlogs encryption lock', then 'agentlogs encryption unlock'";

export function readCachedKey(ctx: Pick<CommandContext, 'home' | 'profile'>): CachedKey | undefined {
  const file = keyFilePath(ctx);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`the key file ${file} cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      exitCode: ExitCode.fileSystem,
      hint: KEY_FILE_HINT,
    });
  }
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    const entry = (value: unknown) => {
      const item = value as Record<string, unknown>;
      if (typeof item?.keyCheck !== 'string') throw new SyntaxError('keyCheck');
      return { key: importContentKey(String(item.key)), keyCheck: item.keyCheck };
    };
    const cached: CachedKey = entry(parsed);
    if (parsed.previous !== undefined) cached.previous = entry(parsed.previous);
    if (parsed.disabling === true) cached.disabling = true;
    if (parsed.sealing === true) cached.sealing = true;
    return cached;
  } catch (error) {
    if (!(error instanceof SyntaxError) && !isContentPolicyError(error) && !(error instanceof TypeError))
      throw error;
    // The file's content is never printed: it is the key.
    throw new CliError(`the key file ${file} is unreadable`, {
      exitCode: ExitCode.config,
      hint: KEY_FILE_HINT,
    });
  }
}

export function writeCachedKey(ctx: Pick<CommandContext, 'home' | 'profile'>, cached: CachedKey): void {
  const file = keyFilePath(ctx);
  const dir = path.dirname(file);
  makeDir(dir);
  chmodSync(dir, 0o700);
  const body: Record<string, unknown> = { keyCheck: cached.keyCheck, key: exportContentKey(cached.key) };
  if (cached.previous) {
    body.previous = { keyCheck: cached.previous.keyCheck, key: exportContentKey(cached.previous.key) };
  }
  if (cached.disabling) body.disabling = true;
  if (cached.sealing) body.sealing = true;
  // Written to a new file of mode 0600 and renamed over the old one: the key is never in a file others may read.
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(body)}\n`, { mode: 0o600, flag: 'w' });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

export function deleteCachedKey(ctx: Pick<CommandContext, 'home' | 'profile'>): boolean {
  const file = keyFilePath(ctx);
  try {
    rmSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The smallest passphrase `enable` and `change-passphrase` accept. */
export const MIN_PASSPHRASE_CHARS = 8;

/**
 * A passphrase: from `file` (its first line), else `$envName`, else asked on the terminal without echo (twice
 * when `confirm`). Never printed.
 */
export async function readPassphrase(
  ctx: CommandContext,
  options: { file?: string | undefined; envName: string; prompt: string; confirm?: boolean },
): Promise<string> {
  let passphrase: string | undefined;
  if (options.file !== undefined) {
    try {
      passphrase = readFileSync(path.resolve(ctx.cwd, options.file), 'utf8').split(/\r?\n/)[0];
    } catch (error) {
      throw new CliError(
        `the passphrase file ${options.file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
        {
          exitCode: ExitCode.fileSystem,
          hint: 'give a readable file holding the passphrase on its first line',
        },
      );
    }
  } else if (ctx.env[options.envName] !== undefined && ctx.env[options.envName] !== '') {
    passphrase = ctx.env[options.envName];
  } else if (process.stdin.isTTY && ctx.stderr === process.stderr) {
    passphrase = await askHidden(ctx, options.prompt);
    if (options.confirm) {
      const again = await askHidden(ctx, 'Repeat it: ');
      if (again !== passphrase) {
        throw new CliError('the two passphrases differ; nothing was changed', { exitCode: ExitCode.usage });
      }
    }
  } else {
    throw new CliError('a passphrase is needed and there is no terminal to ask for it', {
      exitCode: ExitCode.usage,
      hint: `set ${options.envName} or pass --passphrase-file FILE`,
    });
  }
  if (!passphrase) throw new CliError('the passphrase is empty', { exitCode: ExitCode.usage });
  return passphrase;
}

/** Reads one line from the terminal without echoing it. */
function askHidden(ctx: CommandContext, prompt: string): Promise<string> {
  const stdin = process.stdin;
  ctx.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      ctx.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') {
          return finish(new CliError('interrupted; nothing was changed', { exitCode: ExitCode.interrupted }));
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

/** The account's key parameters as stored on the server, checked before any work. */
export function remoteKdf(remote: RemoteContentKey): KdfParams {
  try {
    validateKdfParams(remote.kdf);
  } catch (error) {
    if (!isInvalidKdfParamsError(error)) throw error;
    throw new CliError(error.message, {
      exitCode: ExitCode.config,
      hint: 'the server row of content_key was changed by something other than agentlogs',
    });
  }
  return remote.kdf;
}

/** Derives the key from a passphrase and checks it against the server's key check: one clear line when wrong. */
export async function unlockWith(passphrase: string, remote: RemoteContentKey): Promise<ContentKey> {
  try {
    return await unlock(passphrase, remoteKdf(remote), remote.keyCheck);
  } catch (error) {
    if (isWrongPassphraseError(error)) {
      throw new CliError('wrong passphrase: it is not the one encryption was enabled with', {
        exitCode: ExitCode.auth,
        hint: 'try again; a lost passphrase cannot be recovered (the metrics are never encrypted)',
      });
    }
    throw error;
  }
}

export type EncryptionState =
  | { state: 'off' }
  | { state: 'on'; key: ContentKey; remote: RemoteContentKey }
  | { state: 'locked'; remote: RemoteContentKey; reason: 'no-key' | 'passphrase-changed' };

/** Whether the account encrypts, and whether this machine holds the current key. One call to the server. */
export async function resolveEncryption(
  ctx: Pick<CommandContext, 'home' | 'profile'>,
  rpc: ProjectRpc,
): Promise<EncryptionState> {
  let remote: RemoteContentKey | null;
  try {
    remote = await rpc.contentKey();
  } catch (error) {
    // A project whose schema predates encryption cannot have it turned on.
    if (isSyncError(error) && error.code === 'schema_mismatch') return { state: 'off' };
    throw error;
  }
  if (remote === null) return { state: 'off' };
  const cached = readCachedKey(ctx);
  if (cached === undefined) return { state: 'locked', remote, reason: 'no-key' };
  try {
    verifyKeyCheck(cached.key, remote.keyCheck);
  } catch (error) {
    if (!isWrongPassphraseError(error)) throw error;
    return { state: 'locked', remote, reason: 'passphrase-changed' };
  }
  return { state: 'on', key: cached.key, remote };
}

/** What the local store is given for this state. */
export function storeEncryption(state: EncryptionState): ContentEncryption | undefined {
  if (state.state === 'off') return undefined;
  return state.state === 'on' ? { key: state.key } : { locked: true };
}

/** One line for a locked machine, printed by the sync commands. */
export function lockedNotice(state: EncryptionState): string | undefined {
  if (state.state !== 'locked') return undefined;
  return state.reason === 'passphrase-changed'
    ? "Encryption: locked (the passphrase was changed on another machine): no text leaves this machine; run 'agentlogs encryption unlock'."
    : "Encryption: locked (this machine has no key): no text leaves this machine and encrypted text shows as locked; run 'agentlogs encryption unlock'.";
}

/**
 * A machine whose account no longer encrypts (`encryption disable` ran elsewhere) but which still holds a key:
 * what it pulled while the account encrypted and could not open yet is opened with that key, then the key file is
 * deleted. The key file of a disable that did not finish on this machine is kept (the command resumes with it).
 * Returns the line to print, if any.
 */
export function retireStaleKey(
  ctx: Pick<CommandContext, 'home' | 'profile'>,
  store: { setContentPolicy(content: ContentPolicyOptions | undefined): void; openLockedFields(): unknown },
  content: ContentPolicyOptions,
): string | undefined {
  const cached = readCachedKey(ctx);
  if (cached === undefined) return undefined;
  if (cached.disabling) {
    return "Encryption: an 'agentlogs encryption disable' did not finish on this machine; run it again to finish.";
  }
  store.setContentPolicy({ ...content, encryption: { key: cached.key } });
  try {
    store.openLockedFields();
  } finally {
    store.setContentPolicy(content);
  }
  deleteCachedKey(ctx);
  return 'Encryption was turned off for this account: the key is deleted from this machine and its text now leaves at its content level.';
}
