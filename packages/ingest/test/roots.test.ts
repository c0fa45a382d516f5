import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveClaudeRoots, resolveCodexRoots, TranscriptRootError } from '../src/roots.js';
import { tempDir } from './helpers.js';

describe('transcript folders', () => {
  it('default to ~/.config/claude/projects and ~/.claude/projects (those that exist)', () => {
    const home = tempDir();
    expect(resolveClaudeRoots({ HOME: home })).toEqual([]);
    mkdirSync(join(home, '.claude', 'projects'), { recursive: true });
    mkdirSync(join(home, '.config', 'claude', 'projects'), { recursive: true });
    expect(resolveClaudeRoots({ HOME: home })).toEqual([
      join(home, '.config', 'claude', 'projects'),
      join(home, '.claude', 'projects'),
    ]);
  });

  it('CLAUDE_CONFIG_DIR (comma-separated) replaces the defaults; a folder may hold projects/ or be it', () => {
    const home = tempDir();
    const a = join(home, 'a');
    const b = join(home, 'b', 'projects');
    mkdirSync(join(a, 'projects'), { recursive: true });
    mkdirSync(b, { recursive: true });
    mkdirSync(join(home, '.claude', 'projects'), { recursive: true });
    expect(resolveClaudeRoots({ HOME: home, CLAUDE_CONFIG_DIR: `${a}, ${b}` })).toEqual([
      join(a, 'projects'),
      b,
    ]);
  });

  it('--claude-dir beats CLAUDE_CONFIG_DIR; a missing folder is an error naming it', () => {
    const home = tempDir();
    const dir = join(home, 'x');
    mkdirSync(join(dir, 'projects'), { recursive: true });
    expect(resolveClaudeRoots({ HOME: home, CLAUDE_CONFIG_DIR: join(home, 'nope') }, [dir])).toEqual([
      join(dir, 'projects'),
    ]);
    expect(() => resolveClaudeRoots({ HOME: home }, [join(home, 'nope')])).toThrow(TranscriptRootError);
    expect(() => resolveClaudeRoots({ HOME: home, CLAUDE_CONFIG_DIR: join(home, 'nope') })).toThrow(
      /CLAUDE_CONFIG_DIR folder not found/,
    );
  });

  it('Codex: --codex-dir, else $CODEX_HOME/sessions, else ~/.codex/sessions', () => {
    const home = tempDir();
    expect(resolveCodexRoots({ HOME: home })).toEqual([]);
    mkdirSync(join(home, '.codex', 'sessions'), { recursive: true });
    expect(resolveCodexRoots({ HOME: home })).toEqual([join(home, '.codex', 'sessions')]);
    const codexHome = join(home, 'ch');
    mkdirSync(join(codexHome, 'sessions'), { recursive: true });
    expect(resolveCodexRoots({ HOME: home, CODEX_HOME: codexHome })).toEqual([join(codexHome, 'sessions')]);
    expect(resolveCodexRoots({ HOME: home }, [codexHome])).toEqual([join(codexHome, 'sessions')]);
  });
});
