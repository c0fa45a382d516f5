import { oneLine } from './printable.js';

/** How a column's cells line up: text to the left, numbers to the right. */
export type Align = 'left' | 'right';

export interface TableOptions {
  /** Column titles, followed by a rule of dashes under each. */
  header?: readonly string[];
  /** Per column; `left` when not given. */
  align?: readonly Align[];
  /** Put before every line (e.g. two spaces for a list inside help text). */
  indent?: string;
  /** Between columns; two spaces when not given. */
  gap?: string;
}

/**
 * The CLI's one table renderer: lines of cells padded to each column's widest cell. The last column is
 * not padded when it is left-aligned, so no line ends in spaces. Cells hold data (titles, names, paths) that may
 * come from transcripts or the server: control characters are dropped and line breaks become spaces
 * (`oneLine`), so a cell can neither break the table nor send escape sequences to the terminal.
 */
export function renderTable(rows: readonly (readonly string[])[], options: TableOptions = {}): string[] {
  const { header, align = [], indent = '', gap = '  ' } = options;
  const all = (header ? [header, ...rows] : rows).map((r) => r.map(oneLine));
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(0, ...all.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    indent +
    widths
      .map((w, i) => {
        const cell = cells[i] ?? '';
        if (align[i] === 'right') return cell.padStart(w);
        return i === columns - 1 ? cell : cell.padEnd(w);
      })
      .join(gap);
  const lines = (header ? all.slice(1) : all).map(line);
  if (!header) return lines;
  return [line(all[0]!), indent + widths.map((w) => '-'.repeat(w)).join(gap), ...lines];
}
