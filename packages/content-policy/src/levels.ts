import { type ContentKey, encryptField, type SealedState } from './crypto.js';
import { type Finding, redact } from './redact.js';
import type { Ruleset } from './ruleset.js';

/** What leaves the machine: metrics only, text after redaction, or everything. */
export type ContentLevel = 'metrics' | 'redacted' | 'full';
export const CONTENT_LEVELS: readonly ContentLevel[] = ['metrics', 'redacted', 'full'];

/** The state of one uploaded text field. */
export type FieldState = 'plain' | 'redacted' | 'withheld' | 'encrypted';
export const FIELD_STATES: readonly FieldState[] = ['plain', 'redacted', 'withheld', 'encrypted'];

export function isContentLevel(value: unknown): value is ContentLevel {
  return typeof value === 'string' && (CONTENT_LEVELS as readonly string[]).includes(value);
}

export function isFieldState(value: unknown): value is FieldState {
  return typeof value === 'string' && (FIELD_STATES as readonly string[]).includes(value);
}

/** One copy of a field as a machine sees it. */
export interface FieldCopy {
  state: FieldState;
  /** For `encrypted`: this machine holds the key and the envelope opens. */
  decryptable?: boolean;
  /** For a decryptable `encrypted` copy: whether the text was redacted before encryption (default plain). */
  sealedState?: SealedState;
}

/**
 * How full a copy is: plain 4, redacted 3, locked 2 (encrypted, and this machine cannot decrypt it: the whole text is
 * there but unreadable here), withheld 1. An encrypted copy this machine can decrypt counts as what it sealed.
 */
export function fieldFullness(copy: FieldCopy): number {
  switch (copy.state) {
    case 'plain':
      return 4;
    case 'redacted':
      return 3;
    case 'encrypted':
      if (!copy.decryptable) return 2;
      return copy.sealedState === 'redacted' ? 3 : 4;
    case 'withheld':
      return 1;
  }
}

/**
 * May an incoming copy of a field replace the local one? Only when it is at least as full: a redacted, withheld or
 * locked copy never overwrites a fuller local copy. Equal fullness replaces (the newer version wins as usual).
 */
export function mayReplaceField(local: FieldCopy | undefined, incoming: FieldCopy): boolean {
  if (local === undefined) return true;
  return fieldFullness(incoming) >= fieldFullness(local);
}

/** Which fields of a record are what. Fields named in neither list (ids, timestamps, token counts) pass unchanged. */
export interface RecordFieldsSpec {
  /** Free text: prompts, answers, tool input and output, titles. */
  text: readonly string[];
  /** Filesystem paths of the project: its last component survives at `metrics`. */
  projectPath?: readonly string[];
}

export interface ProjectionOptions {
  /** Rules for `redacted`; the default ruleset when left out. */
  ruleset?: Ruleset;
  /** Encrypt every text and path field that leaves as text, bound to this table and row. */
  encryption?: { key: ContentKey; table: string; id: string };
}

export interface Projection {
  /** The outgoing record: every field of the input, text fields transformed. */
  values: Record<string, unknown>;
  /** The state of each text and path field. */
  states: Record<string, FieldState>;
  /** Redaction findings per field (offsets in the field's original text); only fields with findings. */
  findings: Record<string, Finding[]>;
}

/** The last component of a path, with `/` or `\` separators (`/home/a/work/app/` → `app`). */
export function lastPathComponent(path: string): string {
  const parts = path.split(/[\\/]+/).filter((part) => part.length > 0);
  return parts.at(-1) ?? '';
}

/**
 * The outgoing values of a record at a content level. `metrics`: text fields withheld (null), project paths reduced
 * to their last component (state `redacted`, so it never replaces a full path). `redacted`: text and path fields redacted. `full`: as they are. With `encryption`, every
 * field that still carries text is encrypted on top (its state becomes `encrypted`; whether it was redacted first
 * travels inside the ciphertext). Null and undefined text stays as it is, in state `plain` (`withheld` at `metrics`);
 * a text field holding something else than a string (a tool input object) is redacted or encrypted as its JSON text.
 */
export function projectForLevel(
  level: ContentLevel,
  spec: RecordFieldsSpec,
  record: Readonly<Record<string, unknown>>,
  options: ProjectionOptions = {},
): Projection {
  const values: Record<string, unknown> = { ...record };
  const states: Record<string, FieldState> = {};
  const findings: Record<string, Finding[]> = {};
  const seal = (field: string, text: string, sealed: SealedState) => {
    const encryption = options.encryption;
    if (encryption === undefined) {
      values[field] = text;
      states[field] = sealed;
      return;
    }
    values[field] = encryptField(
      encryption.key,
      text,
      { table: encryption.table, id: encryption.id, column: field },
      sealed,
    );
    states[field] = 'encrypted';
  };
  const pathFields = new Set(spec.projectPath ?? []);
  for (const field of new Set([...spec.text, ...pathFields])) {
    if (!(field in record)) continue;
    const value = record[field];
    if (value === null || value === undefined) {
      // At `metrics` nothing of a text field is sent, so an empty one is withheld too: it must not pass for a
      // cleared field and replace another machine's text.
      states[field] = level === 'metrics' && !pathFields.has(field) ? 'withheld' : 'plain';
      continue;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (level === 'metrics') {
      if (pathFields.has(field)) {
        // Reduced, so it never replaces a machine's full path: state `redacted`.
        seal(field, lastPathComponent(text), 'redacted');
      } else {
        values[field] = null;
        states[field] = 'withheld';
      }
    } else if (level === 'redacted') {
      const result = redact(text, options.ruleset);
      if (result.findings.length > 0) findings[field] = result.findings;
      seal(field, result.text, 'redacted');
    } else if (options.encryption === undefined) {
      states[field] = 'plain';
    } else {
      seal(field, text, 'plain');
    }
  }
  return { values, states, findings };
}
