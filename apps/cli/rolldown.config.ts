import { chmodSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineConfig, type Plugin } from 'rolldown';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Packages that stay on disk next to the bundle, imported by name at run time:
 * - better-sqlite3 loads its native addon (a `.node` file found relative to its own package);
 * - open runs the `xdg-open` script it ships next to its code.
 * Each is a `dependencies` entry of this package.
 */
const external = ['better-sqlite3', 'open'];

/**
 * The workspace packages are bundled from their built `dist` (what `tsc` emitted, as every other consumer
 * loads them). Their `.js.map` files are handed to the bundler with the code, so the bundle's source maps
 * point at the TypeScript sources under packages/.
 */
function workspaceSourceMaps(): Plugin {
  const packages = path.resolve(here, '..', '..', 'packages') + path.sep;
  return {
    name: 'workspace-source-maps',
    load: {
      filter: { id: /\.js$/ },
      handler(id) {
        if (!id.startsWith(packages) || id.includes(`${path.sep}node_modules${path.sep}`)) return null;
        const code = readFileSync(id, 'utf8');
        let map: string | undefined;
        try {
          map = readFileSync(`${id}.map`, 'utf8');
        } catch {
          map = undefined;
        }
        return { code: code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'), map };
      },
    },
  };
}

const repoRoot = path.resolve(here, '..', '..');

/**
 * Where a file of the repository that the bundle reads at run time lands in `dist/`. The user docs and the
 * Supabase schema keep their repository path (`docs/login.md`, `supabase/README.md`), so a person looking
 * inside the installed package finds them by the names the docs use; a package's data file (the price
 * table) goes to `assets/` with a content hash.
 */
function shippedFileName(file: string): { fileName: string } | { name: string } {
  const relative = path.relative(repoRoot, file).split(path.sep).join('/');
  if (/^(docs|supabase)\//.test(relative)) return { fileName: relative };
  return { name: path.basename(file) };
}

/**
 * A bundled module that reads a file next to its own code (`new URL('../data/prices.json', import.meta.url)`
 * in ingest's price table, `new URL('../../../docs/login.md', import.meta.url)` for `agentlogs help login`)
 * would look for it next to the bundle instead. Each such file is copied into `dist/` (see
 * shippedFileName) and the URL is rewritten to point there, so it is found whichever chunk the code lands in.
 */
function moduleRelativeFiles(): Plugin {
  const pattern = /new URL\((['"])(\.\.?\/[^'"]+)\1,\s*import\.meta\.url\)/g;
  return {
    name: 'module-relative-files',
    transform: {
      filter: { code: 'import.meta.url' },
      handler(code, id) {
        if (id.includes(`${path.sep}node_modules${path.sep}`)) return null;
        let changed = false;
        const out = code.replace(pattern, (_match, _quote: string, relative: string) => {
          const file = fileURLToPath(new URL(relative, pathToFileURL(id)));
          this.addWatchFile(file);
          const ref = this.emitFile({ type: 'asset', ...shippedFileName(file), source: readFileSync(file) });
          changed = true;
          return `new URL(import.meta.ROLLUP_FILE_URL_${ref})`;
        });
        // Same lines, so the incoming source map still holds.
        return changed ? { code: out, map: null } : null;
      },
    },
  };
}

/**
 * The Supabase migrations travel with the CLI (`dist/supabase/migrations/*.sql`, byte for byte), so the schema
 * a release syncs against can be applied from an installed package, without this repository.
 */
function supabaseMigrations(): Plugin {
  const dir = path.join(repoRoot, 'supabase', 'migrations');
  return {
    name: 'supabase-migrations',
    buildStart() {
      for (const name of readdirSync(dir)
        .filter((f) => f.endsWith('.sql'))
        .sort()) {
        const file = path.join(dir, name);
        this.addWatchFile(file);
        this.emitFile({ type: 'asset', fileName: `supabase/migrations/${name}`, source: readFileSync(file) });
      }
    },
  };
}

/**
 * The dashboard of `agentlogs ui` (src/ui/app/): its page is bundled for the browser (preact, htm, Chart.js; no
 * CDN) by a nested build and lands as `dist/ui/app.js` beside `dist/ui/index.html`, where the server reads them.
 */
function dashboardAssets(): Plugin {
  const dir = path.join(here, 'src', 'ui', 'app');
  return {
    name: 'dashboard-assets',
    async buildStart() {
      const { rolldown } = await import('rolldown');
      const bundle = await rolldown({
        input: path.join(dir, 'main.ts'),
        platform: 'browser',
        logLevel: 'warn',
      });
      const { output } = await bundle.generate({
        format: 'iife',
        minify: process.env.AGENTLOGS_BUNDLE_MINIFY !== 'false',
      });
      await bundle.close();
      for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
        if (file.endsWith('.ts')) this.addWatchFile(path.join(dir, file));
      }
      this.emitFile({ type: 'asset', fileName: 'ui/app.js', source: output[0].code });
      this.emitFile({
        type: 'asset',
        fileName: 'ui/index.html',
        source: readFileSync(path.join(dir, 'index.html')),
      });
    },
  };
}

/**
 * The bundle is CommonJS (see `output.format`) while the package is `"type": "module"`: `dist/package.json` says
 * so for the files under `dist/`, which keep their `.js` names (`bin`, the parse workers and the tests find them
 * by those names).
 */
function commonJsScope(): Plugin {
  return {
    name: 'commonjs-scope',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'package.json', source: '{ "type": "commonjs" }\n' });
    },
  };
}

/** `dist/bin.js` is the `bin` of the package: runnable as `./dist/bin.js` (the shebang comes from src/bin.ts). */
function executableEntry(): Plugin {
  return {
    name: 'executable-entry',
    writeBundle(options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk' && file.isEntry)
          chmodSync(path.join(options.dir ?? '', file.fileName), 0o755);
      }
    },
  };
}

