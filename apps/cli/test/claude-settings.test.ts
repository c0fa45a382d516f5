import { describe, expect, it } from 'vitest';
import {
  addSessionEndHook,
  cleanupPeriodDays,
  findInstalledHooks,
  HOOK_MARKER,
  removeSessionEndHook,
} from '../src/claude-settings.js';

const FILE = '/home/someone/.claude/settings.json';
const COMMAND = `"/usr/bin/node" "/opt/agentlogs/dist/bin.js" ${HOOK_MARKER}`;

/** Settings files as people write them: every layout the edit must leave alone. */
const LAYOUTS: Record<string, string> = {
  'no hooks, two spaces': '{\n  "model": "opus",\n  "cleanupPeriodDays": 90\n}\n',
  'other hooks, four spaces, compact arrays':
    '{\n    "model": "opus",\n    "hooks": {\n        "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "echo hi" } ] } ]\n    }\n}\n',
  'another SessionEnd hook, tabs, CRLF':
    '{\r\n\t"hooks": {\r\n\t\t"SessionEnd": [\r\n\t\t\t{\r\n\t\t\t\t"matcher": "clear",\r\n\t\t\t\t"hooks": [{"type": "command", "command": "notify-send bye"}]\r\n\t\t\t}\r\n\t\t]\r\n\t}\r\n}',
  'one line': '{"model":"sonnet","hooks":{"Stop":[{"hooks":[{"type":"command","command":"say done"}]}]}}',
  'empty object': '{}',
  'comments and an empty hooks object':
    '{\n  // mine\n  "hooks": {},\n  "env": { "A": "1" } /* trailing */\n}\n',
};

function sessionEndCommands(text: string): string[] {
  const parsed = JSON.parse(text.replace(/\/\/.*$/gm, '').replace(/\/\*.*?\*\//g, '')) as {
    hooks?: { SessionEnd?: { hooks: { command: string }[] }[] };
  };
  return (parsed.hooks?.SessionEnd ?? []).flatMap((g) => g.hooks.map((h) => h.command));
}

describe('the SessionEnd hook in Claude Code settings', () => {
  for (const [name, before] of Object.entries(LAYOUTS)) {
    it(`${name}: install adds one handler and keeps every other byte; removal gives the file back`, () => {
      const added = addSessionEndHook(FILE, before, COMMAND);
      expect(added.action).toBe('added');
      expect(sessionEndCommands(added.text)).toContain(COMMAND);
      // Only text was inserted: deleting the inserted span gives the original back.
      let i = 0;
      while (i < before.length && before[i] === added.text[i]) i++;
      const tail = before.length - i;
      expect(added.text.slice(0, i) + added.text.slice(added.text.length - tail)).toBe(before);
      // The earlier keys and hooks are all still there.
      const without = (t: string) => sessionEndCommands(t).filter((c) => c !== COMMAND);
      expect(without(added.text)).toEqual(sessionEndCommands(before));
      // Idempotent.
      expect(addSessionEndHook(FILE, added.text, COMMAND)).toEqual({
        text: added.text,
        action: 'unchanged',
        created: [],
      });
      // Removal is the exact inverse.
      expect(removeSessionEndHook(FILE, added.text, added.created)).toEqual({ text: before, removed: 1 });
    });
  }

  it('a missing file gets a new one holding only the hook', () => {
    const added = addSessionEndHook(FILE, undefined, COMMAND);
    expect(JSON.parse(added.text)).toEqual({
      hooks: { SessionEnd: [{ hooks: [{ type: 'command', command: COMMAND, timeout: 30 }] }] },
    });
  });

  it('points an installed hook at a new command, and removes copies of it', () => {
    const first = addSessionEndHook(FILE, LAYOUTS['no hooks, two spaces'], COMMAND).text;
    const moved = COMMAND.replace('/opt/agentlogs', '/usr/lib/node_modules/@agentlogs/cli');
    const updated = addSessionEndHook(FILE, first, moved);
    expect(updated.action).toBe('updated');
    expect(sessionEndCommands(updated.text)).toEqual([moved]);
    expect(findInstalledHooks(FILE, updated.text)).toHaveLength(1);
  });

  it('after other edits, removal takes out only the hook and keeps them', () => {
    const before = LAYOUTS['other hooks, four spaces, compact arrays']!;
    const added = addSessionEndHook(FILE, before, COMMAND);
    const edited = added.text.replace('"model": "opus"', '"model": "sonnet"');
    const removed = removeSessionEndHook(FILE, edited, added.created);
    expect(removed.text).toBe(before.replace('"model": "opus"', '"model": "sonnet"'));
  });

  it('refuses a file that is not JSON, or whose hooks are not an object, with one line', () => {
    expect(() => addSessionEndHook(FILE, '{ "model": ', COMMAND)).toThrow(`${FILE}: is not valid JSON`);
    expect(() => addSessionEndHook(FILE, '{ "hooks": [] }', COMMAND)).toThrow('"hooks" is not an object');
    expect(() => addSessionEndHook(FILE, '[1]', COMMAND)).toThrow('does not hold a JSON object');
  });

  it('reads cleanupPeriodDays, else nothing (the default applies)', () => {
    expect(cleanupPeriodDays('{ "cleanupPeriodDays": 90 }')).toBe(90);
    expect(cleanupPeriodDays('{ "cleanupPeriodDays": 0 }')).toBe(0);
    expect(cleanupPeriodDays('{ "cleanupPeriodDays": "ten" }')).toBeUndefined();
    expect(cleanupPeriodDays('{}')).toBeUndefined();
    expect(cleanupPeriodDays('not json')).toBeUndefined();
    expect(cleanupPeriodDays(undefined)).toBeUndefined();
  });
});
