/**
 * Visuals in the project's Storage (docs/sync-protocol.md, "Visuals in Storage"): after a push, the images of
 * this machine's visuals that the project does not hold yet are uploaded once each, at content level `full`
 * only; another machine fetches an image when it is first viewed. With end-to-end encryption on, an image is
 * sealed with the content key and stored under a keyed hash of its SHA-256 (decision 0098); a machine without
 * the key leaves it locked. The image files of the data folder that the project holds are a cache kept under
 * `visuals.cache_mb`.
 */
import { join } from 'node:path';
import {
  type ContentKey,
  isContentPolicyError,
  openVisual,
  SEALED_VISUAL_CONTENT_TYPE,
  SEALED_VISUAL_EXTENSION,
  sealedVisualName,
  sealVisual,
} from '@agentlogs/content-policy';
import {
  forgetVisualObjects,
  type LocalDatabase,
  listVisuals,
  recordedVisualObjects,
  recordVisualObjects,
  VisualFiles,
  type VisualView,
  visualsToUpload,
} from '@agentlogs/local-store';
import type { VisualStorage } from '@agentlogs/supabase-remote';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { formatBytes, ProgressBar } from '../progress.js';
import { dataDir, ProfileConfig } from '../settings.js';
import type { EncryptionState } from './encryption.js';
import type { ResolvedContentPolicy } from './policy.js';
import { withRetries } from './run.js';
import type { SyncSession } from './session.js';

/** What a push did with images. */
export interface VisualUploadReport {
  /** Images sent. */
  uploaded: number;
  /** Images the project held already (sent by another machine). */
  present: number;
  bytes: number;
  /** Images not sent, and why (`null` when every image went). */
  skipped: { images: number; reason: string } | null;
  /** Files removed from the local cache to keep it under its cap. */
  evicted: number;
}

/** The image files of a profile's data folder. */
export function visualFilesOf(ctx: Pick<CommandContext, 'home' | 'profile'>): VisualFiles {
  return new VisualFiles(join(dataDir(ctx), 'visuals'));
}

/** The cap of the visuals cache in bytes (`visuals.cache_mb`). */
export function visualsCacheBytes(ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>): number {
  const value = Number(new ProfileConfig(ctx).get('visuals.cache_mb').value);
  return Math.round((Number.isFinite(value) ? value : 500) * 1024 * 1024);
}

/**
 * How the project stores images under the account's encryption: `plain` (`<sha256>.<ext>`, encryption off),
 * `sealed` (encrypted with the content key, named `<keyed hash>.enc`), or `locked` (the account encrypts and this
 * machine has no key: it can neither send nor open images).
 */
export type VisualForm = { kind: 'plain' } | { kind: 'sealed'; key: ContentKey } | { kind: 'locked' };

export function visualFormOf(state: EncryptionState): VisualForm {
  if (state.state === 'off') return { kind: 'plain' };
  return state.state === 'on' ? { kind: 'sealed', key: state.key } : { kind: 'locked' };
}

/** The file name of an image's object in the user's folder in `form` (null when locked: no name is known). */
export function visualFileName(form: VisualForm, sha256: string, extension: string): string | null {
  if (form.kind === 'plain') return `${sha256}.${extension}`;
  if (form.kind === 'sealed') return `${sealedVisualName(form.key, sha256)}.${SEALED_VISUAL_EXTENSION}`;
  return null;
}

/**
 * Whether images may leave this machine: at content level `full` only (an image cannot be redacted), sealed when
 * encryption is on, and not at all from a machine locked out of encryption (it cannot seal them and never sends
 * them in the clear).
 */
export function visualsUploadAllowed(
  content: Pick<ResolvedContentPolicy, 'level'>,
  form: VisualForm,
): { allowed: boolean; reason: string } {
  if (content.level !== 'full') {
    return {
      allowed: false,
      reason: `images stay on this machine at content level ${content.level} (they are uploaded at full)`,
    };
  }
  if (form.kind === 'locked') {
    return {
      allowed: false,
      reason:
        "encryption is on and this machine has no key, so they stay here until 'agentlogs encryption unlock'",
    };
  }
  return { allowed: true, reason: '' };
}

/** The Storage folder of the logged-in user. */
export function visualStorageOf(session: Pick<SyncSession, 'project'>): VisualStorage {
  const userId = session.project.storedSession()?.user?.id;
  if (!userId) {
    throw new CliError(`not logged in to ${session.project.url}`, {
      exitCode: ExitCode.auth,
      hint: "run 'agentlogs login'",
    });
  }
  return new session.project.remote.VisualStorage(session.project.client, userId);
}

