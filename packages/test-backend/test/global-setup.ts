import { setupTestPostgres } from '../src/backend.js';

/** One PostgreSQL server and one migrated template per test run; each test file clones the template. */
export default () => setupTestPostgres();
