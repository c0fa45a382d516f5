import { InvalidPatternError } from './errors.js';
import { BUILTIN_RULES } from './rules/builtin.js';
import { GITLEAKS_GLOBAL_ALLOW, GITLEAKS_RULES } from './rules/gitleaks.js';

/** A list of exceptions: a candidate matching one of the regexes, or holding one of the stopwords, is no finding. */
export interface AllowList {
  /** What the regexes test: the secret (default), the whole match, or the line holding the secret. */
  target?: 'secret' | 'match' | 'line';
  regexes?: readonly string[];
  flags?: string;
  /** Lowercase substrings; a secret containing one is not a finding. */
  stopwords?: readonly string[];
}

/** One detection rule, as data. */
export interface SecretRule {
  /** Shown in the replacement: `[REDACTED:<id>]`. */
  id: string;
  /** JavaScript regular expression source. */
  regex: string;
  /** Extra flags (`i`, `m`); the engine adds its own (`g`, `y`, `d`). */
  flags?: string;
  /** Lowercase substrings; the regex runs only when the lowercased text holds one. Empty: always runs. */
  keywords: readonly string[];
  /**
   * Literal strings of which every match of the regex holds at least one (a `=` the regex cannot match without, in
   * the text's own case): the regex runs only when the text holds one. Unset: no such test.
   */
  requires?: readonly string[];
  /** Shannon entropy (bits per character) the secret must exceed, as gitleaks' `entropy`. */
  entropy?: number;
  /** The capture group holding the secret; unset: the first non-empty group, or the whole match without groups. */
  secretGroup?: number;
  allow?: readonly AllowList[];
}

export interface RulesetOptions {
  /** User patterns (`sync.redact.patterns`): regex strings; a leading `(?i)` makes one case-insensitive. */
  patterns?: readonly string[];
  /** The detection rules; defaults to {@link DEFAULT_RULES}. */
  rules?: readonly SecretRule[];
}

interface CompiledAllow {
  target: 'secret' | 'match' | 'line';
  regexes: RegExp[];
  stopwords: readonly string[];
}

interface CompiledRule {
  id: string;
  /** Finds matches (`g`, no `d`: computing group offsets for every attempt halves V8's speed). */
  regex: RegExp;
  /** The same regex, sticky with offsets (`y`, `d`): re-run at a match's position for its group offsets. */
  locate: RegExp;
  keywords: readonly string[];
  requires: readonly string[];
  entropy: number;
  secretGroup: number;
  allow: CompiledAllow[];
  /** Gitleaks' global allowlist applies (not to user patterns). */
  globalAllow: boolean;
  generic: boolean;
  /** Characters of `[\w.-]` before the match that belong to it for `match` allowlists (see compileRule). */
  leadingContext: number;
}

/** Rules compiled once; pass the same ruleset to every {@link redact} call. */
export interface Ruleset {
  readonly ruleIds: readonly string[];
  /** @internal */
  readonly compiled: readonly CompiledRule[];
  /** @internal */
  readonly keywords: KeywordScanner;
}

/**
 * Finds which rules a lowercased text holds a keyword of, in one pass instead of an `includes` per keyword (which
 * read the text a hundred times over). A table of the keywords' first two characters (each taken modulo 128, so a
 * non-ASCII character costs no branch) rejects almost every position with one array read; the keywords starting
 * with that pair are compared only where it occurs, and each keyword found marks its rules at once. A keyword
 * shorter than two characters (none of the default rules) is looked up with `includes`; a rule without keywords is
 * always marked.
 */
class KeywordScanner {
  /** Indexed by ((first & 127) << 7 | (second & 127)): the ids of the keywords starting with such a pair. */
  private readonly byPair: (number[] | undefined)[] = new Array(128 * 128);
  private readonly pairs = new Uint8Array(128 * 128);
  /** The keywords by id, and for each the indices of the rules it enables. */
  private readonly keywords: string[] = [];
  private readonly rulesOf: number[][] = [];
  /** Ids of the keywords shorter than two characters. */
  private readonly short: number[] = [];
  /** The indices of the rules without keywords: they run on every text. */
  private readonly always: number[] = [];
  /** Per scan: the keywords found so far. */
  private readonly found: Uint8Array;
  /** Every character any keyword holds. */
  readonly keywordChars: ReadonlySet<string>;