/** Uploads the images the project does not hold yet (one object per image content), with a progress bar. */
export async function uploadVisuals(
  ctx: CommandContext,
  session: SyncSession,
  options: { quiet: boolean },
): Promise<VisualUploadReport> {
  const report: VisualUploadReport = { uploaded: 0, present: 0, bytes: 0, skipped: null, evicted: 0 };
  const storage = visualStorageOf(session);
  const form = visualFormOf(session.encryption);
  const files = visualFilesOf(ctx);
  const policy = visualsUploadAllowed(session.content, form);
  if (!policy.allowed) {
    // What waits is counted under the plain names: a locked machine knows no other.
    const pending = await visualsToUpload(
      session.database,
      (sha256, extension) =>
        `${storage.userId}/${visualFileName(form, sha256, extension) ?? `${sha256}.${extension}`}`,
    );
    const own = pending.filter((v) => v.machineId === session.machineId).length;
    if (own > 0) report.skipped = { images: own, reason: policy.reason };
    return report;
  }
  const fileName = (sha256: string, extension: string) => visualFileName(form, sha256, extension)!;
  const objectName = (sha256: string, extension: string) =>
    `${storage.userId}/${fileName(sha256, extension)}`;
  const pending = await visualsToUpload(session.database, objectName);
  if (pending.length === 0) return report;
  const total = pending.reduce((n, v) => n + v.byteSize, 0);
  const bar = new ProgressBar(ctx.stderr, 'uploading images');
  let missing = 0;
  const replacedPlain: string[] = [];
  try {
    for (const visual of pending) {
      const bytes = files.read(visual.sha256, visual.extension);
      if (!bytes) {
        // A visual pulled from another machine has no file here until it is viewed: its machine uploads it. A
        // file of this machine's own visual that is gone was removed by hand.
        if (visual.machineId === session.machineId) missing++;
        continue;
      }
      const body = form.kind === 'sealed' ? sealVisual(form.key, visual.sha256, bytes) : bytes;
      const contentType = form.kind === 'sealed' ? SEALED_VISUAL_CONTENT_TYPE : visual.mediaType;
      const outcome = await withRetries(ctx, session, 'push (images)', () =>
        storage.uploadObject(fileName(visual.sha256, visual.extension), body, contentType, {
          signal: ctx.signal,
        }),
      );
      if (outcome === 'uploaded') {
        report.uploaded++;
        report.bytes += body.length;
      } else {
        report.present++;
      }
      await recordVisualObjects(session.database, [objectName(visual.sha256, visual.extension)]);
      if (form.kind === 'sealed') replacedPlain.push(`${visual.sha256}.${visual.extension}`);
      if (!options.quiet) {
        const done = report.bytes;
        bar.update(
          done,
          total,
          `${report.uploaded + report.present}/${pending.length} images, ${formatBytes(done)}`,
        );
      }
    }
  } finally {
    bar.done();
  }
  if (replacedPlain.length > 0) {
    // This machine's images sent in the clear before encryption was turned on: the sealed copy replaces them.
    const held = await recordedVisualObjects(session.database);
    const plain = replacedPlain.filter((file) => held.has(`${storage.userId}/${file}`));
    if (plain.length > 0) {
      await withRetries(ctx, session, 'push (images)', () => storage.remove(plain, { signal: ctx.signal }));
      await forgetVisualObjects(
        session.database,
        plain.map((file) => `${storage.userId}/${file}`),
      );
    }
  }
  if (missing > 0)
    report.skipped = { images: missing, reason: 'their files are missing from the data folder' };
  report.evicted = await enforceVisualsCache(ctx, session.database, storage.userId, form);
  return report;
}

/** What `moveVisualObjects` did. */
export interface VisualMoveReport {
  /** Objects stored again in the new form (and removed in the old one). */
  moved: number;
  /** Objects removed without a copy in a new form. */
  removed: number;
  /** Objects of the old form that could not be opened (sealed under another key): left as they are. */
  unreadable: number;
}

/**
 * Stores every image the project holds in form `from` in form `to` instead (`null`: removes them): images
 * sealed when encryption is turned on, sealed again under a new passphrase, or stored plain (or removed) when it
 * is turned off. Images are found by the hashes of the visuals this machine knows (its own and every pulled
 * one); the bytes come from the local file or, when there is none, from the old object.
 */
export async function moveVisualObjects(
  ctx: CommandContext,
  session: SyncSession,
  from: VisualForm,
  to: VisualForm | null,
): Promise<VisualMoveReport> {
  const report: VisualMoveReport = { moved: 0, removed: 0, unreadable: 0 };
  if (from.kind === 'locked' || to?.kind === 'locked') return report;
  const storage = visualStorageOf(session);
  const files = visualFilesOf(ctx);
  const listed = new Set(
    (await withRetries(ctx, session, 'visuals', () => storage.list({ signal: ctx.signal }))).map(
      (o) => o.name,
    ),
  );
  const seen = new Set<string>();
  for (const visual of await listVisuals(session.database)) {
    if (seen.has(visual.sha256)) continue;
    seen.add(visual.sha256);
    const oldName = visualFileName(from, visual.sha256, visual.extension)!;
    if (!listed.has(oldName)) continue;
    if (to !== null) {
      const newName = visualFileName(to, visual.sha256, visual.extension)!;
      if (!listed.has(newName)) {
        let bytes: Uint8Array | null = files.read(visual.sha256, visual.extension);
        if (!bytes) {
          const stored = await withRetries(ctx, session, 'visuals', () =>
            storage.downloadObject(oldName, { signal: ctx.signal }),
          );
          if (!stored) continue;
          try {
            bytes = from.kind === 'sealed' ? openVisual(from.key, visual.sha256, stored) : stored;
          } catch (error) {
            if (!isContentPolicyError(error)) throw error;
            report.unreadable++;
            continue;
          }
        }
        const body = to.kind === 'sealed' ? sealVisual(to.key, visual.sha256, bytes) : bytes;
        const contentType = to.kind === 'sealed' ? SEALED_VISUAL_CONTENT_TYPE : visual.mediaType;
        await withRetries(ctx, session, 'visuals', () =>
          storage.uploadObject(newName, body, contentType, { signal: ctx.signal }),
        );
        await recordVisualObjects(session.database, [`${storage.userId}/${newName}`]);
      }
      report.moved++;
    } else {
      report.removed++;
    }
    await withRetries(ctx, session, 'visuals', () => storage.remove([oldName], { signal: ctx.signal }));
    await forgetVisualObjects(session.database, [`${storage.userId}/${oldName}`]);
  }
  return report;
}

