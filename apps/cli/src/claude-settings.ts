/**
 * Claude Code's settings files (`settings.json`): where they are, the retention setting they hold
 * (`cleanupPeriodDays`), and the `SessionEnd` hook agentlogs adds to them. Edits change only the text they
 * must (an inserted entry takes the indentation and line endings of its siblings; keys, order and comments
 * stay), so the rest of a person's settings stays as they wrote it.
 *
 * The hooks format (Claude Code's hooks reference): `"hooks": { "<Event>": [ { "matcher"?: "…", "hooks":
 * [ { "type": "command", "command": "…", "timeout"?: seconds } ] } ] }`. `SessionEnd` takes no tool matcher
 * (its matcher, when given, filters the end reason: clear, logout, prompt_input_exit, other); without one the
 * hook runs at every end. The command gets `{session_id, transcript_path, cwd, hook_event_name, reason}` as
 * JSON on stdin.
 */
import os from 'node:os';
import path from 'node:path';
import {
  findNodeAtLocation,
  type JSONPath,
  type Node,
  type ParseError,
  parse,
  parseTree,
} from 'jsonc-parser';
import { CliError, ExitCode } from './errors.js';

/** How long Claude Code keeps transcripts when `cleanupPeriodDays` is not set. */
export const DEFAULT_CLEANUP_PERIOD_DAYS = 30;

/** What marks the command agentlogs installs, whatever the paths in front of it. */
export const HOOK_MARKER = 'hooks run --agent claude-code';

/** Seconds Claude Code lets the hook run before it stops it (the import takes well under one). */
export const HOOK_TIMEOUT_SECONDS = 30;

/** Claude Code's configuration folders: each of `CLAUDE_CONFIG_DIR` (comma-separated), else `~/.claude`. */
export function claudeConfigDirs(env: NodeJS.ProcessEnv): string[] {
  const given = (env.CLAUDE_CONFIG_DIR ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((d) => path.resolve(d));
  if (given.length > 0) return [...new Set(given)];
  return [path.join(env.HOME || os.homedir(), '.claude')];
}

/** The user settings file of a configuration folder. */
export function userSettingsFile(configDir: string): string {
  return path.join(configDir, 'settings.json');
}

/**
 * The personal settings file of a project: `.claude/settings.local.json`, which Claude Code keeps out of git
 * (`.claude/settings.json` is shared with everyone who clones the project, who may not run agentlogs).
 */
export function projectSettingsFile(projectDir: string): string {
  return path.join(projectDir, '.claude', 'settings.local.json');
}

export class SettingsFileError extends CliError {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, {
      exitCode: ExitCode.config,
      hint: 'fix the file (or move it aside), then run the command again; nothing was changed',
    });
  }
}

function parseSettings(file: string, text: string): Node | undefined {
  if (text.trim() === '') return undefined;
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || !tree) throw new SettingsFileError(file, 'is not valid JSON');
  if (tree.type !== 'object') throw new SettingsFileError(file, 'does not hold a JSON object');
  return tree;
}

/**
 * The retention of a settings file's text: `cleanupPeriodDays` when it is a number of days, else undefined
 * (unreadable text or no such key: Claude Code then uses its default).
 */
export function cleanupPeriodDays(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true }) as unknown;
  if (errors.length > 0 || typeof value !== 'object' || value === null) return undefined;
  const days = (value as Record<string, unknown>).cleanupPeriodDays;
  return typeof days === 'number' && Number.isFinite(days) && days >= 0 ? days : undefined;
}

/** The file's own indentation unit and line ending, so inserted text looks like the rest. */
function formattingOf(text: string): { unit: string; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { unit: '\t', eol };
  return { unit: indent ?? '  ', eol };
}

/** The whitespace at the start of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

/**
 * Adds `item` (a property `"key": value` of an object, or an element of an array) after the container's last
 * child, laid out as its siblings are: on their own lines at their indentation, or on the same line when the
 * container is written on one line. Only the inserted text is new; nothing else of the file changes.
 */
