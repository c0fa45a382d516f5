/**
 * Removing everything a user keeps in the project (`agentlogs sync disable --delete-cloud-data`): the objects
 * the user stored in Supabase Storage buckets, then every row of the user (`delete_my_cloud_data()`).
 *
 * Storage objects are removed through the Storage API, never by deleting rows of `storage.objects` in SQL
 * (Supabase refuses that: the files would stay behind). Each bucket the schema creates adds one entry to
 * CLOUD_OBJECT_STORES; objects go first, so a failure leaves the rows that point at them in place and the
 * command can simply be run again.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { type DeletedCloudRows, ProjectRpc } from './project.js';
import type { RequestOptions } from './request.js';
import { VISUALS_BUCKET, VisualStorage } from './visuals.js';

/** A place outside the synced tables where a user's objects live: one Storage bucket. */
export interface CloudObjectStore {
  /** The bucket's name, for reports. */
  name: string;
  /** Removes every object of `userId` from the store; returns how many were removed. */
  removeAll(client: SupabaseClient, userId: string, options: RequestOptions): Promise<number>;
}

/** The stores `deleteCloudData` empties before the rows, in order. */
export const CLOUD_OBJECT_STORES: CloudObjectStore[] = [
  {
    name: VISUALS_BUCKET,
    async removeAll(client, userId, options) {
      const storage = new VisualStorage(client, userId);
      const stored = await storage.list(options);
      return stored.length === 0
        ? 0
        : storage.remove(
            stored.map((v) => v.name),
            options,
          );
    },
  },
];

export interface DeletedCloudData {
  /** Rows removed per table. */
  rows: DeletedCloudRows;
  /** Objects removed per store. */
  objects: Record<string, number>;
}

/** Removes the signed-in user's stored objects, then all of their rows. */
export async function deleteCloudData(
  client: SupabaseClient,
  userId: string,
  options: RequestOptions = {},
): Promise<DeletedCloudData> {
  const objects: Record<string, number> = {};
  for (const store of CLOUD_OBJECT_STORES)
    objects[store.name] = await store.removeAll(client, userId, options);
  const rows = await new ProjectRpc(client).deleteMyCloudData(options);
  return { rows, objects };
}
