import { describe, expect, it } from 'vitest';
import {
  compileRuleset,
  DEFAULT_RULES,
  type Finding,
  isContentPolicyError,
  isInvalidPatternError,
  maskedExcerpt,
  redact,
  redactJsonText,
  shannonEntropy,
} from '../src/index.js';
import { FakeSecrets } from './fake-secrets.js';

/**
 * A text with planted secrets. `plant(rule, secret)` puts a secret in the text and says which rule must find it; the
 * expected redaction is the same text with `[REDACTED:<rule>]` in each place.
 */
function sample(build: (plant: (rule: string, secret: string) => string, fake: FakeSecrets) => string) {
  const fake = new FakeSecrets();
  const planted: { rule: string; secret: string }[] = [];
  const template = build((rule, secret) => {
    planted.push({ rule, secret });
    return `⟦${planted.length - 1}⟧`;
  }, fake);
  const fill = (value: (index: number) => string) =>
    template.replace(/⟦(\d+)⟧/g, (_, index: string) => value(Number(index)));
  return {
    planted,
    text: fill((index) => planted[index]!.secret),
    expected: fill((index) => `[REDACTED:${planted[index]!.rule}]`),
  };
}

function expectRedacted(built: ReturnType<typeof sample>) {
  const result = redact(built.text);
  for (const { secret } of built.planted) expect(result.text).not.toContain(secret);
  expect(result.text).toBe(built.expected);
  expect(result.findings.map((finding) => finding.rule)).toEqual(built.planted.map((plant) => plant.rule));
  for (const [index, finding] of result.findings.entries()) {
    expect(built.text.slice(finding.start, finding.end)).toBe(built.planted[index]!.secret);
  }
  // Redacting again finds nothing: the markers are no secrets.
  expect(redact(result.text)).toEqual({ text: result.text, findings: [] });
  return result;
}