function appendChild(text: string, container: Node, key: string | null, value: unknown): string {
  const { unit, eol } = formattingOf(text);
  const children = container.children ?? [];
  const close = container.offset + container.length - 1;
  const render = (indent: string) => {
    const v = JSON.stringify(value, null, unit).replace(/\n/g, eol + indent);
    return key === null ? v : `${JSON.stringify(key)}: ${v}`;
  };
  if (children.length === 0) {
    const indent = lineIndent(text, container.offset);
    return splice(
      text,
      container.offset + 1,
      close,
      `${eol}${indent}${unit}${render(indent + unit)}${eol}${indent}`,
    );
  }
  const first = children[0]!;
  const last = children[children.length - 1]!;
  const end = last.offset + last.length;
  if (!text.slice(container.offset, first.offset).includes('\n')) {
    return splice(
      text,
      end,
      end,
      `, ${key === null ? JSON.stringify(value) : `${JSON.stringify(key)}: ${JSON.stringify(value)}`}`,
    );
  }
  const indent = lineIndent(text, last.offset);
  return splice(text, end, end, `,${eol}${indent}${render(indent)}`);
}

/**
 * Removes a child (a property or an array element) with the comma and space that join it to a sibling: the
 * inverse of `appendChild`. An only child leaves its container empty (`{}`, `[]`).
 */
function removeChild(text: string, container: Node, child: Node): string {
  const siblings = container.children ?? [];
  const i = siblings.indexOf(child);
  if (siblings.length === 1)
    return splice(text, container.offset + 1, container.offset + container.length - 1, '');
  if (i > 0) {
    const prev = siblings[i - 1]!;
    return splice(text, prev.offset + prev.length, child.offset + child.length, '');
  }
  return splice(text, child.offset, siblings[1]!.offset, '');
}

/** The property node (`"key": value`) of `key` in an object node. */
function propertyOf(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.children?.[0]?.value === key);
}

/** Where one of agentlogs' handlers sits: `hooks.SessionEnd[group].hooks[handler]`. */
export interface InstalledHook {
  group: number;
  handler: number;
  command: string;
  /** Every handler of its group is an agentlogs one (the group can go as a whole). */
  groupIsOurs: boolean;
}

/** The agentlogs `SessionEnd` handlers in a settings file's text. */
export function findInstalledHooks(file: string, text: string | undefined): InstalledHook[] {
  if (text === undefined) return [];
  const tree = parseSettings(file, text);
  if (!tree) return [];
  const groups = findNodeAtLocation(tree, ['hooks', 'SessionEnd']);
  if (groups?.type !== 'array') return [];
  const found: InstalledHook[] = [];
  (groups.children ?? []).forEach((group, g) => {
    const handlers = findNodeAtLocation(group, ['hooks']);
    if (handlers?.type !== 'array') return;
    const ours: InstalledHook[] = [];
    (handlers.children ?? []).forEach((handler, h) => {
      const command = findNodeAtLocation(handler, ['command'])?.value;
      if (typeof command === 'string' && command.includes(HOOK_MARKER))
        ours.push({ group: g, handler: h, command, groupIsOurs: false });
    });
    const onlyOurs = ours.length === (handlers.children ?? []).length;
    const keys = (group.children ?? []).map((p) => p.children?.[0]?.value);
    const plainGroup = keys.every((k) => k === 'hooks' || k === 'matcher');
    for (const o of ours) found.push({ ...o, groupIsOurs: onlyOurs && plainGroup });
  });
  return found;
}

/** The matcher group agentlogs adds: every end reason, one command. */
export function hookEntry(command: string): Record<string, unknown> {
  return { hooks: [{ type: 'command', command, timeout: HOOK_TIMEOUT_SECONDS }] };
}

export interface AddResult {
  text: string;
  action: 'added' | 'updated' | 'unchanged';
  /** The containers the edit created (`hooks`, `SessionEnd`): an uninstall removes them again when empty. */
  created: ('hooks' | 'SessionEnd')[];
}

