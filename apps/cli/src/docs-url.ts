/**
 * Where the documentation is read: the repository's `docs/` folder on GitHub. An installed CLI has no docs of
 * its own, so help text and hints link here (or print the text, as `agentlogs help exit-codes` does).
 */
export const DOCS_URL = 'https://github.com/agentlogs/agentlogs/blob/main/docs';

/** The address of one page of the docs, e.g. `docsUrl('login.md')`. */
export function docsUrl(page: string): string {
  return `${DOCS_URL}/${page}`;
}
