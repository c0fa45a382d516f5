/**
 * The content policy of a sync (docs/privacy.md): the profile's `sync.content`, `sync.redact.patterns` and
 * `sync.exclude`, handed to the local store, which applies them to every record it gives the push.
 */
import { type ContentLevel, compileRuleset, isContentPolicyError } from '@agentlogs/content-policy';
import type { ContentPolicyOptions, SqliteSyncStore } from '@agentlogs/local-store';
import type { CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import { type ConfigSource, ProfileConfig } from '../settings.js';
import { expandHome, parseStringList } from './content.js';

export interface ResolvedContentPolicy extends ContentPolicyOptions {
  level: ContentLevel;
  /** Where the level comes from: the environment, the profile, or the default of a profile that never synced. */
  source: ConfigSource;
  exclude: string[];
}

/**
 * The policy of this profile. A profile without `sync.content` gets `redacted` when it never synced and keeps
 * `full` when it did (it synced everything before levels existed); with `record`, that level is stored in the
 * profile, so it stays what it was when the user first synced.
 */
export async function resolveContentPolicy(
  ctx: Pick<CommandContext, 'home' | 'profile' | 'env'>,
  store: SqliteSyncStore,
  options: { record: boolean },
): Promise<ResolvedContentPolicy> {
  const config = new ProfileConfig(ctx);
  const setting = config.get('sync.content');
  let level = setting.value as ContentLevel;
  let source: ConfigSource = setting.source ?? 'default';
  if (setting.source === 'default' || setting.source === undefined) {
    level = store.hasSynced() ? 'full' : 'redacted';
    if (options.record) {
      await config.set('sync.content', level);
      source = 'profile';
    }
  }
  const patterns = parseStringList('sync.redact.patterns', config.get('sync.redact.patterns').value ?? '');
  const exclude = parseStringList('sync.exclude', config.get('sync.exclude').value ?? '').map((glob) =>
    expandHome(glob, ctx.env),
  );
  let ruleset: ContentPolicyOptions['ruleset'];
  if (level === 'redacted') {
    try {
      ruleset = compileRuleset({ patterns });
    } catch (error) {
      if (!isContentPolicyError(error)) throw error;
      throw new CliError(error.message, {
        exitCode: ExitCode.config,
        hint: "fix it with 'agentlogs config set sync.redact.patterns …'",
      });
    }
  }
  return { level, source, exclude, ...(ruleset ? { ruleset } : {}) };
}
