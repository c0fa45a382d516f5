/**
 * The content settings of a profile (docs/privacy.md): `sync.content` (what leaves: metrics, redacted, full),
 * `sync.redact.patterns` (the user's redaction patterns) and `sync.exclude` (project paths that never leave).
 * The validation here runs at `config set` and is light (no rule compilation); the policy the push applies is
 * built by `contentPolicy`.
 */
import os from 'node:os';
import path from 'node:path';
import { CliError, ExitCode } from '../errors.js';

export const CONTENT_LEVEL_NAMES = ['metrics', 'redacted', 'full'] as const;
export type ContentLevelName = (typeof CONTENT_LEVEL_NAMES)[number];

/** The level of a profile that never synced; a profile that already synced keeps `full` (recorded at its first sync). */
export const DEFAULT_CONTENT_LEVEL: ContentLevelName = 'redacted';

export function normalizeContentLevel(value: string): string {
  const level = value.trim().toLowerCase();
  if (!(CONTENT_LEVEL_NAMES as readonly string[]).includes(level)) {
    throw new CliError(`sync.content must be one of ${CONTENT_LEVEL_NAMES.join(', ')}`, {
      exitCode: ExitCode.usage,
      hint: 'metrics sends no text, redacted sends text with secrets replaced, full sends everything',
    });
  }
  return level;
}

/** A list setting: a JSON array of strings, or one string alone. Stored as the JSON array. */
export function parseStringList(key: string, value: string): string[] {
  const text = value.trim();
  if (text === '') return [];
  if (!text.startsWith('[')) return [text];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw listError(key);
  }
  if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string' || item === '')) {
    throw listError(key);
  }
  return parsed as string[];
}

function listError(key: string): CliError {
  return new CliError(`${key} must be a JSON array of non-empty strings, or one string`, {
    exitCode: ExitCode.usage,
    hint: `e.g. agentlogs config set ${key} '["first", "second"]'`,
  });
}

export function normalizeRedactPatterns(value: string): string {
  const patterns = parseStringList('sync.redact.patterns', value);
  patterns.forEach((pattern, index) => {
    const caseless = pattern.startsWith('(?i)');
    try {
      new RegExp(caseless ? pattern.slice(4) : pattern, caseless ? 'i' : '');
    } catch {
      // The pattern itself is never printed: it may describe a secret.
      throw new CliError(`sync.redact.patterns[${index}] is not a valid regular expression`, {
        exitCode: ExitCode.usage,
        hint: 'patterns are JavaScript regular expressions; a leading (?i) makes one case-insensitive',
      });
    }
  });
  return JSON.stringify(patterns);
}

export function normalizeExclude(value: string): string {
  const globs = parseStringList('sync.exclude', value);
  for (const glob of globs) {
    if (
      !glob.startsWith('/') &&
      !glob.startsWith('~') &&
      !glob.startsWith('**') &&
      !/^[A-Za-z]:[\\/]/.test(glob)
    ) {
      throw new CliError('each sync.exclude entry must be an absolute path or glob (/…, ~/…, **/…)', {
        exitCode: ExitCode.usage,
        hint: 'e.g. agentlogs config set sync.exclude \'["~/work/client-*", "**/secret"]\'',
      });
    }
  }
  return JSON.stringify(globs);
}

/** `~` and `~/…` as the user's home directory. */
export function expandHome(glob: string, env: NodeJS.ProcessEnv): string {
  if (glob !== '~' && !glob.startsWith('~/')) return glob;
  const home = env.HOME || os.homedir();
  return path.join(home, glob.slice(1));
}