describe('redact: planted secrets in realistic text', () => {
  it('a .env file shown by a tool', () => {
    expectRedacted(
      sample(
        (plant, f) => `$ cat .env
# local settings, do not commit
NODE_ENV=development
PORT=3000
DATABASE_URL=postgres://app:${plant('connection-string-password', f.password())}@localhost:5432/app_dev
REDIS_URL=redis://:${plant('connection-string-password', f.password())}@127.0.0.1:6379/0
STRIPE_SECRET_KEY=${plant('stripe-access-token', f.stripeLive())}
OPENAI_API_KEY=${plant('openai-api-key', f.openai())}
ANTHROPIC_API_KEY="${plant('anthropic-api-key', f.anthropic())}"
SESSION_SECRET="${plant('env-secret-assignment', f.password())}"
ADMIN_PASSWORD='${plant('env-secret-assignment', 'hunter2')}'
DB_PASS=${plant('env-secret-assignment', 'letmein99')}
export GITHUB_TOKEN=${plant('github-pat', f.githubPat())}
export NPM_TOKEN=${plant('npm-access-token', f.npm())}
AWS_ACCESS_KEY_ID=${plant('aws-access-token', f.awsAccessKeyId())}
AWS_SECRET_ACCESS_KEY=${plant('env-secret-assignment', f.awsSecretKey())}
AWS_REGION=eu-west-1
LOG_LEVEL=debug
`,
      ),
    );
  });

  it('shell commands of a Bash tool call', () => {
    expectRedacted(
      sample(
        (plant, f) => `curl -sS https://api.example.com/v1/items \\
  -H "Authorization: Bearer ${plant('curl-auth-header', f.jwt())}" \\
  -H 'Content-Type: application/json' | jq '.items | length'
psql "postgresql://reporting:${plant('connection-string-password', f.password())}@db.prod.internal:5432/analytics" -c 'select count(*) from events'
mysql -h 127.0.0.1 -u root --password=${plant('password-parameter', f.password())} shop < dump.sql
git clone https://oauth2:${plant('gitlab-pat', f.gitlabPat())}@gitlab.com/acme/infra.git
npm config set //registry.npmjs.org/:_authToken ${plant('npm-access-token', f.npm())}
aws configure set aws_access_key_id ${plant('aws-access-token', f.awsAccessKeyId())}
wget --header="Authorization: token ${plant('github-pat', f.githubPat())}" https://api.github.com/user
http GET https://api.internal/health "Authorization:Basic ${plant('authorization-basic', Buffer.from(`svc:${f.password()}`).toString('base64'))}"
`,
      ),
    );
  });

  it('a JSON config and a service account key', () => {
    expectRedacted(
      sample((plant, f) =>
        JSON.stringify(
          {
            type: 'service_account',
            project_id: 'acme-prod',
            // As a key file holds it: the PEM with its line breaks escaped inside a JSON string.
            private_key: plant('private-key', JSON.stringify(f.privateKeyPem('')).slice(1, -1)),
            client_email: 'deploy@acme-prod.iam.gserviceaccount.com',
            apiKey: plant('gcp-api-key', f.googleApiKey()),
            slack: {
              webhook: plant('slack-webhook-url', f.slackWebhook()),
              bot: plant('slack-bot-token', f.slackBot()),
            },
            github: { token: plant('github-fine-grained-pat', f.githubFineGrained()) },
            database: {
              host: 'db.internal',
              user: 'app',
              password: plant('json-secret-field', 'Winter2026'),
            },
            features: { max_tokens: 4096, cache: true },
          },
          null,
          2,
        ),
      ),
    );
  });

  it('a compose file and a YAML config', () => {
    expectRedacted(
      sample(
        (plant, f) => `services:
  db:
    image: postgres:17
    environment:
      POSTGRES_PASSWORD: ${plant('yaml-secret-field', 'example123')}
  app:
    environment:
      - DATABASE_URL=postgres://app:${plant('connection-string-password', f.password())}@db:5432/app
      - JWT_SECRET=${plant('env-secret-assignment', f.highEntropy(48))}
smtp:
  host: smtp.example.com
  password: "${plant('yaml-secret-field', 'mailpass42')}"
`,
      ),
    );
  });

  it('secrets pasted in a prompt and quoted in an answer', () => {
    expectRedacted(
      sample(
        (plant, f) =>
          `I set the key to ${plant('anthropic-api-key', f.anthropic())} and the Slack bot to ${plant('slack-bot-token', f.slackBot())} but the request still fails with 401. The JWT we get back is ${plant('jwt', f.jwt())}; connection is mongodb+srv://admin:${plant('connection-string-password', `p@ss${f.password()}`)}@cluster0.ab12c.mongodb.net/prod and amqp://guest:${plant('connection-string-password', f.password())}@mq.internal:5672.`,
      ),
    );
  });

  it('tokens of more providers in a shell session', () => {
    expectRedacted(
      sample(
        (
          plant,
          f,
        ) => `$ huggingface-cli login --token ${plant('huggingface-access-token', 'hf_' + f.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 34))}
$ doctl auth init -t ${plant('digitalocean-pat', 'dop_v1_' + f.hex(64))}
$ twine upload -u __token__ -p ${plant('pypi-upload-token', 'pypi-AgEIcHlwaS5vcmc' + f.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-', 70))} dist/*
$ curl -u ${plant('curl-auth-user', `admin:${f.password().replace('!', '')}`)} https://jenkins.internal/api/json
$ export SENDGRID=${plant('sendgrid-api-token', 'SG.' + f.chars('abcdefghijklmnopqrstuvwxyz0123456789_-', 22) + '.' + f.chars('abcdefghijklmnopqrstuvwxyz0123456789_-', 43))}
$ vault login ${plant('vault-service-token', 'hvs.' + f.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-', 95))}
`,
      ),
    );
  });

  it('a private key in a file read, whole block, and one cut short', () => {
    expectRedacted(
      sample(
        (plant, f) => `Here is ~/.ssh/deploy_key:
${plant('private-key', f.privateKeyPem('OPENSSH'))}
and the start of an older one (output truncated):
${plant('private-key-unterminated', f.privateKeyPem('EC').split('\n').slice(0, 5).join('\n'))}
[... 40 more lines]`,
      ),
    );
  });

  it('an .env file quoted inside a JSON tool result keeps its escapes', () => {
    const built = sample(
      (plant, f) =>
        `{"type":"tool_result","content":"API_SECRET=${plant('env-secret-assignment', f.password())}\\nDEBUG=1\\nDB_PASSWORD=\\"${plant('env-secret-assignment', f.password())}\\"\\n"}`,
    );
    expectRedacted(built);
  });
});

