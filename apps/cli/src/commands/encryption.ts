/**
 * `agentlogs encryption enable|unlock|lock|status|change-passphrase|disable` (docs/privacy.md): end-to-end encryption of
 * the text that leaves this machine, under a key derived from a passphrase that never leaves it.
 */
import {
  type ContentKey,
  deriveKey,
  isContentPolicyError,
  keyCheck,
  newKdfParams,
  openField,
  reencryptField,
} from '@agentlogs/content-policy';
import {
  openIncomingPayload,
  outgoingPayload,
  parseContentState,
  type SyncedTable,
} from '@agentlogs/local-store';
import type { ProjectRpc, RemoteContentKey } from '@agentlogs/supabase-remote';
import { isSyncError, recordByteSize, type SyncRecord } from '@agentlogs/sync-core';
import type { Command, OptionsOf } from '../command.js';
import { openLoggedInProject, type ProjectConnection } from '../config.js';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import {
  type CachedKey,
  deleteCachedKey,
  keyFilePath,
  MIN_PASSPHRASE_CHARS,
  readCachedKey,
  readPassphrase,
  remoteKdf,
  resolveEncryption,
  unlockWith,
  writeCachedKey,
} from '../sync/encryption.js';
import { syncCliError, withRetries } from '../sync/run.js';
import { assertSyncEnabled, openLocalSyncStore, openSyncSession, SYNC_TABLES } from '../sync/session.js';
import { moveVisualObjects } from '../sync/visuals.js';
import type { specs } from './index.js';

const PASSPHRASE_ENV = 'AGENTLOGS_PASSPHRASE';
const NEW_PASSPHRASE_ENV = 'AGENTLOGS_NEW_PASSPHRASE';

async function connect(
  ctx: CommandContext,
  name: string,
): Promise<{ project: ProjectConnection; rpc: ProjectRpc }> {
  assertSyncEnabled(ctx, name);
  const project = await openLoggedInProject(ctx);
  return { project, rpc: new project.remote.ProjectRpc(project.client, { timeoutMs: 30_000 }) };
}

async function serverKey(rpc: ProjectRpc): Promise<RemoteContentKey | null> {
  try {
    return await rpc.contentKey();
  } catch (error) {
    throw syncCliError(error);
  }
}

function checkNewPassphrase(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_CHARS) {
    throw new CliError(`the passphrase must have at least ${MIN_PASSPHRASE_CHARS} characters`, {
      exitCode: ExitCode.usage,
      hint: 'a few unrelated words are long and easy to remember',
    });
  }
}

function changedElsewhere(error: unknown): boolean {
  return isSyncError(error) && error.serverCode === 'PT409';
}

/** Opens the fields this machine pulled while locked; returns how many it opened and how many stay locked. */
function openLocked(ctx: CommandContext, key: ContentKey): { opened: number; locked: number } {
  const local = openLocalSyncStore(ctx);
  try {
    local.store.setContentPolicy({ level: 'full', encryption: { key } });
    return local.store.openLockedFields();
  } finally {
    void local.database.close();
  }
}

const LOSS_WARNING =
  'Keep the passphrase safe: without it the encrypted text cannot be read by anyone (the metrics are never encrypted).';

/** Seals the images the project holds in the clear (sent before encryption was on), and says how many. */
async function sealPlainImages(ctx: CommandContext, key: ContentKey): Promise<void> {
  const session = await openSyncSession(ctx, 'encryption enable');
  try {
    if (session.encryption.state !== 'on') return;
    const moved = await moveVisualObjects(ctx, session, { kind: 'plain' }, { kind: 'sealed', key });
    if (moved.moved > 0)
      ctx.out(`${moved.moved} images the project held unencrypted are stored encrypted now.`);
  } catch (error) {
    throw syncCliError(error, session);
  } finally {
    await session.close();
  }
}

