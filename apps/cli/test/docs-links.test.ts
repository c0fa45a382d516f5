import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Folders never searched for Markdown: installed packages, build output, test fixtures, git. */
const SKIP = new Set(['node_modules', 'dist', 'fixtures', '.git', '.turbo', 'coverage']);

function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...markdownFiles(full));
    else if (entry.name.endsWith('.md')) found.push(full);
  }
  return found;
}

/** Text files that may name a page of the docs: sources, scripts, SQL, configuration and Markdown. */
function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name === '.cache' || entry.name === 'results') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(full));
    else if (/\.(ts|mts|js|mjs|cjs|sql|md|json|ya?ml|toml|sh)$/.test(entry.name)) found.push(full);
  }
  return found;
}

/** Markdown without its fenced and inline code, where a `[x](y)` is not a link. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The targets of `[text](target)` and `[label]: target` links. */
function links(text: string): string[] {
  const body = prose(text);
  const inline = [...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const reference = [...body.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...reference];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const m of text
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) result.add(m[1]!);
  return result;
}

const files = markdownFiles(root);

describe('links in the Markdown of the repository', () => {
  it('finds the docs and the READMEs', () => {
    const relative = files.map((f) => path.relative(root, f).split(path.sep).join('/'));
    expect(relative).toContain('README.md');
    expect(relative).toContain('docs/cli.md');
    expect(relative).toContain('docs/decisions/README.md');
    expect(relative).toContain('bench/README.md');
  });

  it('every relative link names a file that exists, and every #anchor a heading in it', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const target of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
        const [pathPart = '', anchor] = target.split('#', 2);
        const resolved =
          pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
        const where = `${path.relative(root, file)}: ${target}`;
        if (!resolved.startsWith(root) || !existsSync(resolved)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
          if (!anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor).toLowerCase()))
            broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every docs/….md named in code, comments or prose exists', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(root)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w/.-])docs\/[\w./-]+?\.md\b/g)) {
        if (!existsSync(path.join(root, m[0]))) missing.push(`${path.relative(root, file)}: ${m[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the decisions index lists every decision, each with its summary', () => {
    const dir = path.join(root, 'docs', 'decisions');
    const index = readFileSync(path.join(dir, 'README.md'), 'utf8');
    const decisions = readdirSync(dir).filter((f) => /^\d{4}-.*\.md$/.test(f));
    expect(decisions.length).toBeGreaterThan(0);
    for (const file of decisions)
      expect(index).toMatch(new RegExp(`\\]\\(${file.replace('.', '\\.')}\\) *\\| *\\S`));
  });
});
