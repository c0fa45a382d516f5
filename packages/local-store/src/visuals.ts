/**
 * The `visuals` table as the CLI needs it: listing and finding visuals, the images waiting for upload and the
 * record of objects the project holds (`visual_uploads`, local only).
 */
import type { LocalDatabase } from './open.js';
import { visualExtension } from './visual-files.js';

/** A live visual of a transcript image. */
export interface VisualView {
  id: string;
  turnId: string | null;
  sessionId: string | null;
  commitId: string | null;
  sha256: string;
  mediaType: string;
  extension: string;
  byteSize: number;
  capturedAt: string;
  machineId: string | null;
}

function view(row: {
  id: string;
  turn_id: string | null;
  session_id: string | null;
  commit_id: string | null;
  sha256: string | null;
  media_type: string | null;
  byte_size: number | null;
  captured_at: string;
  machine_id: string | null;
}): VisualView | null {
  if (!row.sha256 || !row.media_type) return null;
  const extension = visualExtension(row.media_type);
  if (!extension) return null;
  return {
    id: row.id,
    turnId: row.turn_id,
    sessionId: row.session_id,
    commitId: row.commit_id,
    sha256: row.sha256,
    mediaType: row.media_type,
    extension,
    byteSize: row.byte_size ?? 0,
    capturedAt: row.captured_at,
    machineId: row.machine_id,
  };
}

const COLUMNS = [
  'id',
  'turn_id',
  'session_id',
  'commit_id',
  'sha256',
  'media_type',
  'byte_size',
  'captured_at',
  'machine_id',
] as const;

/** Live visuals with an image (newest first), optionally of one session. */
export async function listVisuals(
  database: LocalDatabase,
  options: { sessionId?: string; limit?: number } = {},
): Promise<VisualView[]> {
  const db = await database.kysely();
  let query = db
    .selectFrom('visuals')
    .select(COLUMNS)
    .where('deleted_at', 'is', null)
    .where('sha256', 'is not', null)
    .orderBy('captured_at', 'desc')
    .orderBy('id');
  if (options.sessionId) query = query.where('session_id', '=', options.sessionId);
  if (options.limit !== undefined) query = query.limit(options.limit);
  return (await query.execute()).map(view).filter((v): v is VisualView => v !== null);
}

/** The live visuals whose id starts with `prefix` (an id, or its first characters). */
export async function findVisuals(database: LocalDatabase, prefix: string): Promise<VisualView[]> {
  const db = await database.kysely();
  const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  const rows = await db
    .selectFrom('visuals')
    .select(COLUMNS)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('id', '=', prefix), eb('id', 'like', `${escaped}%`)]))
    .limit(10)
    .execute();
  return rows.map(view).filter((v): v is VisualView => v !== null);
}

/**
 * The distinct images of live visuals whose object is not recorded in `visual_uploads` under `objectName`
 * (the name the project stores each under), oldest first.
 */
export async function visualsToUpload(
  database: LocalDatabase,
  objectName: (sha256: string, extension: string) => string,
): Promise<VisualView[]> {
  const db = await database.kysely();
  const uploaded = new Set(
    (await db.selectFrom('visual_uploads').select('object_name').execute()).map((r) => r.object_name),
  );
  const rows = await db
    .selectFrom('visuals')
    .select(COLUMNS)
    .where('deleted_at', 'is', null)
    .where('sha256', 'is not', null)
    .orderBy('captured_at')
    .orderBy('id')
    .execute();
  const seen = new Set<string>();
  const pending: VisualView[] = [];
  for (const row of rows) {
    const visual = view(row);
    if (!visual) continue;
    const name = objectName(visual.sha256, visual.extension);
    if (uploaded.has(name) || seen.has(name)) continue;
    seen.add(name);
    pending.push(visual);
  }
  return pending;
}

/** Records that the project holds these objects (uploaded from here, found there, or downloaded). */
export async function recordVisualObjects(
  database: LocalDatabase,
  objectNames: readonly string[],
  now = new Date(),
): Promise<void> {
  if (objectNames.length === 0) return;
  const db = await database.kysely();
  const at = now.toISOString();
  await db
    .insertInto('visual_uploads')
    .values(objectNames.map((object_name) => ({ object_name, uploaded_at: at })))
    .onConflict((oc) => oc.column('object_name').doNothing())
    .execute();
}

/** The objects recorded in `visual_uploads`. */
export async function recordedVisualObjects(database: LocalDatabase): Promise<Set<string>> {
  const db = await database.kysely();
  return new Set(
    (await db.selectFrom('visual_uploads').select('object_name').execute()).map((r) => r.object_name),
  );
}

/** Forgets objects the project no longer holds (replaced by another form, or removed), so they go again when due. */
export async function forgetVisualObjects(
  database: LocalDatabase,
  objectNames: readonly string[],
): Promise<void> {
  if (objectNames.length === 0) return;
  const db = await database.kysely();
  for (let i = 0; i < objectNames.length; i += 500) {
    await db
      .deleteFrom('visual_uploads')
      .where('object_name', 'in', objectNames.slice(i, i + 500))
      .execute();
  }
}
