import { copyFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { findVisuals, type LocalDatabase, listVisuals, type VisualView } from '@agentlogs/local-store';
import type { Command, OptionsOf } from '../command.js';
import { CliError, ExitCode, fileSystemError, usageError } from '../errors.js';
import { storeError } from '../open-store.js';
import { formatBytes } from '../progress.js';
import { syncCliError } from '../sync/run.js';
import { openLocalSyncStore, openSyncSession } from '../sync/session.js';
import { fetchVisual, visualFilesOf } from '../sync/visuals.js';
import { renderTable } from '../table.js';
import type { specs } from './index.js';

async function resolveVisual(database: LocalDatabase, given: string | undefined): Promise<VisualView> {
  if (!given) throw usageError('a visual id is needed', "list them with 'agentlogs visuals list'");
  const matches = await findVisuals(database, given);
  const exact = matches.find((v) => v.id === given);
  if (exact) return exact;
  if (given.length >= 6 && matches.length === 1) return matches[0]!;
  throw new CliError(
    matches.length > 1 ? `the id prefix ${given} matches several visuals` : `no visual with id ${given}`,
    {
      exitCode: ExitCode.failure,
      hint: "list the ids with 'agentlogs visuals list' (a unique prefix of 6 or more characters works)",
    },
  );
}

const listCommand: Command<OptionsOf<(typeof specs)['visuals list']>> = {
  name: 'visuals list',
  async run(ctx, args) {
    const limitText = (args.values.limit as string | undefined) ?? '50';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw usageError(`--limit must be a whole number, got "${limitText}"`);
    const session = args.values.session as string | undefined;
    const { database } = openLocalSyncStore(ctx, 'read');
    let visuals: VisualView[];
    try {
      visuals = await listVisuals(database, {
        ...(session ? { sessionId: session } : {}),
        ...(limit > 0 ? { limit } : {}),
      });
    } catch (error) {
      throw storeError(error);
    } finally {
      await database.close();
    }
    const files = visualFilesOf(ctx);
    const rows = visuals.map((v) => ({
      id: v.id,
      captured_at: v.capturedAt,
      media_type: v.mediaType,
      bytes: v.byteSize,
      sha256: v.sha256,
      session_id: v.sessionId,
      turn_id: v.turnId,
      commit_id: v.commitId,
      machine_id: v.machineId,
      local: files.has(v.sha256, v.extension),
    }));
    if (args.values.json === true) {
      ctx.out(JSON.stringify(rows, null, 2));
      return ExitCode.ok;
    }
    if (rows.length === 0) {
      ctx.out("No visuals. Images in transcripts become visuals when you run 'agentlogs import'.");
      return ExitCode.ok;
    }
    const lines = rows.map((r) => [
      r.id,
      r.captured_at.slice(0, 16).replace('T', ' '),
      r.media_type,
      formatBytes(r.bytes),
      r.local ? 'here' : "in the project ('visuals get' fetches it)",
    ]);
    for (const line of renderTable(lines, { align: ['left', 'left', 'left', 'right', 'left'] }))
      ctx.out(line);
    return ExitCode.ok;
  },
};

const getCommand: Command<OptionsOf<(typeof specs)['visuals get']>> = {
  name: 'visuals get',
  async run(ctx, args) {
    if (args.positionals.length > 1) throw usageError('visuals get takes one id');
    const output = args.values.output as string | undefined;
    const json = args.values.json === true;
    // Look it up first without the network: most views are of images this machine has.
    const local = openLocalSyncStore(ctx, 'read');
    let visual: VisualView;
    try {
      visual = await resolveVisual(local.database, args.positionals[0]);
    } catch (error) {
      throw error instanceof CliError ? error : storeError(error);
    } finally {
      await local.database.close();
    }
    const files = visualFilesOf(ctx);
    let path: string | null = files.pathOf(visual.sha256, visual.extension);
    let fetched = false;
    let locked = false;
    if (!files.read(visual.sha256, visual.extension)) {
      const session = await openSyncSession(ctx, 'visuals get', {}, { dryRun: true });
      try {
        ({ path, fetched, locked } = await fetchVisual(ctx, session, visual));
      } catch (error) {
        throw syncCliError(error, session);
      } finally {
        await session.close();
      }
    }
    if (path === null) {
      // Encrypted in the project and this machine has no key: the image stays locked, which is not a failure.
      if (json) {
        ctx.out(
          JSON.stringify(
            {
              id: visual.id,
              path: null,
              fetched: false,
              locked,
              sha256: visual.sha256,
              media_type: visual.mediaType,
              bytes: visual.byteSize,
            },
            null,
            2,
          ),
        );
      } else {
        ctx.out(
          `The image of visual ${visual.id} is encrypted and this machine has no key (locked); run 'agentlogs encryption unlock' to see it.`,
        );
      }
      return ExitCode.ok;
    }
    if (output !== undefined) {
      const target = resolve(output);
      try {
        copyFileSync(path, target);
      } catch (error) {
        throw fileSystemError(error) ?? error;
      }
      path = target;
    }
    if (json) {
      ctx.out(
        JSON.stringify(
          {
            id: visual.id,
            path,
            fetched,
            locked: false,
            sha256: visual.sha256,
            media_type: visual.mediaType,
            bytes: visual.byteSize,
          },
          null,
          2,
        ),
      );
    } else {
      ctx.out(path);
    }
    return ExitCode.ok;
  },
};

export const visualsCommands: Command[] = [listCommand, getCommand];
