/**
 * Fake secrets of each kind, generated at run time from a fixed seed: the repository holds no string that a secret
 * scanner would take for a credential, and every run plants the same values.
 */

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';
const URLSAFE = `${ALNUM}_-`;
const B64 = `${ALNUM}+/`;

export class FakeSecrets {
  private readonly random: () => number;
  constructor(seed = 20261204) {
    this.random = mulberry32(seed);
  }
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(this.random() * alphabet.length)];
    return out;
  }
  digits(length: number): string {
    return this.chars('0123456789', length);
  }
  awsAccessKeyId(): string {
    return 'AKIA' + this.chars(UPPER_B32, 16);
  }
  awsSecretKey(): string {
    return this.chars(B64, 40);
  }
  googleApiKey(): string {
    return 'AIza' + this.chars(URLSAFE, 35);
  }
  githubPat(): string {
    return 'ghp' + '_' + this.chars(ALNUM, 36);
  }
  githubFineGrained(): string {
    return 'github' + '_pat_' + this.chars(`${ALNUM}_`, 82);
  }
  gitlabPat(): string {
    return 'glpat' + '-' + this.chars(URLSAFE, 20);
  }
  slackBot(): string {
    return 'xoxb' + '-' + this.digits(12) + '-' + this.digits(13) + '-' + this.chars(ALNUM, 24);
  }
  slackWebhook(): string {
    return `https://hooks.slack.com/services/T${this.chars(UPPER_B32, 8)}/B${this.chars(UPPER_B32, 8)}/${this.chars(ALNUM, 24)}`;
  }
  stripeLive(): string {
    return 'sk' + '_live_' + this.chars(ALNUM, 24);
  }
  openai(): string {
    return 'sk-proj-' + this.chars(URLSAFE, 74) + 'T3Blbk' + 'FJ' + this.chars(URLSAFE, 74);
  }
  anthropic(): string {
    return 'sk-ant-' + 'api03-' + this.chars(URLSAFE, 93) + 'AA';
  }
  npm(): string {
    return 'npm' + '_' + this.chars(ALNUM, 36);
  }
  jwt(): string {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        sub: this.digits(8),
        role: 'authenticated',
        iat: 1764800000 + Number(this.digits(5)),
      }),
    ).toString('base64url');
    return `${header}.${payload}.${this.chars(URLSAFE, 43)}`;
  }
  highEntropy(length: number): string {
    return this.chars(ALNUM, length);
  }
  privateKeyPem(kind = 'RSA'): string {
    const lines = Array.from({ length: 12 }, () => this.chars(B64, 64));
    const label = kind === '' ? 'PRIVATE KEY' : `${kind} PRIVATE KEY`;
    return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
  }
  password(): string {
    return 'Pw' + this.chars(ALNUM, 10) + '!';
  }
  hex(length: number): string {
    return this.chars(HEX, length);
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
  base64(bytes: number): string {
    return Buffer.from(Array.from({ length: bytes }, () => Math.floor(this.random() * 256))).toString(
      'base64',
    );
  }
}
