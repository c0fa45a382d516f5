/**
 * Text that came from transcripts or from the server (titles, names, project paths, error descriptions) made
 * safe for a terminal: C0 controls (except tab and newline), DEL and C1 controls are dropped, so an ANSI escape
 * sequence cannot recolour, move the cursor, retitle the window or hide what follows. What an escape sequence
 * leaves behind (`[31m`) stays visible, which shows that something was removed.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS_AND_BREAKS = /[\u0000-\u001f\u007f-\u009f]/g;

/** For multi-line output: keeps tab and newline, drops every other control character. */
export function printable(text: string): string {
  return text.replace(CONTROLS, '');
}

/** For one line (a table cell, a field after its label): tabs and line breaks become spaces, other controls go. */
export function oneLine(text: string): string {
  return text.replace(CONTROLS_AND_BREAKS, (c) => (c === '\t' || c === '\n' || c === '\r' ? ' ' : ''));
}