/**
 * Removes what an earlier build left in `dist/` once the new files are written. Cleaning first instead would
 * leave no `dist/bin.js` for a moment, failing any agentlogs process started (by a test, the demo, the
 * benchmark) while the CLI rebuilds.
 */
function removeStaleOutput(): Plugin {
  return {
    name: 'remove-stale-output',
    writeBundle(options, bundle) {
      const dir = options.dir ?? '';
      const written = new Set(Object.keys(bundle).map((f) => path.normalize(f)));
      // Deepest first, so a folder is looked at after its files.
      const found = readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().reverse();
      for (const relative of found) {
        const file = path.join(dir, relative);
        if (statSync(file).isDirectory()) {
          if (readdirSync(file).length === 0) rmdirSync(file);
        } else if (!written.has(path.normalize(relative))) rmSync(file);
      }
    },
  };
}

/**
 * Named chunks, one per library a command may need, so that a command loads a handful of files and the
 * names say what is inside. Each captures the modules it reaches; a higher priority claims shared ones first
 * (sync-core is used by local-store and supabase-remote alike). The CLI's own modules are left to the
 * automatic splitting: one chunk per command, plus the pieces several commands share.
 */
const chunkGroups = [
  // What the statusline's fast path runs (statusline-fast.ts): the database file's name and schema version, the
  // usage read from the turns' index, the billing blocks and the prices, in one small chunk of their own with the
  // path itself, so that it loads neither the rest of the store nor the importers, and few files
  // (docs/decisions/0102-fast-statusline-and-hook.md).
  {
    name: 'statusline-fast',
    test: /[\\/](apps[\\/]cli[\\/]src[\\/](statusline-fast|statusline-line|prices)\.ts|packages[\\/](local-store[\\/]dist[\\/](database-file|usage-rollup|connection)|ingest[\\/]dist[\\/](blocks|pricing|stats)|content-policy[\\/]dist[\\/](crypto|errors))\.js)$/,
    priority: 5,
    includeDependenciesRecursively: false,
  },
  { name: 'sync-core', test: /[\\/]packages[\\/]sync-core[\\/]/, priority: 4 },
  // The schema spec and the row ids: small, and needed by commands that never open the store (whoami).
  { name: 'schema', test: /[\\/]packages[\\/]schema[\\/]/, priority: 4 },
  // Opening the store (connection, migrations, adopting an earlier database, with the search index and session
  // views the migrations and search use): what every command that reads the store needs, and no more of it.
  {
    name: 'store-open',
    test: /[\\/]packages[\\/]local-store[\\/]dist[\\/](open|migrations|adopt|errors|connection|database-file|ids|search-index|session-views|tables|schema)\.js$/,
    priority: 3.5,
    includeDependenciesRecursively: false,
  },
  // What an import reads and writes with (its cursors, writer, legacy folding, WAL helper, other agents'
  // databases): `import` loads neither the store's sync side nor its views.
  {
    name: 'store-import',
    test: /[\\/]packages[\\/]local-store[\\/]dist[\\/](import-cursors|transcript-writer|background-checkpoint|records|versions|visual-files|legacy-fold|agent-database)\.js$/,
    priority: 3.5,
    includeDependenciesRecursively: false,
  },
  { name: 'local-store', test: /[\\/]packages[\\/]local-store[\\/]/, priority: 3 },
  // The store loads kysely on first use (typed commit queries only): its own chunk, read only then.
  { name: 'kysely', test: /[\\/]node_modules[\\/]kysely[\\/]/, priority: 3 },
  // The agent catalog (folders, variables, `--<agent>-dir` options) stays with the command table in the entry,
  // so help is printed from it without loading the parsers: the group does not pull it in as a dependency.
  {
    name: 'ingest',
    test: /[\\/]packages[\\/]ingest[\\/](?!dist[\\/]agents[\\/]catalog\.js)/,
    priority: 2,
    includeDependenciesRecursively: false,
  },
  {
    name: 'supabase',
    test: /[\\/]packages[\\/]supabase-remote[\\/]|[\\/]node_modules[\\/](@supabase|ws)[\\/]/,
    priority: 1,
  },
  { name: 'conf', test: /[\\/]node_modules[\\/]conf[\\/]/, priority: 1 },
  // `schema apply` and `setup` only: the PostgreSQL client that applies the migrations, and the prompts.
  {
    name: 'pg',
    test: /[\\/]node_modules[\\/](pg|pg-[a-z-]+|pgpass|postgres-[a-z-]+|split2)[\\/]/,
    priority: 1,
  },
  {
    name: 'prompts',
    test: /[\\/]node_modules[\\/](@clack|fast-string-width|fast-wrap-ansi|fast-string-truncated-width|sisteransi)[\\/]/,
    priority: 1,
  },
];

