import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Creates `dir` (mode 0700) and its missing parents, one level at a time. `mkdirSync(dir, { recursive: true })`
 * spins forever on Linux for a path under /proc that cannot exist; this throws the first error instead
 * (ENOENT, ENOTDIR, EACCES, EROFS, with the path it concerns), which the error boundary reports in one line.
 * The same as `ensureDirectory` of @agentlogs/local-store, kept here so the settings code does not load SQLite.
 */
export function makeDir(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (error) {
      const parent = path.dirname(current);
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) throw error;
      missing.push(current);
      current = parent;
      continue;
    }
    if (!isDirectory) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
        code: 'ENOTDIR',
        syscall: 'mkdir',
        path: current,
      });
    }
    break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(level).isDirectory()) throw error;
    }
  }
}

/** Sets `mode` on `file` when it exists and grants more than `mode` does (never on Windows, where modes mean little). */
export function tighten(file: string, mode: number): void {
  if (process.platform === 'win32') return;
  try {
    const current = statSync(file).mode & 0o777;
    if ((current & ~mode) !== 0) chmodSync(file, mode);
  } catch {
    // not there yet (it is created with `mode`), or another user's file: left as it is
  }
}
