import { type Route, type StandIn, startStandIn } from './http.js';
import {
  engineFromEnv,
  type PostgresCluster,
  type PostgresEngine,
  type ServerSettings,
  startPostgres,
} from './postgres.js';
import { cloneDatabase, createMigratedTemplate } from './template.js';
import { createTestUser, type TestUser, type TestUserOptions } from './users.js';

/** Set by `setupTestPostgres` (vitest globalSetup) so every test file clones the same migrated template. */
export const SHARED_CLUSTER_URL_ENV = 'AGENTLOGS_TEST_CLUSTER_URL';
export const SHARED_TEMPLATE_ENV = 'AGENTLOGS_TEST_TEMPLATE';

/**
 * Starts PostgreSQL once, creates the migrated template (bootstrap + `supabase db push`), and exports
 * its location through the environment. Use from a vitest `globalSetup` file:
 * `export default () => setupTestPostgres();` — the returned function is the teardown.
 */
export async function setupTestPostgres(
  engine: PostgresEngine = engineFromEnv(),
): Promise<() => Promise<void>> {
  const cluster = await startPostgres(engine);
  try {
    const template = await createMigratedTemplate(cluster);
    process.env[SHARED_CLUSTER_URL_ENV] = cluster.url;
    process.env[SHARED_TEMPLATE_ENV] = template.name;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return async () => {
    delete process.env[SHARED_CLUSTER_URL_ENV];
    delete process.env[SHARED_TEMPLATE_ENV];
    await cluster.stop();
  };
}

export interface TestBackendOptions {
  /** Routes mounted next to `/rest/v1`, e.g. the Auth stand-in at `/auth/v1`. */
  routes?: Route[];
  /** HS256 secret for all tokens (random by default). */
  jwtSecret?: string;
  /** Which Postgres, when no shared cluster was set up (default: `AGENTLOGS_TEST_POSTGRES` or embedded 17). */
  engine?: PostgresEngine;
  /** `authenticator` pool size. */
  poolSize?: number;
  /**
   * Settings of a cluster started for this backend (default `test`: no fsync). Benchmarks use
   * `production-like`. Ignored when a shared cluster (globalSetup) or an existing server is used.
   */
  serverSettings?: ServerSettings;
}

export interface TestBackend {
  /** Project URL for supabase-js. */
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  /** Superuser URL of this backend's own database (a clone of the migrated template). */
  databaseUrl: string;
  cluster: PostgresCluster;
  standIn: StandIn;
  /** Creates a GitHub user in `auth.users` and returns their access token. */
  createUser(options?: TestUserOptions): Promise<TestUser>;
  close(): Promise<void>;
}

/**
 * A migrated database of its own plus the HTTP stand-in in front of it. Clones the shared template when
 * `setupTestPostgres` ran (globalSetup); otherwise starts (and on `close` stops) a cluster of its own.
 */
export async function startTestBackend(options: TestBackendOptions = {}): Promise<TestBackend> {
  const sharedUrl = process.env[SHARED_CLUSTER_URL_ENV];
  const sharedTemplate = process.env[SHARED_TEMPLATE_ENV];
  let cluster: PostgresCluster;
  let template: string;
  let ownCluster = false;
  if (sharedUrl && sharedTemplate) {
    cluster = await startPostgres({ url: sharedUrl });
    template = sharedTemplate;
  } else {
    cluster = await startPostgres(options.engine ?? engineFromEnv(), options.serverSettings ?? 'test');
    ownCluster = true;
    try {
      template = (await createMigratedTemplate(cluster)).name;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }
  const database = await cloneDatabase(cluster, template);
  let standIn: StandIn;
  try {
    standIn = await startStandIn({
      databaseUrl: database.url,
      jwtSecret: options.jwtSecret,
      routes: options.routes,
      poolSize: options.poolSize,
    });
  } catch (error) {
    await database.drop().catch(() => {});
    if (ownCluster) await cluster.stop();
    throw error;
  }
  return {
    url: standIn.url,
    anonKey: standIn.anonKey,
    serviceRoleKey: standIn.serviceRoleKey,
    jwtSecret: standIn.jwtSecret,
    databaseUrl: database.url,
    cluster,
    standIn,
    createUser: (userOptions) => createTestUser(standIn.adminPool, standIn.jwtSecret, userOptions),
    async close() {
      await standIn.close();
      await database.drop().catch(() => {});
      if (ownCluster) await cluster.stop();
    },
  };
}
