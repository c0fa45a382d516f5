/**
 * The local version-bump rule (docs/data-model.md), stated once: whoever changes a synced row here — an edit,
 * a delete, or the importer updating a row it wrote before — gives it a new version: `version + 1`,
 * `updated_at` = the time of the change, `device_id` = this device. A new row starts at the columns'
 * defaults (`version = 1`, `synced_version = 0`), so it is pending until the server acknowledges it.
 */

/**
 * The SET assignments of a new local version of a row of `table`, for an UPDATE or an upsert's
 * `ON CONFLICT … DO UPDATE`. `updatedAt` and `deviceId` are SQL expressions: a parameter (`?`, `@now`) or
 * `excluded.updated_at` / `excluded.device_id` in an upsert.
 */
export function newVersionSql(table: string, updatedAt: string, deviceId: string): string {
  return `version = ${table}.version + 1, updated_at = ${updatedAt}, device_id = ${deviceId}`;
}