/** Keeps the image files under `visuals.cache_mb`, removing only files the project holds. */
export async function enforceVisualsCache(
  ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>,
  database: LocalDatabase,
  userId: string,
  form: VisualForm,
): Promise<number> {
  const held = await recordedVisualObjects(database);
  // Only a file whose image the project holds in the form a machine of this account can read may go.
  const removed = visualFilesOf(ctx).enforceCap(visualsCacheBytes(ctx), (file) => {
    const name = visualFileName(form, file.sha256, file.extension);
    return name !== null && held.has(`${userId}/${name}`);
  });
  return removed.files;
}

/**
 * The local file of a visual, fetched from the project (opened with the content key when sealed, and checked
 * against its hash) when missing. On a machine locked out of encryption an image stored sealed stays locked:
 * `locked` is true and there is no path (not an error).
 */
export async function fetchVisual(
  ctx: CommandContext,
  session: SyncSession,
  visual: VisualView,
): Promise<{ path: string | null; fetched: boolean; locked: boolean }> {
  const files = visualFilesOf(ctx);
  const path = files.pathOf(visual.sha256, visual.extension);
  if (files.read(visual.sha256, visual.extension)) return { path, fetched: false, locked: false };
  const storage = visualStorageOf(session);
  const form = visualFormOf(session.encryption);
  const plainName = `${visual.sha256}.${visual.extension}`;
  // Sealed first when this machine holds the key; an image sent before encryption was turned on is plain.
  const names: { name: string; sealed: boolean }[] = [];
  if (form.kind === 'sealed')
    names.push({ name: visualFileName(form, visual.sha256, visual.extension)!, sealed: true });
  names.push({ name: plainName, sealed: false });
  let bytes: Uint8Array | null = null;
  let stored = '';
  for (const candidate of names) {
    const found = await withRetries(ctx, session, 'visuals get', () =>
      storage.downloadObject(candidate.name, { signal: ctx.signal }),
    );
    if (!found) continue;
    stored = candidate.name;
    if (candidate.sealed && form.kind === 'sealed') {
      try {
        bytes = openVisual(form.key, visual.sha256, found);
      } catch (error) {
        if (!isContentPolicyError(error)) throw error;
        throw new CliError(
          `the encrypted image of visual ${visual.id} does not open with this machine's key`,
          {
            exitCode: ExitCode.failure,
            hint: 'it was altered in the project; the machine that recorded it uploads it again after the object is deleted',
          },
        );
      }
    } else {
      bytes = found;
    }
    break;
  }
  if (!bytes) {
    if (form.kind === 'locked') return { path: null, fetched: false, locked: true };
    throw new CliError(`the image of visual ${visual.id} is not in the project yet`, {
      exitCode: ExitCode.failure,
      hint: 'its machine uploads it at its next sync when its content level is full',
    });
  }
  try {
    files.write(visual.sha256, visual.extension, bytes);
  } catch {
    throw new CliError(`the image of visual ${visual.id} in the project does not match its hash`, {
      exitCode: ExitCode.failure,
      hint: 'the machine that recorded it can upload it again after deleting the object in the Supabase dashboard',
    });
  }
  await recordVisualObjects(session.database, [`${storage.userId}/${stored}`]);
  await enforceVisualsCache(ctx, session.database, storage.userId, form);
  // The cap never removes the file just fetched unless it alone is larger than the cap.
  return { path, fetched: true, locked: false };
}

export function describeVisualUpload(report: VisualUploadReport): string | null {
  const parts: string[] = [];
  if (report.uploaded > 0 || report.present > 0) {
    parts.push(
      `Uploaded ${report.uploaded} ${report.uploaded === 1 ? 'image' : 'images'} (${formatBytes(report.bytes)})${
        report.present > 0 ? `, ${report.present} already in the project` : ''
      }.`,
    );
  }
  if (report.skipped) {
    parts.push(
      `${report.skipped.images} ${report.skipped.images === 1 ? 'image' : 'images'} not uploaded: ${report.skipped.reason}.`,
    );
  }
  return parts.length > 0 ? parts.join(' ') : null;
}
