import { getDefaultRuleset, jsonTextIsClean, type RuleMatch, type Ruleset, scan } from './ruleset.js';

/** A secret found in a text: the rule that found it and its span in the original text (UTF-16 offsets). */
export interface Finding {
  rule: string;
  start: number;
  end: number;
}

export interface RedactionResult {
  /** The text with each secret replaced by `[REDACTED:<rule>]`. */
  text: string;
  /** Spans in the original text, sorted, never overlapping. */
  findings: Finding[];
}

export function redactionMarker(rule: string): string {
  return `[REDACTED:${rule}]`;
}

/**
 * Overlapping or touching candidates become one span (nothing of a secret is left between two markers). The span
 * keeps the name of its first rule, unless that one is generic and another rule names the secret.
 */
function mergeMatches(matches: RuleMatch[]): Finding[] {
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const findings: Finding[] = [];
  let current: (Finding & { generic: boolean }) | undefined;
  for (const match of matches) {
    if (current !== undefined && match.start <= current.end) {
      if (match.end > current.end) current.end = match.end;
      if (current.generic && !match.generic) {
        current.rule = match.rule;
        current.generic = false;
      }
      continue;
    }
    if (current !== undefined) findings.push({ rule: current.rule, start: current.start, end: current.end });
    current = { ...match };
  }
  if (current !== undefined) findings.push({ rule: current.rule, start: current.start, end: current.end });
  return findings;
}

/**
 * Finds the secrets of a text and replaces each with `[REDACTED:<rule>]`. Run it once per text field; compile the
 * ruleset once ({@link compileRuleset}) and pass it to every call.
 */
export function redact(text: string, ruleset: Ruleset = getDefaultRuleset()): RedactionResult {
  const findings = mergeMatches(scan(text, ruleset));
  if (findings.length === 0) return { text, findings };
  const parts: string[] = [];
  let at = 0;
  for (const finding of findings) {
    parts.push(text.slice(at, finding.start), redactionMarker(finding.rule));
    at = finding.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), findings };
}

/**
 * Redacts every string inside a JSON text (tool calls, file lists), so a marker never breaks an escape sequence and
 * the text still parses; `report` hears each string that had findings. Text that is not JSON is redacted as a whole.
 * A JSON text in which no rule could find anything (see `jsonTextIsClean`) is returned as it is, unparsed.
 */
export function redactJsonText(
  json: string,
  ruleset: Ruleset = getDefaultRuleset(),
  report?: (text: string, findings: Finding[]) => void,
): string {
  if (jsonTextIsClean(json, ruleset)) return json;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    const result = redact(json, ruleset);
    if (result.findings.length > 0) report?.(json, result.findings);
    return result.text;
  }
  let changed = false;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const result = redact(value, ruleset);
      if (result.findings.length === 0) return value;
      changed = true;
      report?.(value, result.findings);
      return result.text;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[key] = walk(inner);
      return out;
    }
    return value;
  };
  const redacted = walk(parsed);
  return changed ? JSON.stringify(redacted) : json;
}

export interface ExcerptOptions {
  /** Characters of context on each side (default 24). */
  context?: number;
  /** All findings of the text: any of them reaching into the context is masked too. */
  findings?: readonly Finding[];
}

function flatten(value: string): string {
  return value.replace(/\r?\n/g, '⏎').replace(/\t/g, ' ');
}

/**
 * A short excerpt around a finding for a report (`…DATABASE_URL=postgres://app:[REDACTED:…]@db…`): a little context,
 * the secret masked, line breaks shown as ⏎. Pass all findings of the text so a neighbouring secret is masked too.
 */
export function maskedExcerpt(finding: Finding, text: string, options: ExcerptOptions = {}): string {
  const context = options.context ?? 24;
  const from = Math.max(0, finding.start - context);
  const to = Math.min(text.length, finding.end + context);
  const masks = [...(options.findings ?? []), finding]
    .filter((other) => other.end > from && other.start < to)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [from > 0 ? '…' : ''];
  let at = from;
  for (const mask of masks) {
    if (mask.end <= at) continue;
    if (mask.start > at) parts.push(flatten(text.slice(at, mask.start)));
    parts.push(redactionMarker(mask.rule));
    at = mask.end;
  }
  if (at < to) parts.push(flatten(text.slice(at, to)));
  if (to < text.length) parts.push('…');
  return parts.join('');
}
