/**
 * Where the documentation is read: the repository on GitHub, the one base of every address the CLI prints.
 * An installed CLI has no `docs/` of its own, so help text and hints link here (or print the text, as
 * `agentlogs help exit-codes` does).
 */
export const REPOSITORY_URL = 'https://github.com/agentlogs/agentlogs/blob/main';

/** The address of one page of `docs/`, e.g. `docsUrl('login.md')`. */
export function docsUrl(page: string): string {
  return `${REPOSITORY_URL}/docs/${page}`;
}

/** The address of any other file of the repository, e.g. `repositoryUrl('supabase/README.md')`. */
export function repositoryUrl(file: string): string {
  return `${REPOSITORY_URL}/${file}`;
}
