/**
 * What leaves the machine (docs/privacy.md, docs/decisions/0084-content-level-in-the-local-adapter.md): the
 * content level applied to every record the local store hands to the push, and the projects whose records never
 * leave. The text and path columns come from the schema spec (`ColumnSpec.content`); the transformations from
 * `@agentlogs/content-policy`. The local rows are never changed: only the outgoing copy is.
 */
import {
  type ContentKey,
  type ContentLevel,
  encryptField,
  type FieldState,
  type Finding,
  fieldFullness,
  isContentPolicyError,
  isEnvelope,
  isFieldState,
  maskedExcerpt,
  mayReplaceField,
  openField,
  projectForLevel,
  type Ruleset,
  redactJsonText,
} from '@agentlogs/content-policy';
import { tableSpec } from '@agentlogs/schema';
import type { SyncedTable } from './tables.js';

export interface ContentPolicyOptions {
  /** What leaves: `metrics` (no text), `redacted` (text with secrets replaced), `full`. */
  level: ContentLevel;
  /** The redaction rules (built-in plus the user's patterns); the built-in rules when left out. */
  ruleset?: Ruleset;
  /** Globs on project paths (`*`, `**`, `?`; absolute, `~` already expanded): their sessions never leave. */
  exclude?: readonly string[];
  /**
   * End-to-end encryption (docs/privacy.md): `{ key }` when this machine holds the account's key (every text
   * and path field that leaves is encrypted; encrypted fields that arrive are decrypted); `{ locked: true }` when
   * the account encrypts and this machine lacks the key (its text does not leave: its records go at `metrics`
   * with paths withheld too, and encrypted fields that arrive stay encrypted). Absent: encryption is off.
   */
  encryption?: ContentEncryption;
}

export type ContentEncryption = { key: ContentKey } | { locked: true };

/**
 * The form records leave this machine in, as stored in `sync_state` to notice a change: the level, `+encrypted`
 * with encryption, or `locked`.
 */
export function uploadForm(level: ContentLevel, encryption: ContentEncryption | undefined): string {
  if (encryption === undefined) return level;
  return 'locked' in encryption ? 'locked' : `${level}+encrypted`;
}

/**
 * Whether records already uploaded in form `previous` must go again in form `next`: after any change, except
 * that a machine which lost its key (locked) leaves the ciphertext it uploaded before where it is.
 */
export function mustReupload(previous: string | undefined, next: string): boolean {
  if (previous === undefined || previous === next) return false;
  return !(next === 'locked' && previous.endsWith('+encrypted'));
}

/** One secret redaction would take out of an outgoing record, for `push --dry-run`. */
export interface RedactionPreview {
  table: string;
  id: string;
  column: string;
  rule: string;
  /** The text around the secret with every secret of the field masked (`maskedExcerpt`). */
  excerpt: string;
}

export interface OutgoingPayload {
  payload: Record<string, unknown>;
  /** The state of each text and path column of the table. */
  states: Record<string, FieldState>;
  findings: RedactionPreview[];
}

interface TableContent {
  text: string[];
  json: string[];
  path: string[];
}

const contentByTable = new Map<string, TableContent>();

function tableContent(table: SyncedTable): TableContent {
  let content = contentByTable.get(table);
  if (!content) {
    const columns = tableSpec(table).columns;
    content = {
      text: columns.filter((c) => c.content === 'text' && c.type !== 'json').map((c) => c.name),
      json: columns.filter((c) => c.content === 'text' && c.type === 'json').map((c) => c.name),
      path: columns.filter((c) => c.content === 'path').map((c) => c.name),
    };
    contentByTable.set(table, content);
  }
  return content;
}

/** The content columns (text, JSON text and path) of a table, as the schema spec marks them. */
export function contentColumnsOf(table: SyncedTable): string[] {
  const content = tableContent(table);
  return [...content.text, ...content.json, ...content.path];
}

/**
 * The payload of a record as it leaves at `level`. Text columns are projected by content-policy; a JSON column
 * (tool calls, file lists) is redacted string by string inside the parsed value, so a marker never breaks an
 * escape sequence and the other machine still parses it.
 */