describe('redact: ordinary text stays as it is', () => {
  const fake = new FakeSecrets(7);
  const samples: Record<string, string> = {
    'git log and diff output': `commit 3a652bf0e8c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5
Author: Ada Lovelace <ada@example.com>
Date:   Fri Dec 4 16:39:26 2026 +0000

    sync-core: the pull and the full resync share one page loop

diff --git a/packages/sync-core/src/pull.ts b/packages/sync-core/src/pull.ts
index 907fa9a..eadc1ff 100644
Merge: e107e25 797038d`,
    'hashes and digests': `${fake.hex(64)}  dist/agentlogs-0.1.0.tgz
image: ghcr.io/acme/app@sha256:${fake.hex(64)}
"integrity": "sha512-${fake.base64(64)}"
md5 ${fake.hex(32)}  README.md`,
    'uuids and ids in a transcript line': JSON.stringify({
      parentUuid: fake.uuid(),
      uuid: fake.uuid(),
      sessionId: fake.uuid(),
      requestId: `req_${fake.highEntropy(24)}`,
      message: {
        id: `msg_${fake.highEntropy(24)}`,
        usage: { input_tokens: 3, cache_creation_input_tokens: 1234 },
      },
    }),
    'a base64 image': `![screenshot](data:image/png;base64,${fake.base64(6000)})`,
    'TypeScript that handles credentials': `const apiKey = process.env.OPENAI_API_KEY;
if (!apiKey) throw new Error('missing API key: set OPENAI_API_KEY');
const headers = { Authorization: \`Bearer \${token}\`, 'Content-Type': 'application/json' };
interface Config {
  token: string;
  password?: string;
  apiKey: string | undefined;
}
const schema = z.object({ password: z.string().min(8), token: z.string() });
export const KEY_PREFIX = 'agentlogs:';`,
    'Python that reads secrets': `import os, getpass
API_KEY = os.environ["API_KEY"]
password = getpass.getpass()
token = os.getenv("GITHUB_TOKEN")`,
    'prose about auth': `Use Bearer authentication for the REST API; the basic plan includes one API key and a secret token per project.
Rotate the access key every 90 days. The password field is required. Authorization: see the docs.`,
    'environment references': `API_KEY=\${API_KEY}
DB_PASSWORD=$DB_PASSWORD
SECRET_KEY=<your secret key>
postgres://\${PGUSER}:\${PGPASSWORD}@localhost/app
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export OPENAI_API_KEY=sk-...
ANTHROPIC_API_KEY=your-key-here
SECRET_KEY=changeme
"apiKey": "YOUR_API_KEY"
token: \${{ secrets.GITHUB_TOKEN }}
headers['Authorization'] = f'Bearer {token}'
curl -H "Authorization: Bearer $TOKEN" https://api.example.com`,
    'package.json and tsconfig': JSON.stringify({
      name: '@agentlogs/content-policy',
      keywords: ['secrets', 'redaction', 'token'],
      scripts: { build: 'tsc -p tsconfig.build.json' },
      dependencies: { 'left-pad': '^1.3.0' },
    }),
  };
  for (const [name, text] of Object.entries(samples)) {
    it(name, () => {
      const result = redact(text);
      expect(result.findings).toEqual([]);
      expect(result.text).toBe(text);
    });
  }
});

