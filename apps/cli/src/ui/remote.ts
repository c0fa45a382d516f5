/**
 * What the dashboard asks of the project, and only when a page needs it: the machines' last syncs as the server
 * recorded them (the sync page) and the images this machine has not fetched yet (a session view). The project is
 * opened on first use (as `agentlogs visuals get` opens it: signed in, schema checked, nothing pushed or pulled)
 * and kept while the dashboard runs; a failure is reported to the page and the next request tries again.
 */
import type { VisualView } from '@agentlogs/local-store';
import type { RemoteMachine } from '@agentlogs/supabase-remote';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { openSyncSession, type SyncSession } from '../sync/session.js';
import { fetchVisual, visualFilesOf } from '../sync/visuals.js';

/** A failure to answer from the project, in one line (with what to do, when known). */
export class ProjectUnavailable extends Error {}

export interface ProjectLink {
  /** The user's machines with their last finished sync and its outcome. */
  machines(): Promise<RemoteMachine[]>;
  /** The bytes of a visual's image, fetched from the project's Storage and kept in the data folder. */
  fetchVisual(visual: VisualView): Promise<Buffer>;
  close(): Promise<void>;
}

function unavailable(error: unknown): ProjectUnavailable {
  if (error instanceof CliError) {
    return new ProjectUnavailable(error.hint ? `${error.message}; ${error.hint}` : error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProjectUnavailable(message.split('\n')[0] ?? message);
}

export function projectLink(ctx: CommandContext): ProjectLink {
  let opening: Promise<SyncSession> | null = null;
  const session = (): Promise<SyncSession> => {
    if (!opening) {
      opening = openSyncSession(ctx, 'ui', {}, { dryRun: true });
      opening.catch(() => {
        opening = null;
      });
    }
    return opening;
  };
  return {
    async machines() {
      try {
        return await (await session()).queries.machines({ timeoutMs: 15_000 });
      } catch (error) {
        throw unavailable(error);
      }
    },
    async fetchVisual(visual) {
      try {
        const { path } = await fetchVisual(ctx, await session(), visual);
        const bytes = visualFilesOf(ctx).read(visual.sha256, visual.extension);
        if (!bytes) throw new Error(`the image of visual ${visual.id} could not be kept at ${path}`);
        return bytes;
      } catch (error) {
        throw unavailable(error);
      }
    },
    async close() {
      const open = opening;
      opening = null;
      if (!open) return;
      try {
        await (await open).close();
      } catch {
        // Never opened: nothing to close.
      }
    },
  };
}
