import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalDatabase, openLocalDatabase } from '@agentlogs/local-store';
import { afterAll, afterEach } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
/** The public sample transcripts committed at the repository's root (`fixtures/transcripts`, with their licences). */
export const TRANSCRIPTS = resolve(here, '../../../fixtures/transcripts');
export const OWN = join(here, 'fixtures');

const open: LocalDatabase[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system temp folder, removed when the test file ends. */
export function tempDir(prefix = 'agentlogs-ingest-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function freshStore(): LocalDatabase {
  const db = openLocalDatabase({ dir: tempDir() });
  open.push(db);
  return db;
}

/** Copies fixture files into `<root>/<project>/` (a Claude `projects` layout) and returns the root. */
export function projectsTree(files: Record<string, string[]>): string {
  const root = join(tempDir(), 'projects');
  for (const [project, paths] of Object.entries(files)) {
    const dir = join(root, project);
    mkdirSync(dir, { recursive: true });
    for (const p of paths) cpSync(p, join(dir, p.split('/').pop()!));
  }
  return root;
}

export function jsonLines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    });
}

export const DEVICE = '0f5c2a9e-7d0b-8c41-9e2f-3a6b5c4d2e10';

/** The two marot-spotter sessions that have subagent folders. */
export const SESSION = 'ae4a77f8-aedd-4bc1-888f-c94edc91af04';
export const OTHER = '4d5611e5-241a-462a-8d15-5122611a9569';

/** A `projects/demo/` folder holding those two sessions, each with its subagent folder. */
export function spotterTree(): { root: string; dir: string } {
  const root = join(tempDir(), 'projects');
  const dir = join(root, 'demo');
  mkdirSync(dir, { recursive: true });
  for (const id of [SESSION, OTHER]) {
    cpSync(join(TRANSCRIPTS, 'marot-spotter', `${id}.jsonl`), join(dir, `${id}.jsonl`));
    cpSync(join(TRANSCRIPTS, 'marot-spotter', id), join(dir, id), { recursive: true });
  }
  return { root, dir };
}