export function outgoingPayload(
  table: SyncedTable,
  id: string,
  payload: Readonly<Record<string, unknown>>,
  requestedLevel: ContentLevel,
  ruleset?: Ruleset,
  encryption?: ContentEncryption,
): OutgoingPayload {
  const content = tableContent(table);
  const locked = encryption !== undefined && 'locked' in encryption;
  const key = encryption !== undefined && 'key' in encryption ? encryption.key : undefined;
  // A locked machine cannot encrypt: nothing of its text leaves until it unlocks.
  const level: ContentLevel = locked ? 'metrics' : requestedLevel;
  const localStates = localContentStates(payload);
  const projection = projectForLevel(level, { text: content.text, projectPath: content.path }, payload, {
    ...(ruleset ? { ruleset } : {}),
  });
  const findings: RedactionPreview[] = [];
  for (const [column, found] of Object.entries(projection.findings)) {
    if (localStates[column] === 'encrypted') continue;
    const original = payload[column];
    const text = typeof original === 'string' ? original : JSON.stringify(original);
    for (const finding of found) findings.push(preview(table, id, column, finding, text, found));
  }
  const values = projection.values;
  const states = projection.states;
  if (level === 'redacted') {
    // Text redaction left unchanged is the whole text: it is plain, and may replace an older copy elsewhere.
    for (const column of [...content.text, ...content.path]) {
      if (states[column] === 'redacted' && projection.findings[column] === undefined)
        states[column] = 'plain';
    }
  }
  for (const column of content.json) {
    if (!(column in payload)) continue;
    const value = payload[column];
    if (level === 'metrics') {
      values[column] = null;
      states[column] = 'withheld';
    } else if (value === null || value === undefined || level === 'full') {
      states[column] = 'plain';
    } else {
      let changed = false;
      values[column] = redactJsonText(String(value), ruleset, (text, found) => {
        changed = true;
        for (const finding of found) findings.push(preview(table, id, column, finding, text, found));
      });
      states[column] = changed ? 'redacted' : 'plain';
    }
  }
  // A field this machine holds only partly (pulled redacted or withheld) never leaves as fuller than it is.
  for (const [column, local] of Object.entries(localStates)) {
    const outgoing = states[column] ?? 'plain';
    if (fieldFullness({ state: local }) < fieldFullness({ state: outgoing })) states[column] = local;
  }
  if (locked) {
    for (const column of content.path) {
      if (!(column in payload) || payload[column] === null || payload[column] === undefined) continue;
      values[column] = null;
      states[column] = 'withheld';
    }
  }
  for (const [column, local] of Object.entries(localStates)) {
    // A field held here encrypted (this machine could not open it) leaves exactly as it arrived.
    if (local !== 'encrypted' || !(column in payload)) continue;
    values[column] = payload[column];
    states[column] = 'encrypted';
  }
  if (key !== undefined) {
    for (const column of [...content.text, ...content.json, ...content.path]) {
      const state = states[column];
      const value = values[column];
      if ((state !== 'plain' && state !== 'redacted') || value === null || value === undefined) continue;
      values[column] = encryptField(
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
        { table, id, column },
        state,
      );
      states[column] = 'encrypted';
    }
  }
  if ('content_state' in payload) values.content_state = encodeContentState(states);
  return { payload: values, states, findings };
}

/**
 * An incoming payload with the encrypted fields this key opens decrypted, and its `content_state` saying what
 * they hold now (plain, or redacted when redacted before encryption). A field the key does not open (encrypted
 * under another passphrase, or altered) stays encrypted: locked on this machine. Without a key, unchanged.
 */
export function openIncomingPayload(
  table: SyncedTable,
  id: string,
  payload: Readonly<Record<string, unknown>>,
  key: ContentKey | undefined,
): { payload: Record<string, unknown>; opened: number; locked: number; changed: boolean } {
  const states = parseContentState(payload.content_state);
  const out: Record<string, unknown> = { ...payload };
  let opened = 0;
  let locked = 0;
  let corrected = false;
  for (const [column, state] of Object.entries(states)) {
    if (state !== 'encrypted') continue;
    const value = payload[column];
    if (!isEnvelope(value)) {
      // Written again here since it arrived (see `localContentStates`): whole text, not a locked copy.
      if (column in payload) {
        delete states[column];
        corrected = true;
      }
      continue;
    }
    if (key === undefined) {
      locked += 1;
      continue;
    }
    try {
      const field = openField(key, value, { table, id, column });
      out[column] = field.text;
      if (field.state === 'plain') delete states[column];
      else states[column] = 'redacted';
      opened += 1;
    } catch (error) {
      if (!isContentPolicyError(error)) throw error;
      locked += 1;
    }
  }
  if (opened > 0 || corrected) out[CONTENT_STATE_COLUMN] = encodeContentState(states);
  return { payload: out, opened, locked, changed: opened > 0 || corrected };
}

