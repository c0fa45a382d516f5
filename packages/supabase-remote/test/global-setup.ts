import { setupTestPostgres } from '@agentlogs/test-backend';

/** One PostgreSQL server with the schema pushed by the Supabase CLI per run; files clone its template. */
export default () => setupTestPostgres();
