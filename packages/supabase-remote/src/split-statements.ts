/**
 * Splits a migration file into statements the way the Supabase CLI does before it runs them (its `parser`
 * package), so that `agentlogs schema apply` records the same `statements` array in
 * `supabase_migrations.schema_migrations` as `supabase db push` would.
 *
 * The rules, as that splitter applies them: a `;` ends a statement unless it is inside a quoted string or
 * identifier ('…', "…", with doubled quotes), a dollar-quoted body ($$…$$, $tag$…$tag$), a line comment
 * (-- to the end of the line), a block comment (/* … *\/, nested), parentheses, or a `BEGIN ATOMIC … END`
 * function body; a backslash outside those skips the next character. Each statement keeps its comments and
 * inner white space; the trailing `;` and the white space around it are trimmed, and empty ones dropped.
 */

type State =
  | { kind: 'ready' }
  | { kind: 'line-comment-start' }
  | { kind: 'block'; depth: number }
  | { kind: 'quote'; delimiter: string; closed: boolean }
  | { kind: 'until'; delimiter: string }
  | { kind: 'tag'; start: number }
  | { kind: 'escape' }
  | { kind: 'nested'; inner: State; closer: string };

/** What a character makes of the state; `undefined` ends the statement at that character. */
type Step = State | undefined;

const isLetterOrDigit = (c: string): boolean => /[\p{L}\p{Nd}_]/u.test(c);

/** Whether the text read so far ends with `BEGIN ATOMIC` (any case, any white space between) as whole words. */
function endsWithBeginAtomic(text: string): boolean {
  const match = /(^|[^\p{L}\p{Nd}_$])begin\s+atomic$/iu.exec(text);
  return match !== null;
}

function ready(c: string, text: string, end: number): Step {
  switch (c) {
    case '$':
      return { kind: 'tag', start: end - 1 };
    case "'":
    case '"':
      return { kind: 'quote', delimiter: c, closed: false };
    case '-':
      return { kind: 'line-comment-start' };
    case '/':
      return { kind: 'block', depth: 0 };
    case '\\':
      return { kind: 'escape' };
    case ';':
      return undefined;
    case '(':
      return { kind: 'nested', inner: { kind: 'ready' }, closer: ')' };
    case 'c':
    case 'C':
      if (endsWithBeginAtomic(text.slice(0, end))) {
        return { kind: 'nested', inner: { kind: 'ready' }, closer: 'END' };
      }
      return { kind: 'ready' };
    default:
      return { kind: 'ready' };
  }
}

/**
 * The next state after character `c`, which ends at `end` in `text` (the statement read so far starts at
 * `start`: look-behinds never reach into the previous statement).
 */
function next(state: State, c: string, text: string, start: number, end: number): Step {
  switch (state.kind) {
    case 'ready':
      return ready(c, text.slice(start), end - start);
    case 'line-comment-start':
      if (c === '-') return { kind: 'until', delimiter: '\n' };
      return ready(c, text.slice(start), end - start);
    case 'block': {
      const window = text.slice(Math.max(start, end - 2), end);
      if (window === '/*') return { kind: 'block', depth: state.depth + 1 };
      if (state.depth === 0) return ready(c, text.slice(start), end - start);
      if (window === '*/') {
        return state.depth === 1 ? { kind: 'ready' } : { kind: 'block', depth: state.depth - 1 };
      }
      return state;
    }
    case 'quote':
      if (state.closed) {
        // A doubled quote is part of the text; anything else follows the closed quote.
        if (c === state.delimiter) return { ...state, closed: false };
        return ready(c, text.slice(start), end - start);
      }
      return c === state.delimiter ? { ...state, closed: true } : state;
    case 'until':
      return text.slice(Math.max(start, end - state.delimiter.length), end) === state.delimiter
        ? { kind: 'ready' }
        : state;
    case 'tag':
      if (c === '$') return { kind: 'until', delimiter: text.slice(start + state.start, end) };
      if (isLetterOrDigit(c)) return state;
      return ready(c, text.slice(start), end - start);
    case 'escape':
      return { kind: 'ready' };
    case 'nested': {
      // Inside quotes or comments, the closer does not count; a `;` does not end the statement.
      const inner = next(state.inner, c, text, start, end) ?? state.inner;
      if (inner.kind === 'ready') {
        const window = text.slice(Math.max(start, end - state.closer.length), end);
        if (window.toLowerCase() === state.closer.toLowerCase()) return { kind: 'ready' };
      }
      return { ...state, inner };
    }
  }
}

/** The statements of a SQL file, as the Supabase CLI splits and trims them. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let state: State = { kind: 'ready' };
  let start = 0;
  let i = 0;
  const emit = (end: number) => {
    const trimmed = sql.slice(start, end).replace(/;+$/, '').trim();
    if (trimmed.length > 0) statements.push(trimmed);
    start = end;
  };
  while (i < sql.length) {
    const c = String.fromCodePoint(sql.codePointAt(i)!);
    const end = i + c.length;
    const step: Step = next(state, c, sql, start, end);
    if (step === undefined) {
      emit(end);
      state = { kind: 'ready' };
    } else state = step;
    i = end;
  }
  emit(sql.length);
  return statements;
}