/**
 * The states of a local row's content columns, corrected by what the columns hold: a field marked `encrypted` that
 * holds no envelope, or marked `withheld` that holds text, was written again on this machine since (a transcript
 * imported after its rows were pulled): it is whole, so plain. Never trusting the mark alone keeps plain text from
 * leaving labelled as ciphertext, and keeps a pulled copy from replacing text this machine recorded itself.
 */
export function localContentStates(row: Readonly<Record<string, unknown>>): Record<string, FieldState> {
  const states = parseContentState(row[CONTENT_STATE_COLUMN]);
  for (const [column, state] of Object.entries(states)) {
    if (!(column in row)) continue;
    const value = row[column];
    if (state === 'encrypted' && !isEnvelope(value)) delete states[column];
    else if (state === 'withheld' && value !== null && value !== undefined) delete states[column];
  }
  return states;
}

/** The column of a payload that carries the states of its content columns. */
export const CONTENT_STATE_COLUMN = 'content_state';

/** The states a `content_state` value names (plain columns are left out); an unreadable value names none. */
export function parseContentState(value: unknown): Record<string, FieldState> {
  if (typeof value !== 'string' || value === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const states: Record<string, FieldState> = {};
  for (const [column, state] of Object.entries(parsed)) {
    if (isFieldState(state) && state !== 'plain') states[column] = state;
  }
  return states;
}

/** The `content_state` value of a record: the columns that are not plain, sorted; null when all are plain. */
export function encodeContentState(states: Readonly<Record<string, FieldState>>): string | null {
  const columns: string[] = [];
  for (const column in states) if (states[column] !== 'plain') columns.push(column);
  if (columns.length === 0) return null;
  if (columns.length > 1) columns.sort();
  // JSON.stringify of the object with these keys in this order (column names are never integer-like).
  let json = '{';
  for (const [index, column] of columns.entries()) {
    json += `${index === 0 ? '' : ','}${JSON.stringify(column)}:${JSON.stringify(states[column])}`;
  }
  return `${json}}`;
}

/**
 * The content columns an incoming copy may not overwrite (its copy is less full than the local one), and the
 * `content_state` the row takes after the merge.
 */
export function mergeIncoming(
  table: SyncedTable,
  localRow: Readonly<Record<string, unknown>>,
  incomingState: unknown,
): { keepLocal: string[]; contentState: string | null } {
  const local = localContentStates(localRow);
  const incoming = parseContentState(incomingState);
  const keepLocal: string[] = [];
  const merged: Record<string, FieldState> = {};
  for (const column of contentColumnsOf(table)) {
    const mine = local[column] ?? 'plain';
    const theirs = incoming[column] ?? 'plain';
    if (mayReplaceField({ state: mine }, { state: theirs })) {
      merged[column] = theirs;
    } else {
      keepLocal.push(column);
      merged[column] = mine;
    }
  }
  return { keepLocal, contentState: encodeContentState(merged) };
}

function preview(
  table: string,
  id: string,
  column: string,
  finding: Finding,
  text: string,
  all: Finding[],
): RedactionPreview {
  return { table, id, column, rule: finding.rule, excerpt: maskedExcerpt(finding, text, { findings: all }) };
}

/**
 * The test of `sync.exclude`: a project path is excluded when it, or a directory above it, matches one of the
 * globs. `*` and `?` stay within one path component, `**` spans any number of them.
 */
export class ProjectExclusion {
  private readonly patterns: RegExp[];

  constructor(globs: readonly string[]) {
    this.patterns = globs.map(globToRegExp);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  matches(projectPath: string | null | undefined): boolean {
    if (!projectPath || this.patterns.length === 0) return false;
    let current = projectPath.replace(/[\\/]+$/, '');
    for (;;) {
      if (this.patterns.some((pattern) => pattern.test(current))) return true;
      const cut = Math.max(current.lastIndexOf('/'), current.lastIndexOf('\\'));
      if (cut <= 0) return false;
      current = current.slice(0, cut);
    }
  }
}

export function globToRegExp(glob: string): RegExp {
  const trimmed = glob.length > 1 ? glob.replace(/[\\/]+$/, '') : glob;
  let source = '';
  for (let i = 0; i < trimmed.length; i += 1) {
    const char = trimmed[i]!;
    if (char === '*') {
      if (trimmed[i + 1] === '*') {
        i += 1;
        // `**/` also matches no directory at all.
        if (trimmed[i + 1] === '/') {
          i += 1;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/\\\\]*';
      }
    } else if (char === '?') {
      source += '[^/\\\\]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
