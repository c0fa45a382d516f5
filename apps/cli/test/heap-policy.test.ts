/**
 * Which command lines take the batch commands' heap policy: the command word is found past `--profile` and
 * options, and a word after `--` or an argument of another command never counts.
 */
import { describe, expect, it } from 'vitest';
import { BATCH_COMMANDS, commandWord } from '../src/heap-policy.js';

const batch = (argv: string[]) => {
  const word = commandWord(argv);
  return word !== undefined && BATCH_COMMANDS.has(word);
};

describe('commandWord', () => {
  it('is the first word that is neither an option nor a profile name', () => {
    expect(commandWord(['import', '--claude-dir', '/x'])).toBe('import');
    expect(commandWord(['--profile', 'work', 'push', '--json'])).toBe('push');
    expect(commandWord(['-p', 'import', 'stats'])).toBe('stats');
    expect(commandWord(['--profile=work', 'pull'])).toBe('pull');
    expect(commandWord(['--json'])).toBeUndefined();
    expect(commandWord(['--', 'import'])).toBeUndefined();
  });

  it('selects import, push, pull and sync, not a search for the word import', () => {
    expect(batch(['import'])).toBe(true);
    expect(batch(['sync', '--watch'])).toBe(true);
    expect(batch(['push', '--dry-run'])).toBe(true);
    expect(batch(['pull'])).toBe(true);
    expect(batch(['search', 'import'])).toBe(false);
    expect(batch(['stats', '--json'])).toBe(false);
    expect(batch(['statusline'])).toBe(false);
    expect(batch(['--profile', 'pull', 'stats'])).toBe(false);
  });
});
