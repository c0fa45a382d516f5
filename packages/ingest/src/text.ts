/**
 * `\u0000`, or a `\uD800`–`\uDFFF` escape, possibly the high half of an escaped pair; an escaped backslash is matched
 * as a whole so that the `u` after it (plain text, as in `\\u0000`) is never taken for an escape.
 */
const ESCAPES =
  /\\(?:\\|u(?:0000|[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|[dD][c-fC-F][0-9a-fA-F]{2}))/g;
const SUSPECT = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * Makes one transcript line safe to store before it is parsed: a `\u0000` escape (NUL) and an escaped lone
 * surrogate become `\ufffd` (U+FFFD, the replacement character); escaped surrogate pairs stay. PostgreSQL stores
 * neither NUL nor lone surrogates in text (errors 22P05 and 22P02), so such a turn could never be pushed.
 *
 * The line is the UTF-8 decoder's output, which has already replaced invalid bytes (including encoded surrogates)
 * with U+FFFD, and a raw NUL or other control character makes the line invalid JSON; so escapes are the only way
 * either gets into a parsed value. Cleaning the line rather than each column covers every text the importer
 * stores (content, tool calls, ids, paths, model names, titles) and keeps what later lines and resumed imports
 * compare against (merged content, message ids) equal to what is stored.
 */
export function wellFormedLine(text: string): string {
  if (text.indexOf('\\u') === -1 || !SUSPECT.test(text)) return text;
  return text.replace(ESCAPES, (m) => (m.length === 2 || m.length === 12 ? m : '\\ufffd'));
}