  constructor(rules: readonly { keywords: readonly string[] }[]) {
    const chars = new Set<string>();
    const ids = new Map<string, number>();
    rules.forEach((rule, index) => {
      if (rule.keywords.length === 0) this.always.push(index);
      for (const keyword of rule.keywords) {
        for (const char of keyword) chars.add(char);
        let id = ids.get(keyword);
        if (id === undefined) {
          id = this.keywords.length;
          ids.set(keyword, id);
          this.keywords.push(keyword);
          this.rulesOf.push([]);
        }
        if (!this.rulesOf[id]!.includes(index)) this.rulesOf[id]!.push(index);
      }
    });
    this.keywordChars = chars;
    this.found = new Uint8Array(this.keywords.length);
    this.keywords.forEach((keyword, id) => {
      if (keyword.length < 2) {
        this.short.push(id);
        return;
      }
      const pair = ((keyword.charCodeAt(0) & 127) << 7) | (keyword.charCodeAt(1) & 127);
      this.pairs[pair] = 1;
      const list = this.byPair[pair];
      if (list === undefined) this.byPair[pair] = [id];
      else list.push(id);
    });
  }

  /** Whether some rule runs on every text (a user pattern): no text can be passed over. */
  get hasAlwaysRules(): boolean {
    return this.always.length > 0;
  }

  /**
   * The rules to run on a text, given lowercased: `marks[i]` is 1 when rule `i` has no keywords or the text holds
   * one of its keywords. Returns the number of rules marked.
   */
  mark(lower: string, marks: Uint8Array): number {
    marks.fill(0);
    const found = this.found;
    found.fill(0);
    let count = 0;
    for (const rule of this.always) {
      marks[rule] = 1;
      count += 1;
    }
    for (const id of this.short) {
      if (lower.includes(this.keywords[id]!)) count += this.enable(id, marks);
    }
    const pairs = this.pairs;
    const end = lower.length;
    if (end < 2) return count;
    let previous = lower.charCodeAt(0) & 127;
    for (let at = 1; at < end; at += 1) {
      const current = lower.charCodeAt(at) & 127;
      const pair = (previous << 7) | current;
      previous = current;
      if (pairs[pair] === 0) continue;
      for (const id of this.byPair[pair]!) {
        if (found[id] === 0 && lower.startsWith(this.keywords[id]!, at - 1)) count += this.enable(id, marks);
      }
    }
    return count;
  }

  /** Marks the rules of a keyword found; returns how many were not marked before. */
  private enable(id: number, marks: Uint8Array): number {
    this.found[id] = 1;
    let added = 0;
    for (const rule of this.rulesOf[id]!) {
      if (marks[rule] === 0) {
        marks[rule] = 1;
        added += 1;
      }
    }
    return added;
  }
}

/** gitleaks' rules first (specific before generic matters only for naming), then this project's rules. */
export const DEFAULT_RULES: readonly SecretRule[] = [...GITLEAKS_RULES, ...BUILTIN_RULES];

const GLOBAL_ALLOW: readonly RegExp[] = GITLEAKS_GLOBAL_ALLOW.map(
  (entry) => new RegExp(entry.regex, entry.flags),
);

/**
 * gitleaks' keyword-assignment rules start with a lazy `[\w.-]{0,50}?` that only widens the match to the left (the
 * secret is a group after the keyword). A backtracking engine retries it at every position of the text, which makes
 * such a rule ten times slower than the rest together; it is taken off the regex and the match is widened to the left
 * by up to 50 such characters afterwards, for the allowlists that test the whole match.
 */
const LEADING_CONTEXT = '[\\w.-]{0,50}?';