export default defineConfig({
  input: { bin: path.join(here, 'src', 'bin.ts') },
  platform: 'node',
  external,
  resolve: {
    // jsonc-parser's `main` is a UMD build whose `require`s of its own files a bundle cannot follow; its ES
    // module build (`module`) bundles like any other.
    alias: { 'jsonc-parser': path.join(here, 'node_modules', 'jsonc-parser', 'lib', 'esm', 'main.js') },
  },
  plugins: [
    workspaceSourceMaps(),
    moduleRelativeFiles(),
    supabaseMigrations(),
    dashboardAssets(),
    commonJsScope(),
    executableEntry(),
    removeStaleOutput(),
  ],
  treeshake: {
    // The workspace libraries do nothing when loaded but define things, so a chunk that uses a few of their
    // modules need not load the chunk holding the rest only to keep the order they would have run in (the
    // statusline's fast path loads the `statusline-fast` chunk without `local-store` and `ingest`).
    moduleSideEffects: [
      {
        test: /[\\/]packages[\\/](local-store|ingest|content-policy|schema|sync-core)[\\/]dist[\\/]/,
        sideEffects: false,
      },
    ],
  },
  output: {
    dir: path.join(here, 'dist'),
    // CommonJS: Node 20 loads a chunk through `require` (synchronous: read, compile, run) in less time than an
    // ES module, which goes through the ES loader's resolution, format lookup and asynchronous reads and linking.
    // That was most of the time a short command spent before its own code: on the bench tree an `import` with
    // nothing new took 128 ms as ES modules and 112 ms as CommonJS, `--version` 43 and 35 ms
    // (docs/decisions/0110-commonjs-bundle.md). `import()` of an external package stays `import()`, so the
    // ES-only `open` loads as before.
    format: 'cjs',
    sourcemap: true,
    // Class and function names survive minifying (error names, stack traces).
    keepNames: true,
    // Minified: less source for Node to compile on every start. `AGENTLOGS_BUNDLE_MINIFY=false` builds a
    // readable bundle for debugging; either way the source maps lead back to the TypeScript sources.
    minify: process.env.AGENTLOGS_BUNDLE_MINIFY === 'false' ? 'dce-only' : true,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    assetFileNames: 'assets/[name]-[hash][extname]',
    codeSplitting: { groups: chunkGroups },
  },
});