describe('user patterns', () => {
  it('redact what they match, the first group when there is one', () => {
    const ruleset = compileRuleset({ patterns: ['ACME-\\d{6}', '(?i)customer:\\s*([a-z]+ [a-z]+)'] });
    const result = redact('ticket ACME-123456 for Customer: Jane Doe, see ACME-12', ruleset);
    expect(result.text).toBe(
      'ticket [REDACTED:user-pattern-0] for Customer: [REDACTED:user-pattern-1], see ACME-12',
    );
  });

  it('a bad pattern is an error naming its index, not the pattern', () => {
    const secretLooking = 'hunter2(';
    let caught: unknown;
    try {
      compileRuleset({ patterns: ['ok', secretLooking] });
    } catch (error) {
      caught = error;
    }
    expect(isInvalidPatternError(caught)).toBe(true);
    expect(isContentPolicyError(caught)).toBe(true);
    const error = caught as Error & { index: number };
    expect(error.index).toBe(1);
    expect(error.message).toContain('sync.redact.patterns[1]');
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects a pattern that matches the empty string and a non-string', () => {
    expect(() => compileRuleset({ patterns: ['a*'] })).toThrow(/patterns\[0\] matches the empty string/);
    expect(() => compileRuleset({ patterns: [42 as unknown as string] })).toThrow(
      /patterns\[0\] is not a non-empty string/,
    );
  });
});

describe('maskedExcerpt', () => {
  it('shows context around the finding, never the secret', () => {
    const fake = new FakeSecrets(3);
    const token = fake.githubPat();
    const other = fake.npm();
    const text = `line one\nexport GITHUB_TOKEN=${token} NPM=${other}\nline three and more text after it`;
    const { findings } = redact(text);
    expect(findings).toHaveLength(2);
    const excerpt = maskedExcerpt(findings[0]!, text, { findings });
    expect(excerpt).toBe(
      '…one\nexport GITHUB_TOKEN=[REDACTED:github-pat] NPM=[REDACTED:npm-access-token]…'.replace('\n', '⏎'),
    );
    expect(excerpt).not.toContain(token.slice(4));
    expect(excerpt).not.toContain(other.slice(4));
    const alone: Finding = findings[1]!;
    expect(maskedExcerpt(alone, text, { context: 5 })).toBe('… NPM=[REDACTED:npm-access-token]⏎line…');
  });
});

