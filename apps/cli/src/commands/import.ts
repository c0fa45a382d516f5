import { type ImportResult, importTranscripts } from '@agentlogs/ingest';
import type { Command, OptionsOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { loadDevice } from '../device.js';
import { CliError, ExitCode } from '../errors.js';
import { applyBatchHeapPolicy } from '../heap-policy.js';
import { openStore, storeError } from '../open-store.js';
import { pricesWhenUsed } from '../prices.js';
import { formatBytes, importProgressDetail, ProgressBar } from '../progress.js';
import { ProfileConfig } from '../settings.js';
import { agentNames, transcriptRoots } from '../transcript-roots.js';
import type { specs } from './index.js';

const SHOWN_MALFORMED = 5;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(r: ImportResult): string {
  const seconds = (r.durationMs / 1000).toFixed(1);
  if (r.filesFound === 0) return 'No transcripts found.';
  if (r.turnsAdded === 0 && r.turnsUpdated === 0 && r.sessionsAdded === 0 && r.commitsAdded === 0) {
    return `Nothing new: ${plural(r.filesFound, 'file')} checked, ${r.filesUnchanged} unchanged since the last import (${seconds} s).`;
  }
  const parts = [
    `${plural(r.turnsAdded, 'new turn')}`,
    `${r.turnsUpdated} updated`,
    `${plural(r.sessionsAdded, 'new session')}`,
    `${plural(r.commitsAdded, 'new commit')}`,
  ];
  if (r.visualsAdded > 0) parts.push(`${plural(r.visualsAdded, 'new image')}`);
  return (
    `Imported ${plural(r.filesRead, 'file')} (${formatBytes(r.bytesRead)}): ${parts.join(', ')}; ` +
    `${r.filesUnchanged} unchanged${r.filesReread > 0 ? `, ${r.filesReread} re-read from the start` : ''} (${seconds} s).`
  );
}

export const importCommand: Command<OptionsOf<typeof specs.import>> = {
  name: 'import',
  async run(ctx: CommandContext, args) {
    const roots = transcriptRoots(ctx, args);
    const json = args.values.json === true;
    const device = loadDevice(ctx.home, ctx.env, new ProfileConfig(ctx).get('machine.name').value);
    const store = openStore(ctx);
    // On a terminal (stderr), files, MiB and the time left; nothing with --json or when not a terminal.
    const bar = json ? null : new ProgressBar(ctx.stderr, 'importing');
    const started = performance.now();
    // The heap policy (heap-policy.ts) is set before a first import lists the tree, and for every import at its
    // first progress report. An import that finds little or nothing new lists and stats the tree under V8's
    // defaults: its young generation grows, and it collects less often (a no-op import of the 208 MB bench
    // tree makes 9 scavenges instead of 14).
    let policyAfterWorkers = false;
    let result: ImportResult;
    try {
      result = importTranscripts(store, {
        roots: roots.byAgent,
        deviceId: device.deviceId,
        machine: { name: device.name, hostname: device.hostname, platform: device.platform },
        signal: ctx.signal,
        // The usage rollup is rebuilt at the end of an import that changed turns, with the prices stats uses.
        prices: pricesWhenUsed(ctx),
        onListing: (firstListing) => {
          if (firstListing) applyBatchHeapPolicy();
        },
        onProgress: (p) => {
          // V8 sets the young generation's growth factor back to its default whenever it creates an isolate,
          // as it does for the parse workers (started before the first file): set the policy again after them.
          if (!policyAfterWorkers) {
            policyAfterWorkers = true;
            applyBatchHeapPolicy();
          }
          if (bar?.enabled)
            bar.update(p.bytesDone, p.bytesTotal, importProgressDetail(p, performance.now() - started));
        },
      });
    } catch (error) {
      throw storeError(store.translateError(error));
    } finally {
      bar?.done();
      await store.close();
    }

    if (json) {
      ctx.out(
        JSON.stringify(
          // `claude` and `codex` as before; every agent's folders under its id in `agents`.
          {
            ...result,
            roots: { claude: roots.byAgent.claude_code, codex: roots.byAgent.codex, agents: roots.byAgent },
          },
          null,
          2,
        ),
      );
    } else {
      if (result.filesFound === 0) {
        const where = roots.all;
        ctx.out(
          where.length > 0
            ? `No transcripts found in ${where.join(', ')}.`
            : `No transcripts found: no folder of ${agentNames()} exists here; pass --claude-dir DIR, --codex-dir DIR or another --<agent>-dir option.`,
        );
      } else {
        ctx.out(summaryLine(result));
      }
      if (result.legacyTurnsFolded + result.legacyCommitsFolded + result.legacySessionsFolded > 0) {
        ctx.out(
          `Merged rows of the earlier agentlogs database with these transcripts: ${plural(result.legacySessionsFolded, 'session')}, ${plural(result.legacyCommitsFolded, 'commit')} and ${plural(result.legacyTurnsFolded, 'per-line turn')} folded into the imported ones.`,
        );
      }
      if (result.malformedLines > 0) {
        ctx.err(`${plural(result.malformedLines, 'malformed line')} skipped:`);
        for (const m of result.malformed.slice(0, SHOWN_MALFORMED))
          ctx.err(`  ${m.path}:${m.line}: ${m.reason}`);
        if (result.malformedLines > SHOWN_MALFORMED)
          ctx.err(`  … and ${result.malformedLines - SHOWN_MALFORMED} more`);
      }
      if (result.usageLinesNotCompact > 0) {
        ctx.err(
          `note: ${plural(result.usageLinesNotCompact, 'line')} carry usage written with spaces ("usage": {), which ccusage does not count; agentlogs counts them.`,
        );
      }
      for (const f of result.filesFailed) ctx.err(`could not import ${f.path}: ${f.error}`);
    }
    if (result.interrupted)
      throw new CliError('interrupted; run the import again to continue', { exitCode: ExitCode.interrupted });
    return result.filesFailed.length > 0 ? ExitCode.failure : ExitCode.ok;
  },
};
