import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_CATALOG } from '../src/agents/catalog.js';
import { AGENTS } from '../src/agents/index.js';
import {
  resolveAgentRoots,
  resolveClaudeRoots,
  resolveCodexRoots,
  TranscriptRootError,
} from '../src/roots.js';
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

describe('every agent of the registry', () => {
  it('declares an option, an environment variable and default folders, and resolves them alike', () => {
    const flags = new Set<string>();
    const envs = new Set<string>();
    for (const entry of AGENT_CATALOG) {
      expect(entry.roots.flag).toMatch(/^[a-z]+-dir$/);
      expect(flags.has(entry.roots.flag) || envs.has(entry.roots.env)).toBe(false);
      flags.add(entry.roots.flag);
      envs.add(entry.roots.env);
      const home = tempDir();
      // Nothing exists yet: nothing to read.
      expect(resolveAgentRoots(entry, { HOME: home }, [], home, 'linux')).toEqual([]);
      // The default folders, on each platform, are read when they exist.
      for (const platform of ['linux', 'darwin', 'win32'] as const) {
        const defaults = entry.roots.defaults({ env: { HOME: home }, home, platform });
        expect(defaults.length).toBeGreaterThan(0);
        for (const d of defaults) mkdirSync(d, { recursive: true });
        expect(resolveAgentRoots(entry, { HOME: home }, [], home, platform)).toEqual(defaults);
      }
      // The variable replaces the defaults, the option replaces both.
      const viaEnv = join(home, 'env-folder');
      mkdirSync(entry.roots.envRoot?.(viaEnv) ?? viaEnv, { recursive: true });
      expect(resolveAgentRoots(entry, { HOME: home, [entry.roots.env]: viaEnv }, [], home)).toEqual([
        entry.roots.envRoot?.(viaEnv) ?? viaEnv,
      ]);
      const given = join(home, 'given');
      mkdirSync(given, { recursive: true });
      expect(resolveAgentRoots(entry, { HOME: home, [entry.roots.env]: viaEnv }, [given], home)).toEqual([
        given,
      ]);
      expect(() => resolveAgentRoots(entry, { HOME: home }, [join(home, 'nope')], home)).toThrow(
        `--${entry.roots.flag} folder not found`,
      );
    }
    expect([...flags].slice(0, 2)).toEqual(['claude-dir', 'codex-dir']);
    expect(AGENTS.map((a) => a.id)).toEqual(AGENT_CATALOG.map((e) => e.id));
    for (const agent of AGENTS) expect(agent.roots).toBe(AGENT_CATALOG.find((e) => e.id === agent.id)?.roots);
  });
});
