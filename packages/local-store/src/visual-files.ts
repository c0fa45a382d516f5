/**
 * The image files of visuals in the data folder: `visuals/<first two hex digits>/<sha256>.<ext>` next to the
 * database, each written once (its name is its content hash) and checked against that hash when read. Files
 * that the cloud also holds are a cache: `enforceCap` removes the least recently used of them until the folder
 * fits its cap; a file not yet uploaded is never removed.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** The image types a visual may have (the `visuals` bucket accepts these), with their file extension. */
export const VISUAL_MEDIA_TYPES: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** The file extension of an image type, or null when visuals do not keep that type. */
export function visualExtension(mediaType: string): string | null {
  return VISUAL_MEDIA_TYPES[mediaType.toLowerCase()] ?? null;
}

/** SHA-256 of bytes, as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface VisualFile {
  sha256: string;
  extension: string;
  bytes: number;
  /** Last use (read or write), ms since the epoch. */
  usedAt: number;
}

export class VisualFiles {
  constructor(readonly dir: string) {}

  /** The visuals folder of the data folder holding `databasePath`. */
  static besideDatabase(databasePath: string): VisualFiles {
    return new VisualFiles(join(dirname(databasePath), 'visuals'));
  }

  /** Path of an image's file relative to the data folder (what `visuals.path` holds). */
  static relativePath(sha256: string, extension: string): string {
    return `visuals/${sha256.slice(0, 2)}/${sha256}.${extension}`;
  }

  pathOf(sha256: string, extension: string): string {
    return join(this.dir, sha256.slice(0, 2), `${sha256}.${extension}`);
  }

  has(sha256: string, extension: string): boolean {
    return existsSync(this.pathOf(sha256, extension));
  }

  /** Writes an image's file unless it exists (same name, same bytes). Returns whether it wrote. */
  write(sha256: string, extension: string, bytes: Uint8Array): boolean {
    const path = this.pathOf(sha256, extension);
    if (existsSync(path)) return false;
    if (sha256Hex(bytes) !== sha256) throw new Error(`visual ${sha256}: the bytes do not match their hash`);
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
    return true;
  }

  /** The bytes of an image, or null when its file is missing or does not match its hash (then it is removed). */
  read(sha256: string, extension: string): Buffer | null {
    const path = this.pathOf(sha256, extension);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return null;
    }
    if (sha256Hex(bytes) !== sha256) {
      rmSync(path, { force: true });
      return null;
    }
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // A read-only data folder: the file is still good.
    }
    return bytes;
  }

  /** Every image file of the folder. */
  list(): VisualFile[] {
    const files: VisualFile[] = [];
    let shards: string[];
    try {
      shards = readdirSync(this.dir);
    } catch {
      return files;
    }
    for (const shard of shards) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      let names: string[];
      try {
        names = readdirSync(join(this.dir, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        const match = /^([0-9a-f]{64})\.([a-z0-9]+)$/.exec(name);
        if (!match) continue;
        try {
          const stat = statSync(join(this.dir, shard, name));
          files.push({ sha256: match[1]!, extension: match[2]!, bytes: stat.size, usedAt: stat.mtimeMs });
        } catch {
          // Removed meanwhile.
        }
      }
    }
    return files;
  }

  /**
   * Removes the least recently used files that `evictable` allows (those the cloud holds) until the folder
   * takes at most `maxBytes`. Returns what was removed.
   */
  enforceCap(maxBytes: number, evictable: (file: VisualFile) => boolean): { files: number; bytes: number } {
    const files = this.list();
    let total = files.reduce((sum, file) => sum + file.bytes, 0);
    const removed = { files: 0, bytes: 0 };
    if (total <= maxBytes) return removed;
    for (const file of files.filter(evictable).sort((a, b) => a.usedAt - b.usedAt)) {
      if (total <= maxBytes) break;
      rmSync(this.pathOf(file.sha256, file.extension), { force: true });
      total -= file.bytes;
      removed.files++;
      removed.bytes += file.bytes;
    }
    return removed;
  }
}
