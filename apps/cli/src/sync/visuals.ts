/**
 * Visuals in the project's Storage (docs/sync-protocol.md, "Visuals in Storage"): after a push, the images of
 * this machine's visuals that the project does not hold yet are uploaded once each, at content level `full`
 * only; another machine fetches an image when it is first viewed. The image files of the data folder that the
 * project holds are a cache kept under `visuals.cache_mb`.
 */
import { join } from 'node:path';
import {
  type LocalDatabase,
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
 * Whether images may leave this machine: at `full`, as they are. With encryption on, images would have to be
 * sealed like text fields; that is not implemented for images, so none is sent and the push says why (never in
 * the clear). The encryption settings are read from the policy as the content-policy wiring names them.
 */
export function visualsUploadAllowed(content: ResolvedContentPolicy): { allowed: boolean; reason: string } {
  const policy = content as { encryption?: unknown; encrypt?: unknown };
  if (
    (policy.encryption !== undefined && policy.encryption !== null && policy.encryption !== false) ||
    policy.encrypt === true
  ) {
    return {
      allowed: false,
      reason: 'encryption is on and images cannot be uploaded encrypted yet (they stay on this machine)',
    };
  }
  if (content.level === 'full') return { allowed: true, reason: '' };
  return {
    allowed: false,
    reason: `images stay on this machine at content level ${content.level} (they are uploaded at full)`,
  };
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
  const objectName = (sha256: string, extension: string) => `${storage.userId}/${sha256}.${extension}`;
  const pending = await visualsToUpload(session.database, objectName);
  if (pending.length === 0) return report;
  const policy = visualsUploadAllowed(session.content);
  if (!policy.allowed) {
    const own = pending.filter((v) => v.machineId === session.machineId).length;
    if (own > 0) report.skipped = { images: own, reason: policy.reason };
    return report;
  }
  const files = visualFilesOf(ctx);
  const total = pending.reduce((n, v) => n + v.byteSize, 0);
  const bar = new ProgressBar(ctx.stderr, 'uploading images');
  let missing = 0;
  try {
    for (const visual of pending) {
      const bytes = files.read(visual.sha256, visual.extension);
      if (!bytes) {
        // A visual pulled from another machine has no file here until it is viewed: its machine uploads it. A
        // file of this machine's own visual that is gone was removed by hand.
        if (visual.machineId === session.machineId) missing++;
        continue;
      }
      const outcome = await withRetries(ctx, session, 'push (images)', () =>
        storage.upload(visual.sha256, visual.extension, bytes, visual.mediaType, { signal: ctx.signal }),
      );
      if (outcome === 'uploaded') {
        report.uploaded++;
        report.bytes += bytes.length;
      } else {
        report.present++;
      }
      await recordVisualObjects(session.database, [objectName(visual.sha256, visual.extension)]);
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
  if (missing > 0)
    report.skipped = { images: missing, reason: 'their files are missing from the data folder' };
  report.evicted = await enforceVisualsCache(ctx, session.database, storage.userId);
  return report;
}

/** Keeps the image files under `visuals.cache_mb`, removing only files the project holds. */
export async function enforceVisualsCache(
  ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>,
  database: LocalDatabase,
  userId: string,
): Promise<number> {
  const held = await recordedVisualObjects(database);
  const removed = visualFilesOf(ctx).enforceCap(visualsCacheBytes(ctx), (file) =>
    held.has(`${userId}/${file.sha256}.${file.extension}`),
  );
  return removed.files;
}

/** The local file of a visual, fetched from the project (and checked against its hash) when missing. */
export async function fetchVisual(
  ctx: CommandContext,
  session: SyncSession,
  visual: VisualView,
): Promise<{ path: string; fetched: boolean }> {
  const files = visualFilesOf(ctx);
  const path = files.pathOf(visual.sha256, visual.extension);
  if (files.read(visual.sha256, visual.extension)) return { path, fetched: false };
  const storage = visualStorageOf(session);
  const bytes = await withRetries(ctx, session, 'visuals get', () =>
    storage.download(visual.sha256, visual.extension, { signal: ctx.signal }),
  );
  if (!bytes) {
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
  await recordVisualObjects(session.database, [`${storage.userId}/${visual.sha256}.${visual.extension}`]);
  await enforceVisualsCache(ctx, session.database, storage.userId);
  // The cap never removes the file just fetched unless it alone is larger than the cap.
  return { path, fetched: true };
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