export const encryptionEnableCommand: Command<OptionsOf<(typeof specs)['encryption enable']>> = {
  name: 'encryption enable',
  async run(ctx, args) {
    const { rpc } = await connect(ctx, 'encryption enable');
    const current = await serverKey(rpc);
    if (current !== null) {
      const cached = readCachedKey(ctx);
      if (cached?.sealing && cached.keyCheck === current.keyCheck) {
        ctx.err('Resuming: sealing the images the project held unencrypted.');
        await sealPlainImages(ctx, cached.key);
        writeCachedKey(ctx, { key: cached.key, keyCheck: cached.keyCheck });
        return ExitCode.ok;
      }
      throw new CliError('encryption is already on for this account', {
        exitCode: ExitCode.failure,
        hint: "run 'agentlogs encryption unlock' on this machine",
      });
    }
    const passphrase = await readPassphrase(ctx, {
      file: args.values['passphrase-file'],
      envName: PASSPHRASE_ENV,
      prompt: 'New passphrase: ',
      confirm: true,
    });
    checkNewPassphrase(passphrase);
    const params = newKdfParams();
    const key = await deriveKey(passphrase, params);
    const check = keyCheck(key);
    try {
      await rpc.setContentKey({ ...params }, check, null);
    } catch (error) {
      if (changedElsewhere(error)) {
        throw new CliError('encryption was turned on from another machine meanwhile', {
          exitCode: ExitCode.failure,
          hint: "run 'agentlogs encryption unlock' with that passphrase",
        });
      }
      throw syncCliError(error);
    }
    // Until the images sent in the clear are sealed, the key file says so: run again, enable resumes.
    writeCachedKey(ctx, { key, keyCheck: check, sealing: true });
    ctx.out('Encryption is on. This machine holds the key (in a file only you can read).');
    await sealPlainImages(ctx, key);
    writeCachedKey(ctx, { key, keyCheck: check });
    ctx.out(
      "The next 'agentlogs sync' replaces the text this machine uploaded with ciphertext. On your other machines run 'agentlogs encryption unlock'; until then they send no text.",
    );
    ctx.out(LOSS_WARNING);
    return ExitCode.ok;
  },
};

export const encryptionUnlockCommand: Command<OptionsOf<(typeof specs)['encryption unlock']>> = {
  name: 'encryption unlock',
  async run(ctx, args) {
    const { rpc } = await connect(ctx, 'encryption unlock');
    const remote = await serverKey(rpc);
    if (remote === null) {
      throw new CliError('encryption is off for this account; there is nothing to unlock', {
        exitCode: ExitCode.failure,
        hint: "'agentlogs encryption enable' turns it on",
      });
    }
    const passphrase = await readPassphrase(ctx, {
      file: args.values['passphrase-file'],
      envName: PASSPHRASE_ENV,
      prompt: 'Passphrase: ',
    });
    const key = await unlockWith(passphrase, remote);
    writeCachedKey(ctx, { key, keyCheck: remote.keyCheck });
    const opened = openLocked(ctx, key);
    ctx.out(
      `Unlocked: this machine holds the key. ${opened.opened.toLocaleString('en-US')} locked fields are readable now` +
        (opened.locked > 0
          ? `; ${opened.locked.toLocaleString('en-US')} stay locked (written under another passphrase)`
          : '') +
        '.',
    );
    ctx.out("The next 'agentlogs sync' uploads this machine's text, encrypted.");
    return ExitCode.ok;
  },
};

export const encryptionLockCommand: Command<OptionsOf<(typeof specs)['encryption lock']>> = {
  name: 'encryption lock',
  async run(ctx) {
    const removed = deleteCachedKey(ctx);
    ctx.out(
      removed
        ? "Locked: the key is deleted from this machine. Its records now leave without text; 'agentlogs encryption unlock' brings the key back."
        : 'This machine holds no key; nothing changed.',
    );
    return ExitCode.ok;
  },
};

interface EncryptionStatus {
  /** `on` / `off` for the account, `unknown` when the server could not be asked. */
  account: 'on' | 'off' | 'unknown';
  /** `unlocked` (holds the current key), `locked`, or `off`. */
  machine: 'unlocked' | 'locked' | 'off';
  reason: string | null;
  epoch: number | null;
  kdf: { algorithm: string; N: number; r: number; p: number } | null;
  key_file: string | null;
  locked_fields: number;
  /** The form this machine's records were last uploaded in (`redacted+encrypted`, `locked`, `full`, …). */
  uploaded_as: string | null;
  server_error: string | null;
}