function compileRule(rule: SecretRule, globalAllow: boolean): CompiledRule {
  const extra = (rule.flags ?? '').replace(/[gdy]/g, '');
  const leading = rule.regex.startsWith(LEADING_CONTEXT);
  const source = leading ? rule.regex.slice(LEADING_CONTEXT.length) : rule.regex;
  return {
    id: rule.id,
    regex: new RegExp(source, `g${extra}`),
    locate: new RegExp(source, `yd${extra}`),
    leadingContext: leading ? 50 : 0,
    keywords: rule.keywords.map((keyword) => keyword.toLowerCase()),
    requires: rule.requires ?? [],
    entropy: rule.entropy ?? 0,
    secretGroup: rule.secretGroup ?? 0,
    allow: (rule.allow ?? []).map((entry) => ({
      target: entry.target ?? 'secret',
      regexes: (entry.regexes ?? []).map((source) => new RegExp(source, entry.flags ?? '')),
      stopwords: entry.stopwords ?? [],
    })),
    globalAllow,
    generic: rule.id.includes('generic'),
  };
}

function syntaxReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8: "Invalid regular expression: /<source>/<flags>: <reason>" — keep the reason only.
  const at = message.lastIndexOf(': ');
  return at >= 0 ? message.slice(at + 2) : 'invalid syntax';
}

/**
 * A rule object is compiled once, whatever the number of rulesets holding it (a ruleset per profile, or per change of
 * the user patterns, reuses the compiled default rules). Sharing the RegExp objects is safe: a scan is synchronous
 * and sets `lastIndex` before each use.
 */
const compiledRules = new WeakMap<SecretRule, CompiledRule>();

function compiledOnce(rule: SecretRule): CompiledRule {
  let compiled = compiledRules.get(rule);
  if (compiled === undefined) {
    compiled = compileRule(rule, true);
    compiledRules.set(rule, compiled);
  }
  return compiled;
}

/** Validates and compiles user patterns; a bad one is an {@link InvalidPatternError} naming its index only. */
export function compileUserPatterns(patterns: readonly unknown[]): SecretRule[] {
  return patterns.map((pattern, index) => {
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new InvalidPatternError(index, 'is not a non-empty string');
    }
    let source = pattern;
    let flags = '';
    if (source.startsWith('(?i)')) {
      source = source.slice(4);
      flags = 'i';
    }
    let regex: RegExp;
    try {
      regex = new RegExp(source, flags);
    } catch (error) {
      throw new InvalidPatternError(index, `is not a valid regular expression (${syntaxReason(error)})`);
    }
    if (regex.test('')) throw new InvalidPatternError(index, 'matches the empty string');
    return { id: `user-pattern-${index}`, regex: source, flags, keywords: [] };
  });
}

/** Compiles the rules (default: gitleaks' port plus this project's rules) and the user patterns. */
export function compileRuleset(options: RulesetOptions = {}): Ruleset {
  const compiled = [
    ...(options.rules ?? DEFAULT_RULES).map(compiledOnce),
    ...compileUserPatterns(options.patterns ?? []).map((rule) => compileRule(rule, false)),
  ];
  return {
    ruleIds: compiled.map((rule) => rule.id),
    compiled,
    keywords: new KeywordScanner(compiled),
  };
}

let defaultRuleset: Ruleset | undefined;

/** The default rules without user patterns, compiled on first use. */
export function getDefaultRuleset(): Ruleset {
  defaultRuleset ??= compileRuleset();
  return defaultRuleset;
}

/** Shannon entropy in bits per character, as gitleaks computes it. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let length = 0;
  for (const count of counts.values()) length += count;
  let entropy = 0;
  for (const count of counts.values()) {
    const frequency = count / length;
    entropy -= frequency * Math.log2(frequency);
  }
  return entropy;
}

export interface RuleMatch {
  rule: string;
  start: number;
  end: number;
  generic: boolean;
}

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const to = text.indexOf('\n', end);
  return text.slice(from, to < 0 ? text.length : to);
}

const WORD_CHAR = /[\w.-]/;

function wholeMatch(rule: CompiledRule, text: string, match: RegExpExecArray): string {
  let from = match.index;
  const limit = Math.max(0, from - rule.leadingContext);
  while (from > limit && WORD_CHAR.test(text[from - 1]!)) from -= 1;
  return text.slice(from, match.index + match[0].length);
}

/** A value already redacted (`NAME=[REDACTED:rule]`): redacting a text twice finds nothing new. */
const MARKER = /^\[REDACTED:[\w.-]+\]$/;

