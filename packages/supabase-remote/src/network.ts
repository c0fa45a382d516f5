/**
 * Why a request never got an answer, in words: fetch (undici) reports every such failure as
 * `TypeError: fetch failed` and keeps the reason in `cause` (an `Error` with a Node or OpenSSL `code`, or an
 * `AggregateError` when every address of the host failed).
 */

/** The codes of a network failure, outermost first (the error, its cause, the errors of an AggregateError). */
function codesOf(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === 'string' && e.code !== '' ? [e.code] : [];
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => codesOf(x, depth + 1)) : [];
  return [...own, ...codesOf(e.cause, depth + 1), ...nested];
}

const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO$)/;

/** The cause of a failure with this Node / OpenSSL / undici code, in words; undefined for an unknown code. */
export function networkCauseInWords(code: string): string | undefined {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'host name not found in DNS';
    case 'EAI_AGAIN':
      return 'DNS lookup failed, check your network';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'the connection was closed by the other side';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'no answer in time';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return 'network unreachable';
  }
  if (TLS_CODE.test(code)) return 'TLS error, the secure connection could not be set up';
  return undefined;
}

/**
 * The reason a request failed before any answer: its code and what it means, `ECONNREFUSED (connection
 * refused)`. `text` is searched for a code too (postgrest-js keeps the cause's code only in its error details).
 * Falls back to the cause's or the error's own message.
 */
export function describeNetworkFailure(error: unknown, text = ''): string {
  const codes = codesOf(error);
  for (const match of text.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)) codes.push(match[1]!);
  for (const code of codes) {
    const words = networkCauseInWords(code);
    if (words) return `${code} (${words})`;
  }
  const message = (error as { message?: unknown })?.message;
  const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
  if ([message, cause, text].some((m) => typeof m === 'string' && /bad port/i.test(m)))
    return 'fetch refuses to connect to this port (bad port)';
  if (typeof cause === 'string' && cause !== '') return cause;
  return typeof message === 'string' && message !== '' ? message : String(error);
}