export const encryptionStatusCommand: Command<OptionsOf<(typeof specs)['encryption status']>> = {
  name: 'encryption status',
  async run(ctx, args) {
    const cached = readCachedKey(ctx);
    const local = openLocalSyncStore(ctx, 'read');
    let lockedFields: number;
    let uploadedAs: string | undefined;
    try {
      lockedFields = local.store.lockedFieldCount();
      uploadedAs = local.store.uploadedForm();
    } finally {
      await local.database.close();
    }
    const status: EncryptionStatus = {
      account: 'unknown',
      machine: cached ? 'unlocked' : 'locked',
      reason: null,
      epoch: null,
      kdf: null,
      key_file: cached ? keyFilePath(ctx) : null,
      locked_fields: lockedFields,
      uploaded_as: uploadedAs ?? null,
      server_error: null,
    };
    try {
      const { rpc } = await connect(ctx, 'encryption status');
      const state = await resolveEncryption(ctx, rpc);
      status.account = state.state === 'off' ? 'off' : 'on';
      status.machine = state.state === 'on' ? 'unlocked' : state.state;
      if (state.state === 'locked') status.reason = state.reason;
      if (state.state !== 'off') {
        const kdf = remoteKdf(state.remote);
        status.epoch = state.remote.epoch;
        status.kdf = { algorithm: kdf.algorithm, N: kdf.N, r: kdf.r, p: kdf.p };
      }
    } catch (error) {
      const cli = syncCliError(error);
      status.server_error = cli instanceof Error ? cli.message : String(cli);
      if (!cached)
        status.machine = uploadedAs?.endsWith('+encrypted') || uploadedAs === 'locked' ? 'locked' : 'off';
    }
    if (args.values.json === true) {
      ctx.out(JSON.stringify(status, null, 2));
      return ExitCode.ok;
    }
    ctx.out(`Account:       encryption ${status.account}`);
    const why =
      status.reason === 'passphrase-changed'
        ? ' (the passphrase was changed on another machine)'
        : status.reason === 'no-key'
          ? ' (no key on this machine)'
          : '';
    ctx.out(`This machine:  ${status.machine}${why}`);
    if (status.kdf) {
      ctx.out(
        `Key:           scrypt N=2^${Math.log2(status.kdf.N)} r=${status.kdf.r} p=${status.kdf.p}, passphrase #${status.epoch}`,
      );
    }
    if (status.key_file) ctx.out(`Key file:      ${status.key_file} (mode 0600)`);
    ctx.out(`Locked fields: ${status.locked_fields.toLocaleString('en-US')}`);
    if (status.uploaded_as) ctx.out(`Uploaded as:   ${status.uploaded_as}`);
    if (status.server_error) ctx.out(`Server:        not checked: ${status.server_error}`);
    if (status.machine === 'locked' && status.account !== 'off')
      ctx.out("Run 'agentlogs encryption unlock' to read and send text on this machine.");
    return ExitCode.ok;
  },
};

/** Records per push request of the re-encryption. */
const REKEY_BATCH_ROWS = 200;
const REKEY_BATCH_BYTES = 1_000_000;

interface RekeyReport {
  reencrypted: number;
  /** Newer here than on the server: the next sync sends them under the new key. */
  pendingHere: number;
  /** Encrypted under neither key (written under an older passphrase): left as they are. */
  unreadable: number;
  /** Changed on the server meanwhile by another machine. */
  rejected: number;
}

/**
 * Re-encrypts every encrypted field on the server from `from` to `to`: each record whose copy holds one becomes
 * a new version (version + 1, this device) with the same content under the new key, so every machine's next
 * pull replaces its ciphertext. Records pending on this machine are left to the next sync.
 */