/** Adds the `SessionEnd` hook running `command` (or points an installed one at it); idempotent. */
export function addSessionEndHook(file: string, text: string | undefined, command: string): AddResult {
  const entry = hookEntry(command);
  const tree = text === undefined ? undefined : parseSettings(file, text);
  if (text === undefined || !tree) {
    // A new file (or an empty one): written the way Claude Code writes its own.
    return {
      text: `${JSON.stringify({ hooks: { SessionEnd: [entry] } }, null, 2)}\n`,
      action: 'added',
      created: [],
    };
  }
  const installed = findInstalledHooks(file, text);
  if (installed.length > 0) {
    const first = installed[0]!;
    if (installed.length === 1 && first.command === command)
      return { text, action: 'unchanged', created: [] };
    const at = findNodeAtLocation(tree, [
      'hooks',
      'SessionEnd',
      first.group,
      'hooks',
      first.handler,
      'command',
    ])!;
    let out = splice(text, at.offset, at.offset + at.length, JSON.stringify(command));
    // Copies installed by hand beyond the first would run the import twice: they go.
    out = removeHandlers(file, out, installed.slice(1), []);
    return { text: out, action: 'updated', created: [] };
  }
  const hooks = findNodeAtLocation(tree, ['hooks']);
  if (!hooks)
    return {
      text: appendChild(text, tree, 'hooks', { SessionEnd: [entry] }),
      action: 'added',
      created: ['hooks', 'SessionEnd'],
    };
  if (hooks.type !== 'object') throw new SettingsFileError(file, '"hooks" is not an object');
  const groups = findNodeAtLocation(tree, ['hooks', 'SessionEnd']);
  if (!groups)
    return {
      text: appendChild(text, hooks, 'SessionEnd', [entry]),
      action: 'added',
      created: ['SessionEnd'],
    };
  if (groups.type !== 'array') throw new SettingsFileError(file, '"hooks.SessionEnd" is not a list');
  return { text: appendChild(text, groups, null, entry), action: 'added', created: [] };
}

/** Removes the given handlers (a group that holds only agentlogs handlers goes whole), last first. */
function removeHandlers(
  file: string,
  text: string,
  handlers: InstalledHook[],
  created: readonly string[],
): string {
  let out = text;
  const node = (at: JSONPath) => findNodeAtLocation(parseSettings(file, out)!, at);
  const sorted = [...handlers].sort((a, b) => b.group - a.group || b.handler - a.handler);
  const groupsGone = new Set<number>();
  for (const h of sorted) {
    if (groupsGone.has(h.group)) continue;
    if (h.groupIsOurs) {
      const groups = node(['hooks', 'SessionEnd'])!;
      out = removeChild(out, groups, groups.children![h.group]!);
      groupsGone.add(h.group);
    } else {
      const list = node(['hooks', 'SessionEnd', h.group, 'hooks'])!;
      out = removeChild(out, list, list.children![h.handler]!);
    }
  }
  const groups = node(['hooks', 'SessionEnd']);
  const hooks = node(['hooks']);
  if (
    created.includes('SessionEnd') &&
    hooks &&
    groups?.type === 'array' &&
    (groups.children ?? []).length === 0
  )
    out = removeChild(out, hooks, propertyOf(hooks, 'SessionEnd')!);
  const root = parseSettings(file, out)!;
  const emptied = findNodeAtLocation(root, ['hooks']);
  if (created.includes('hooks') && emptied?.type === 'object' && (emptied.children ?? []).length === 0)
    out = removeChild(out, root, propertyOf(root, 'hooks')!);
  return out;
}

/**
 * Removes every agentlogs `SessionEnd` handler, and the `hooks` / `SessionEnd` containers the install
 * created when nothing else is left in them. Returns the new text and how many handlers went.
 */
export function removeSessionEndHook(
  file: string,
  text: string,
  created: readonly string[],
): { text: string; removed: number } {
  const installed = findInstalledHooks(file, text);
  if (installed.length === 0) return { text, removed: 0 };
  return { text: removeHandlers(file, text, installed, created), removed: installed.length };
}