function isAllowed(rule: CompiledRule, text: string, match: RegExpExecArray, start: number, end: number) {
  const secret = text.slice(start, end);
  if (MARKER.test(secret)) return true;
  if (rule.globalAllow && GLOBAL_ALLOW.some((regex) => regex.test(secret))) return true;
  if (rule.allow.length === 0) return false;
  const lowerSecret = secret.toLowerCase();
  for (const entry of rule.allow) {
    if (entry.stopwords.some((word) => lowerSecret.includes(word))) return true;
    if (entry.regexes.length === 0) continue;
    const target =
      entry.target === 'secret'
        ? secret
        : entry.target === 'match'
          ? wholeMatch(rule, text, match)
          : lineAround(text, start, end);
    if (entry.regexes.some((regex) => regex.test(target))) return true;
  }
  return false;
}

/** One buffer of rule marks, reused by every scan (a scan is synchronous; rulesets of up to its size share it). */
let sharedMarks = new Uint8Array(128);

function marksFor(rules: number): Uint8Array {
  if (sharedMarks.length < rules) sharedMarks = new Uint8Array(rules * 2);
  return sharedMarks;
}

/**
 * Whether no rule can find anything in any string a JSON text holds, decided from the JSON text itself: no rule
 * runs on every text, the text holds no keyword of any rule, and none of its escape sequences could hide one. Each
 * character of a string stands for itself in the JSON text except the escaped ones; `\uXXXX` may stand for any
 * character, the others for `"`, `\\`, `/` or a control character. So when the escapes present stand for no
 * character a keyword holds, a keyword found in a string's text is found in the JSON text too.
 */
export function jsonTextIsClean(json: string, ruleset: Ruleset): boolean {
  const scanner = ruleset.keywords;
  if (scanner.hasAlwaysRules) return false;
  for (let at = json.indexOf('\\'); at >= 0; at = json.indexOf('\\', at + 2)) {
    const escaped = json[at + 1];
    if (escaped === undefined || escaped === 'u') return false;
    const stands =
      escaped === 'n'
        ? '\n'
        : escaped === 'r'
          ? '\r'
          : escaped === 't'
            ? '\t'
            : escaped === 'b'
              ? '\b'
              : escaped === 'f'
                ? '\f'
                : escaped;
    if (scanner.keywordChars.has(stands)) return false;
  }
  return scanner.mark(json.toLowerCase(), marksFor(ruleset.compiled.length)) === 0;
}

/** Every candidate of every rule whose keywords the text holds, before overlaps are merged. */
export function scan(text: string, ruleset: Ruleset): RuleMatch[] {
  const matches: RuleMatch[] = [];
  if (text.length === 0) return matches;
  const compiled = ruleset.compiled;
  const marks = marksFor(compiled.length);
  if (ruleset.keywords.mark(text.toLowerCase(), marks) === 0) return matches;
  for (let index = 0; index < compiled.length; index += 1) {
    if (marks[index] === 0) continue;
    const rule = compiled[index]!;
    if (rule.requires.length > 0 && !rule.requires.some((literal) => text.includes(literal))) continue;
    const regex = rule.regex;
    regex.lastIndex = 0;
    for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
      if (match[0].length === 0) {
        regex.lastIndex += 1;
        continue;
      }
      // Same position, same engine, same text: the sticky run finds the same match, with its group offsets.
      rule.locate.lastIndex = match.index;
      const indices = rule.locate.exec(text)?.indices;
      if (indices === undefined) continue;
      let span: [number, number] | undefined;
      if (rule.secretGroup > 0) {
        span = indices[rule.secretGroup];
      } else if (match.length > 1) {
        for (let group = 1; group < match.length; group += 1) {
          if (match[group]) {
            span = indices[group];
            break;
          }
        }
      } else {
        span = indices[0];
      }
      if (span === undefined || span[1] <= span[0]) continue;
      const [start, end] = span;
      if (rule.entropy > 0 && shannonEntropy(text.slice(start, end)) <= rule.entropy) continue;
      if (isAllowed(rule, text, match, start, end)) continue;
      matches.push({ rule: rule.id, start, end, generic: rule.generic });
    }
  }
  return matches;
}
