export {
  type AuthCounters,
  type AuthSettings,
  AuthStandIn,
  type AuthUser,
  type BrowserLogin,
  DEFAULT_AUTH_SETTINGS,
  DEFAULT_GITHUB_ACCOUNT,
  FAKE_GITHUB_PREFIX,
  FakeGitHub,
  findAuthorizeUrl,
  type GitHubAccount,
  isRedirectUrlAllowed,
  playBrowserLogin,
} from './auth/index.js';
export {
  SHARED_CLUSTER_URL_ENV,
  SHARED_TEMPLATE_ENV,
  setupTestPostgres,
  startTestBackend,
  type TestBackend,
  type TestBackendOptions,
} from './backend.js';
export {
  CliCommandError,
  CliMachine,
  type CliMachineOptions,
  type CliProcess,
  type CliRun,
} from './cli-machine.js';
export {
  DEFAULT_AUTHENTICATOR_PASSWORD,
  type Route,
  type RouteHandler,
  readBody,
  type StandIn,
  type StandInContext,
  type StandInOptions,
  sendJson,
  startStandIn,
} from './http.js';
export { type JwtClaims, JwtError, signJwt, verifyJwt } from './jwt.js';
export { type Pg15CheckResult, pg15ChecksUnavailable, runPg15Checks } from './pg15-checks.js';
export {
  DEBIAN_15_BIN,
  debian15Available,
  engineFromEnv,
  freePort,
  type PostgresCluster,
  type PostgresEngine,
  SERVER_SETTINGS,
  type ServerSettings,
  startPostgres,
  withDatabase,
} from './postgres.js';
export { statusForSqlState } from './postgrest.js';
export {
  applySqlFile,
  BOOTSTRAP_SQL_PATH,
  CLI_ENV,
  cloneDatabase,
  createMigratedTemplate,
  findProjectRoot,
  pushMigrations,
  runSupabaseCli,
  supabaseCliPath,
} from './template.js';
export {
  accessTokenClaims,
  allowAccount,
  createTestUser,
  type TestUser,
  type TestUserOptions,
} from './users.js';