async function reencryptServer(
  ctx: CommandContext,
  session: Awaited<ReturnType<typeof openSyncSession>>,
  from: ContentKey,
  to: ContentKey,
): Promise<RekeyReport> {
  const remote = new session.project.remote.SupabaseRemote(session.project.client);
  const report: RekeyReport = { reencrypted: 0, pendingHere: 0, unreadable: 0, rejected: 0 };
  const order = (table: string) => SYNC_TABLES.indexOf(table);
  let batch: SyncRecord[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch.sort((a, b) => order(a.table) - order(b.table));
    batch = [];
    bytes = 0;
    const result = await withRetries(ctx, session, 'encryption change-passphrase', () =>
      remote.push({ deviceId: session.device.deviceId, records }, { signal: ctx.signal }),
    );
    report.reencrypted += result.accepted.length;
    report.rejected += result.rejected.length;
  };
  let cursor = 0;
  for (;;) {
    const page = await withRetries(ctx, session, 'encryption change-passphrase', () =>
      remote.pull({ cursor, limit: 500 }, { signal: ctx.signal }),
    );
    for (const record of page.records) {
      if (record.deletedAt !== null) continue;
      const encrypted = Object.entries(parseContentState(record.payload.content_state))
        .filter(([, state]) => state === 'encrypted')
        .map(([column]) => column);
      if (encrypted.length === 0) continue;
      const local = await session.store.readRecord(record.table, record.id);
      if (local !== null && local.version > record.version) {
        report.pendingHere += 1;
        continue;
      }
      const payload = { ...record.payload };
      let changed = false;
      let unreadable = false;
      for (const column of encrypted) {
        const where = { table: record.table, id: record.id, column };
        try {
          payload[column] = reencryptField(from, to, String(payload[column]), where);
          changed = true;
        } catch (error) {
          if (!isContentPolicyError(error)) throw error;
          try {
            openField(to, String(payload[column]), where);
          } catch (inner) {
            if (!isContentPolicyError(inner)) throw inner;
            unreadable = true;
          }
        }
      }
      if (unreadable) report.unreadable += 1;
      if (!changed) continue;
      const next: SyncRecord = {
        table: record.table,
        id: record.id,
        version: record.version + 1,
        updatedAt: new Date().toISOString(),
        deletedAt: null,
        deviceId: session.device.deviceId,
        payload,
      };
      const size = recordByteSize(next);
      if (batch.length >= REKEY_BATCH_ROWS || (batch.length > 0 && bytes + size > REKEY_BATCH_BYTES))
        await flush();
      batch.push(next);
      bytes += size;
    }
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  await flush();
  return report;
}

export const encryptionChangePassphraseCommand: Command<
  OptionsOf<(typeof specs)['encryption change-passphrase']>
> = {
  name: 'encryption change-passphrase',
  async run(ctx, args) {
    const { rpc } = await connect(ctx, 'encryption change-passphrase');
    const remote = await serverKey(rpc);
    if (remote === null) {
      throw new CliError('encryption is off for this account', {
        exitCode: ExitCode.failure,
        hint: "'agentlogs encryption enable' turns it on",
      });
    }
    let cached = readCachedKey(ctx);
    const resuming = cached?.previous !== undefined && cached.keyCheck === remote.keyCheck;
    if (!resuming) {
      const oldPassphrase = await readPassphrase(ctx, {
        file: args.values['passphrase-file'],
        envName: PASSPHRASE_ENV,
        prompt: 'Current passphrase: ',
      });
      const oldKey = await unlockWith(oldPassphrase, remote);
      const newPassphrase = await readPassphrase(ctx, {
        file: args.values['new-passphrase-file'],
        envName: NEW_PASSPHRASE_ENV,
        prompt: 'New passphrase: ',
        confirm: true,
      });
      checkNewPassphrase(newPassphrase);
      if (newPassphrase === oldPassphrase) {
        throw new CliError('the new passphrase is the old one; nothing was changed', {
          exitCode: ExitCode.usage,
        });
      }
      // Fields this machine pulled while locked are opened under the old key before it is replaced.
      openLocked(ctx, oldKey);
      const params = newKdfParams();
      const newKey = await deriveKey(newPassphrase, params);
      const newCheck = keyCheck(newKey);
      try {
        await rpc.setContentKey({ ...params }, newCheck, remote.keyCheck);
      } catch (error) {
        if (changedElsewhere(error)) {
          throw new CliError(
            'the passphrase was changed on another machine meanwhile; nothing was changed here',
            {
              exitCode: ExitCode.failure,
              hint: "run 'agentlogs encryption unlock' with the current passphrase",
            },
          );
        }
        throw syncCliError(error);
      }
      cached = { key: newKey, keyCheck: newCheck, previous: { key: oldKey, keyCheck: remote.keyCheck } };
      // Until every field is re-encrypted the old key is kept too, so an interrupted change can resume.
      writeCachedKey(ctx, cached);
    } else {
      ctx.err('Resuming the passphrase change that did not finish on this machine.');
    }
    const { key, previous } = cached as Required<CachedKey>;
    const session = await openSyncSession(ctx, 'encryption change-passphrase');
    try {
      // What is pending here goes first, under the new key; then the server's ciphertext is re-encrypted.
      await withRetries(ctx, session, 'sync', () => session.engine.sync({ signal: ctx.signal }));
      const report = await reencryptServer(ctx, session, previous.key, key);
      const images = await moveVisualObjects(
        ctx,
        session,
        { kind: 'sealed', key: previous.key },
        { kind: 'sealed', key },
      );
      await withRetries(ctx, session, 'pull', () => session.engine.pull({ signal: ctx.signal }));
      writeCachedKey(ctx, { key, keyCheck: cached!.keyCheck });
      ctx.out(
        `Passphrase changed: ${report.reencrypted.toLocaleString('en-US')} records re-encrypted on the server under the new key.`,
      );
      if (images.moved > 0)
        ctx.out(`${images.moved.toLocaleString('en-US')} images re-encrypted under the new key.`);
      if (report.pendingHere > 0)
        ctx.out(`${report.pendingHere} records newer here go with the next sync, under the new key.`);
      if (report.rejected > 0)
        ctx.out(
          `${report.rejected} records were changed by another machine meanwhile; run this command again later to re-encrypt them.`,
        );
      if (report.unreadable > 0)
        ctx.out(
          `${report.unreadable} records hold fields under neither passphrase and were left as they are.`,
        );
      ctx.out("On your other machines run 'agentlogs encryption unlock' with the new passphrase.");
      ctx.out(LOSS_WARNING);
    } catch (error) {
      throw syncCliError(error, session);
    } finally {
      await session.close();
    }
    return ExitCode.ok;
  },
};

/** What `encryption disable` did to the server's copies. */
interface PlainReport {
  /** Records of other machines stored again in plain form (at this machine's content level). */
  replaced: number;
  /** Newer on this machine: its sync sent them in plain form. */
  pendingHere: number;
  /** Holding fields under another passphrase: left as they are. */
  unreadable: number;
  rejected: number;
}

/**
 * Replaces every encrypted field on the server with its text at this machine's content level: each record whose
 * copy holds one becomes a new version (version + 1, this device) in plain form, redacted or withheld as the
 * level says, so every machine's next pull takes it (a fuller local copy is never replaced, see
 * `mayReplaceField`).
 */
async function decryptServer(
  ctx: CommandContext,
  session: Awaited<ReturnType<typeof openSyncSession>>,
  key: ContentKey,
): Promise<PlainReport> {
  const remote = new session.project.remote.SupabaseRemote(session.project.client);
  const report: PlainReport = { replaced: 0, pendingHere: 0, unreadable: 0, rejected: 0 };
  const order = (table: string) => SYNC_TABLES.indexOf(table);
  let batch: SyncRecord[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch.sort((a, b) => order(a.table) - order(b.table));
    batch = [];
    bytes = 0;
    const result = await withRetries(ctx, session, 'encryption disable', () =>
      remote.push({ deviceId: session.device.deviceId, records }, { signal: ctx.signal }),
    );
    report.replaced += result.accepted.length;
    report.rejected += result.rejected.length;
  };
  let cursor = 0;
  for (;;) {
    const page = await withRetries(ctx, session, 'encryption disable', () =>
      remote.pull({ cursor, limit: 500 }, { signal: ctx.signal }),
    );
    for (const record of page.records) {
      if (record.deletedAt !== null) continue;
      const states = parseContentState(record.payload.content_state);
      if (!Object.values(states).includes('encrypted')) continue;
      const local = await session.store.readRecord(record.table, record.id);
      if (local !== null && local.version > record.version) {
        report.pendingHere += 1;
        continue;
      }
      const table = record.table as SyncedTable;
      const opened = openIncomingPayload(table, record.id, record.payload, key);
      if (opened.locked > 0) report.unreadable += 1;
      if (opened.opened === 0) continue;
      const out = outgoingPayload(
        table,
        record.id,
        opened.payload,
        session.content.level,
        session.content.ruleset,
        undefined,
      );
      const next: SyncRecord = {
        table: record.table,
        id: record.id,
        version: record.version + 1,
        updatedAt: new Date().toISOString(),
        deletedAt: null,
        deviceId: session.device.deviceId,
        payload: out.payload,
      };
      const size = recordByteSize(next);
      if (batch.length >= REKEY_BATCH_ROWS || (batch.length > 0 && bytes + size > REKEY_BATCH_BYTES))
        await flush();
      batch.push(next);
      bytes += size;
    }
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  await flush();
  return report;
}

export const encryptionDisableCommand: Command<OptionsOf<(typeof specs)['encryption disable']>> = {
  name: 'encryption disable',
  async run(ctx, args) {
    const { rpc } = await connect(ctx, 'encryption disable');
    const remote = await serverKey(rpc);
    let cached = readCachedKey(ctx);
    const resuming = remote === null && cached?.disabling === true;
    if (remote === null && !resuming) {
      throw new CliError('encryption is off for this account; there is nothing to disable', {
        exitCode: ExitCode.failure,
        hint: "'agentlogs encryption status' shows it",
      });
    }
    if (remote !== null) {
      // The passphrase, always: a machine that merely holds the key may not decide to publish the text.
      const passphrase = await readPassphrase(ctx, {
        file: args.values['passphrase-file'],
        envName: PASSPHRASE_ENV,
        prompt: 'Passphrase (to turn encryption off): ',
      });
      const key = await unlockWith(passphrase, remote);
      // Fields this machine pulled while locked are opened before the key goes.
      openLocked(ctx, key);
      cached = { key, keyCheck: remote.keyCheck, disabling: true };
      // The key stays here until the server holds no ciphertext: interrupted, the command resumes with it.
      writeCachedKey(ctx, cached);
      try {
        await rpc.clearContentKey(remote.keyCheck);
      } catch (error) {
        writeCachedKey(ctx, { key, keyCheck: remote.keyCheck });
        if (changedElsewhere(error)) {
          throw new CliError(
            'the passphrase was changed or encryption turned off on another machine meanwhile',
            {
              exitCode: ExitCode.failure,
              hint: "run 'agentlogs encryption status'",
            },
          );
        }
        throw syncCliError(error);
      }
    } else {
      ctx.err('Resuming the encryption disable that did not finish on this machine.');
    }
    const { key } = cached as CachedKey;
    const session = await openSyncSession(ctx, 'encryption disable');
    try {
      // This machine's records go first, in plain form at its level (the change of form queued them again).
      await withRetries(ctx, session, 'sync', () => session.engine.sync({ signal: ctx.signal }));
      const report = await decryptServer(ctx, session, key);
      const images = await moveVisualObjects(
        ctx,
        session,
        { kind: 'sealed', key },
        session.content.level === 'full' ? { kind: 'plain' } : null,
      );
      await withRetries(ctx, session, 'pull', () => session.engine.pull({ signal: ctx.signal }));
      openLocked(ctx, key);
      deleteCachedKey(ctx);
      ctx.out(
        `Encryption is off. ${report.replaced.toLocaleString('en-US')} records of other machines on the server are stored at content level ${session.content.level} now, unencrypted; this machine's go at that level too.`,
      );
      if (images.moved > 0)
        ctx.out(
          `${images.moved.toLocaleString('en-US')} images are stored unencrypted (content level full).`,
        );
      if (images.removed > 0)
        ctx.out(
          `${images.removed.toLocaleString('en-US')} encrypted images were removed from the project (images are uploaded at content level full only); every machine keeps its own.`,
        );
      if (report.rejected > 0)
        ctx.out(
          `${report.rejected} records were changed by another machine meanwhile; they leave unencrypted with its next sync.`,
        );
      if (report.unreadable + images.unreadable > 0)
        ctx.out(
          `${report.unreadable + images.unreadable} records or images hold text under an older passphrase and stay encrypted.`,
        );
      ctx.out(
        'The key parameters are removed from the server and the key from this machine. Your other machines learn it at their next sync; none loses its text.',
      );
    } catch (error) {
      throw syncCliError(error, session);
    } finally {
      await session.close();
    }
    return ExitCode.ok;
  },
};

export const encryptionCommands = [
  encryptionEnableCommand,
  encryptionUnlockCommand,
  encryptionLockCommand,
  encryptionStatusCommand,
  encryptionChangePassphraseCommand,
  encryptionDisableCommand,
];
