/**
 * Visuals (images found in transcripts) in the project's Supabase Storage: the private bucket `visuals`, one
 * object per image content under `<user id>/<sha256>.<ext>` (supabase/migrations: only the owner reads and
 * writes their folder). Uploads and downloads go through storage-js under a timeout and the caller's abort
 * signal; every failure is thrown as a sync-core error, never returned.
 */
import { SyncAbortedError, type SyncError, syncErrorFrom } from '@agentlogs/sync-core';
import type { SupabaseClient } from '@supabase/supabase-js';
import { DEFAULT_TIMEOUT_MS, type RequestOptions } from './request.js';

/** The bucket supabase/migrations creates for visuals. */
export const VISUALS_BUCKET = 'visuals';

/** The object name of an image: the owner's folder, then its content hash and extension. */
export function visualObjectName(userId: string, sha256: string, extension: string): string {
  return `${userId}/${sha256}.${extension}`;
}

/** An object of the user's folder, as `list` returns it. */
export interface StoredVisual {
  /** File name within the folder (`<sha256>.<ext>`). */
  name: string;
  bytes: number;
  mimeType: string | null;
}

interface StorageFailure {
  message: string;
  status?: number;
  statusCode?: string;
}

/** The signed-in user's folder of the `visuals` bucket. */
export class VisualStorage {
  constructor(
    private readonly client: SupabaseClient,
    readonly userId: string,
  ) {}

  private get bucket() {
    return this.client.storage.from(VISUALS_BUCKET);
  }

  /**
   * Uploads an image unless its object exists: `uploaded`, or `present` when another machine (or an earlier
   * run) stored the same content already (the name is the content hash, so it is the same bytes).
   */
  async upload(
    sha256: string,
    extension: string,
    bytes: Uint8Array,
    contentType: string,
    options: RequestOptions = {},
  ): Promise<'uploaded' | 'present'> {
    return this.uploadObject(`${sha256}.${extension}`, bytes, contentType, options);
  }

  /**
   * Uploads an object of this user's folder by file name (a plain image `<sha256>.<ext>`, or a sealed one named
   * by a keyed hash) unless it exists: `uploaded`, or `present`.
   */
  async uploadObject(
    fileName: string,
    bytes: Uint8Array,
    contentType: string,
    options: RequestOptions = {},
  ): Promise<'uploaded' | 'present'> {
    const name = `${this.userId}/${fileName}`;
    return this.run(`upload ${fileName}`, options, async () => {
      const { error } = await this.bucket.upload(name, bytes, {
        contentType,
        upsert: false,
        cacheControl: '31536000',
      });
      if (!error) return 'uploaded';
      if (statusCodeOf(error) === '409') return 'present';
      throw error;
    });
  }

  /** The bytes of an image, or null when the bucket holds no such object for this user. */
  async download(
    sha256: string,
    extension: string,
    options: RequestOptions = {},
  ): Promise<Uint8Array | null> {
    return this.downloadObject(`${sha256}.${extension}`, options);
  }

  /** The bytes of an object of this user's folder by file name, or null when there is none. */
  async downloadObject(fileName: string, options: RequestOptions = {}): Promise<Uint8Array | null> {
    const name = `${this.userId}/${fileName}`;
    return this.run(`download ${fileName}`, options, async (signal) => {
      const { data, error } = await this.bucket.download(name, {}, { signal });
      if (error) {
        if (statusCodeOf(error) === '404') return null;
        throw error;
      }
      return new Uint8Array(await data.arrayBuffer());
    });
  }

  /** Removes objects of this user's folder by file name; returns how many existed and were removed. */
  async remove(fileNames: readonly string[], options: RequestOptions = {}): Promise<number> {
    if (fileNames.length === 0) return 0;
    let removed = 0;
    for (let i = 0; i < fileNames.length; i += 1000) {
      const names = fileNames.slice(i, i + 1000).map((file) => `${this.userId}/${file}`);
      removed += await this.run('remove', options, async () => {
        const { data, error } = await this.bucket.remove(names);
        if (error) throw error;
        return data.length;
      });
    }
    return removed;
  }

  /** Every object of this user's folder (paged through 1,000 at a time). */
  async list(options: RequestOptions = {}): Promise<StoredVisual[]> {
    const found: StoredVisual[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.run('list', options, async (signal) => {
        const { data, error } = await this.bucket.list(
          this.userId,
          { limit: 1000, offset, sortBy: { column: 'name', order: 'asc' } },
          { signal },
        );
        if (error) throw error;
        return data;
      });
      for (const entry of page) {
        if (entry.id === null) continue; // a folder
        const metadata = (entry.metadata ?? {}) as { size?: unknown; mimetype?: unknown };
        found.push({
          name: entry.name,
          bytes: typeof metadata.size === 'number' ? metadata.size : 0,
          mimeType: typeof metadata.mimetype === 'string' ? metadata.mimetype : null,
        });
      }
      if (page.length < 1000) return found;
    }
  }

  private async run<T>(
    what: string,
    options: RequestOptions,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const external = options.signal;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (external?.aborted)
      throw new SyncAbortedError(`visuals ${what} cancelled`, { cause: external.reason });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    external?.addEventListener('abort', onAbort, { once: true });
    // storage-js's upload takes no signal: the call is abandoned (not awaited further) when the signal fires.
    const abandoned = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    abandoned.catch(() => {});
    try {
      return await Promise.race([call(controller.signal), abandoned]);
    } catch (error) {
      throw classify(`visuals ${what}`, error, external?.aborted === true, timedOut, timeoutMs);
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', onAbort);
    }
  }
}

function statusCodeOf(error: unknown): string | undefined {
  const failure = error as StorageFailure;
  return typeof failure?.statusCode === 'string' ? failure.statusCode : undefined;
}

function classify(
  what: string,
  error: unknown,
  aborted: boolean,
  timedOut: boolean,
  timeoutMs: number,
): SyncError {
  if (aborted) return new SyncAbortedError(`${what} cancelled`, { cause: error });
  if (timedOut)
    return syncErrorFrom({
      message: `${what} timed out after ${timeoutMs} ms`,
      timedOut: true,
      cause: error,
    });
  const failure = error as StorageFailure;
  const statusCode = statusCodeOf(error);
  // Storage answers 400 with the status that applies in the body (`statusCode`): use that one. An error
  // without any status never reached the server (storage-js's StorageUnknownError: fetch failed).
  const status =
    statusCode !== undefined && /^\d{3}$/.test(statusCode) ? Number(statusCode) : failure?.status;
  return syncErrorFrom({
    status: status === 0 ? undefined : status,
    message: `${what}: ${error instanceof Error ? error.message : String(error)}`,
    network: status === undefined || status === 0,
    cause: error,
  });
}
