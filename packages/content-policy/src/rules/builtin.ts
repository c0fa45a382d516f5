import type { SecretRule } from '../ruleset.js';

/**
 * Rules of this project, for what a transcript holds that gitleaks' ruleset leaves to its entropy threshold:
 * low-entropy passwords in connection strings, `.env` lines, JSON fields and HTTP authorization headers, and private
 * keys cut short by a truncated tool output. They redact the value whatever its entropy.
 */

/** A value that refers to a secret instead of holding one: `$VAR`, `${VAR}`, `<token>`, `{{ secrets.X }}`, `****`. */
const REFERENCE = String.raw`^(?:\$\{?[A-Za-z_][\w.]*\}?|\$\([^)]*\)|<[^>]*>?|\{\{[^}]*\}\}|%[A-Za-z_]\w*%|\*+|x{3,}|\.{3,}|…)$`;

/** Code that reads a secret from somewhere else: `process.env.X`, `os.environ[...]`, `getenv(...)`. */
const CODE_REFERENCE = String.raw`^(?:process\.env\b|import\.meta\.env\b|os\.environ\b|os\.getenv\b|getenv\(|env\(|ENV\[)`;

/** Values that stand for a secret in examples and templates: `changeme`, `your-key-here`, `sk-...`. */
const PLACEHOLDER = String.raw`^(?:change[-_]?me|your[-_ ].*|.*(?:\.\.\.|…)|todo|tbd|none|null|undefined|true|false)$`;

/** Headers and prose that name an auth scheme without a credential: only letters (`Bearer authentication`). */
const WORDS_ONLY = '^[A-Za-z_.-]+$';

export const BUILTIN_RULES: readonly SecretRule[] = [
  {
    // A PEM header followed by base64 lines but no END line (a tool output cut short): header and body go.
    id: 'private-key-unterminated',
    regex: String.raw`-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:(?:\r?\n|\\r?\\n)(?:[A-Za-z0-9+/=]{16,}|[A-Za-z-]+: [^\r\n\\]*))+`,
    flags: 'i',
    keywords: ['-----begin'],
  },
  {
    // scheme://user:password@host — postgres, mysql, mongodb+srv, redis, amqp, https… The password goes.
    // An `@` inside the password is taken as part of it when another `@` follows before the host.
    id: 'connection-string-password',
    regex: String.raw`\b[a-z][a-z0-9+.-]{1,30}://[^\s:@/?#'"\x60<>]*:((?:[^\s/@'"\x60<>]|@(?=[^\s/@'"\x60<>]*@))+)@`,
    flags: 'i',
    keywords: ['://'],
    allow: [{ regexes: [REFERENCE] }],
  },
  {
    // password=… in a query string, a key=value connection string (`Server=db;Password=…;`) or a flag (`--password=…`).
    id: 'password-parameter',
    regex: String.raw`(?:^|[?&;\s"'-])(?:password|passwd|pwd)=((?:[^&;\s'"\x60<>\\]|\\(?![nrt"]))+)`,
    flags: 'i',
    keywords: ['password=', 'passwd=', 'pwd='],
    allow: [{ regexes: [REFERENCE] }],
  },
  {
    id: 'authorization-bearer',
    regex: String.raw`\bbearer[ \t]+([A-Za-z0-9\-._~+/]{8,}=*)`,
    flags: 'i',
    keywords: ['bearer'],
    allow: [{ regexes: [WORDS_ONLY] }],
  },
  {
    id: 'authorization-basic',
    regex: String.raw`\bbasic[ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])`,
    flags: 'i',
    keywords: ['basic'],
    allow: [{ regexes: [WORDS_ONLY] }],
  },
  {
    // Authorization: <credential> with another scheme or none (`token ghp_…`, a raw API key). Bearer and
    // Basic values are the rules above.
    id: 'authorization-header',
    regex: String.raw`\b(?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:(?:token|apikey|api-key|digest|hmac|sso-key)[ \t]+)?(?!bearer[ \t]|basic[ \t])([^\s"',;\x60\\]{8,})`,
    flags: 'i',
    keywords: ['authorization'],
    allow: [{ regexes: [REFERENCE, CODE_REFERENCE, String.raw`^[A-Za-z_.$]+(?:\(.*)?$`] }],
  },
  {
    // .env-style line whose name says key, token, secret or password: NAME=value, `export NAME="value"`,
    // `- NAME=value` (a compose file's environment list).
    // Also after a `\n` escape or at the start of a JSON string, for a .env file quoted inside JSON. The value goes,
    // quoted or not.
    id: 'env-secret-assignment',
    regex: String.raw`(?:^|\\n|:[ \t]*\\?")[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*?(?:key|token|secret|passw(?:or)?d|passphrase|pwd|(?<![a-z])pass(?![a-z])|credentials?|auth)[A-Za-z0-9_.-]*[ \t]*=[ \t]*(?:\\?"((?:[^"\\\r\n]|\\(?![n"]))*)\\?"|'([^'\r\n]*)'|((?:[^\s"'#\\]|\\(?![nrt"]))+))`,
    flags: 'im',
    keywords: ['key', 'token', 'secret', 'pass', 'pwd', 'credential', 'auth'],
    requires: ['='],
    allow: [
      { regexes: [REFERENCE, CODE_REFERENCE] },
      { regexes: [PLACEHOLDER], flags: 'i' },
      {
        target: 'match',
        flags: 'i',
        regexes: [
          // Names that hold no secret: identifiers, places, sizes (AWS_ACCESS_KEY_ID's value is caught by its own rule).
          String.raw`^(?:\\n|:[ \t]*\\?")?[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?[\w.-]*(?:_ID|_URL|_URI|_HOST|_PORT|_USER|_USERNAME|_NAME|_PATH|_FILE|_DIR|_REGION|_ENDPOINT|_TYPE|_LENGTH|_SIZE|_TTL|_EXPIRY|_EXPIRES_IN)[ \t]*=`,
          String.raw`^(?:\\n|:[ \t]*\\?")?[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?[\w.-]*(?:keyboard|monkey|turkey|author|keyspace|keyframe)`,
        ],
      },
    ],
  },
  {
    // "password": "…" in JSON (also with escaped quotes), for a name that ends with a secret word.
    id: 'json-secret-field',
    regex: String.raw`\\?["'][\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)\\?["'][ \t]*:[ \t]*\\?["']((?:[^"'\s\\]|\\(?![n"]))+)\\?["']`,
    flags: 'i',
    keywords: ['pass', 'secret', 'token', 'key'],
    requires: [':'],
    allow: [{ regexes: [REFERENCE, WORDS_ONLY] }, { regexes: [PLACEHOLDER], flags: 'i' }],
  },
  {
    // YAML `password: value` on a line of its own, for a name that ends with a secret word. The value must end the
    // line, so code (`token: string;`, `password: z.string(),`) is left alone.
    id: 'yaml-secret-field',
    regex: String.raw`(?:^|\\n)[ \t]*[\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)[ \t]*:[ \t]+(?:"([^"\r\n\\]{4,})"|'([^'\r\n]{4,})'|([^\s"'#;,{}\[\]\\][^\s#;,\\]{3,}))[ \t]*(?:#[^\r\n]*)?(?=\r?$|\\[rn])`,
    flags: 'im',
    keywords: ['pass', 'secret', 'token', 'key'],
    requires: [':'],
    allow: [
      { regexes: [REFERENCE, CODE_REFERENCE, WORDS_ONLY, String.raw`\(.*\)$`] },
      { regexes: [PLACEHOLDER], flags: 'i' },
    ],
  },
];