describe('the ruleset', () => {
  it('covers the services a developer meets', () => {
    const ids = new Set(DEFAULT_RULES.map((rule) => rule.id));
    for (const id of [
      'aws-access-token',
      'gcp-api-key',
      'github-pat',
      'github-fine-grained-pat',
      'gitlab-pat',
      'slack-bot-token',
      'stripe-access-token',
      'openai-api-key',
      'anthropic-api-key',
      'npm-access-token',
      'jwt',
      'generic-api-key',
      'private-key',
      'connection-string-password',
      'authorization-bearer',
      'env-secret-assignment',
    ]) {
      expect(ids.has(id), id).toBe(true);
    }
    for (const rule of DEFAULT_RULES) {
      for (const keyword of rule.keywords) expect(keyword, rule.id).toBe(keyword.toLowerCase());
    }
  });

  it('compiles each rule once: rulesets with user patterns reuse the default rules', () => {
    const withPatterns = compileRuleset({ patterns: ['ACME-\\d{6}'] });
    const defaults = compileRuleset();
    expect(withPatterns.compiled.slice(0, DEFAULT_RULES.length)).toEqual(defaults.compiled);
    expect(withPatterns.compiled[0]).toBe(defaults.compiled[0]);
    expect(withPatterns.ruleIds.at(-1)).toBe('user-pattern-0');
    expect(redact('', withPatterns)).toEqual({ text: '', findings: [] });
  });

  it('applies the entropy threshold as gitleaks does', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    // A generic assignment of a low-entropy value is no finding; a random one is.
    expect(redact('Using api key: aaaaabbbbbaaaaabbbbb for now').findings).toEqual([]);
    expect(
      redact(`Using api key: ${new FakeSecrets(9).highEntropy(32)} for now`).findings.map((f) => f.rule),
    ).toEqual(['generic-api-key']);
  });

  it("a rule's required literals are in every match of its regex", () => {
    const fake = new FakeSecrets(13);
    const texts = [
      `DB_PASSWORD=${fake.password()}\nexport API_TOKEN="${fake.highEntropy(24)}"\n- SECRET_KEY=${fake.password()}`,
      `{"password": "${fake.password()}", "client_secret":"${fake.highEntropy(20)}"}`,
      `{\\"api_key\\": \\"${fake.highEntropy(20)}\\"}`,
      `db:\n  password: ${fake.password()}\n  token: '${fake.highEntropy(16)}'\n`,
      `"tool_result":"SESSION_SECRET=${fake.password()}\\nAPP_KEY=${fake.password()}"`,
    ];
    let checked = 0;
    for (const rule of DEFAULT_RULES) {
      if (rule.requires === undefined) continue;
      const regex = new RegExp(rule.regex, `g${rule.flags ?? ''}`);
      for (const text of texts) {
        for (const match of text.matchAll(regex)) {
          expect(
            rule.requires.some((literal) => match[0].includes(literal)),
            rule.id,
          ).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(8);
  });

  it('finds a bearer token outside a curl command', () => {
    const token = new FakeSecrets(11).highEntropy(40);
    expect(redact(`fetch(url, { headers: { Authorization: "Bearer ${token}" } })`).text).toBe(
      'fetch(url, { headers: { Authorization: "Bearer [REDACTED:authorization-bearer]" } })',
    );
  });
});

describe('custom rules', () => {
  it('keywords of any shape prefilter their rule; a rule without keywords always runs', () => {
    const ruleset = compileRuleset({
      rules: [
        { id: 'one-char', regex: 'Z\\d{4}', keywords: ['z'] },
        { id: 'non-ascii', regex: 'clé=(\\w+)', keywords: ['clé='] },
        { id: 'always', regex: 'INTERNAL-\\d+', keywords: [] },
        { id: 'never', regex: 'NEVER-\\d+', keywords: ['keyword-not-there'] },
      ],
    });
    const result = redact('Z1234 clé=abc INTERNAL-7 NEVER-1', ruleset);
    expect(result.text).toBe('[REDACTED:one-char] clé=[REDACTED:non-ascii] [REDACTED:always] NEVER-1');
  });

  it('a rule whose required literal the text lacks does not run', () => {
    const ruleset = compileRuleset({
      rules: [
        { id: 'needs-equals', regex: 'KEY\\w*\\s*=?\\s*(\\w{6,})', keywords: ['key'], requires: ['='] },
      ],
    });
    expect(redact('KEY_A = abcdef1', ruleset).text).toBe('KEY_A = [REDACTED:needs-equals]');
    expect(redact('KEY_A abcdef1', ruleset).findings).toEqual([]);
  });
});

describe('redactJsonText', () => {
  const fake = new FakeSecrets(17);

  it('redacts the strings inside the JSON text and keeps it JSON', () => {
    const password = fake.password();
    const json = JSON.stringify([
      { name: 'Bash', input: { command: `psql postgres://app:${password}@db/app` } },
    ]);
    const reported: string[] = [];
    const out = redactJsonText(json, undefined, (text, findings) =>
      reported.push(...findings.map((f) => `${f.rule} in ${text.slice(0, 4)}`)),
    );
    expect(out).not.toContain(password);
    expect(JSON.parse(out)[0].input.command).toBe(
      'psql postgres://app:[REDACTED:connection-string-password]@db/app',
    );
    expect(reported).toEqual(['connection-string-password in psql']);
  });

  it('returns a JSON text holding no keyword as the same string', () => {
    const json = JSON.stringify([{ name: 'Read', input: { file_path: '/repo/README.md' } }]);
    expect(redactJsonText(json)).toBe(json);
  });

  it('finds a secret whose keyword only an escape sequence spells', () => {
    const password = fake.password();
    // `\u0074oken` is `token`, `\/\/` is `//`: the raw JSON text holds neither keyword.
    const hidden = `{"a":"\\u0074oken: ${fake.highEntropy(32)}","b":"mysql:\\/\\/root:${password}@db"}`;
    const out = JSON.parse(redactJsonText(hidden));
    expect(out.a).toBe('token: [REDACTED:yaml-secret-field]');
    expect(out.b).toBe('mysql://root:[REDACTED:connection-string-password]@db');
  });

  it('redacts text that is not JSON as a whole', () => {
    const password = fake.password();
    expect(redactJsonText(`not json\nDB_PASSWORD=${password}`)).toBe(
      'not json\nDB_PASSWORD=[REDACTED:env-secret-assignment]',
    );
  });
});
