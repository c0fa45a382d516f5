/**
 * Redirect-URL validation as Supabase Auth does it (`IsRedirectURLValid`): the Site URL's host, any loopback IP
 * address (RFC 8252 7.3: native apps use variable ports), or a match of the allow list, whose globs treat `.` and
 * `/` as separators (`*` stops at them, `**` crosses them).
 */
export function isRedirectUrlAllowed(
  redirectTo: string,
  siteUrl: string,
  allowList: readonly string[],
): boolean {
  if (!redirectTo) return false;
  let base: URL;
  let ref: URL;
  try {
    base = new URL(siteUrl);
    ref = new URL(redirectTo);
  } catch {
    return false;
  }
  const refHost = stripBrackets(ref.hostname);
  if (
    stripBrackets(base.hostname) === refHost &&
    base.protocol === ref.protocol &&
    (base.port === ref.port || isLocalhost(refHost))
  ) {
    return true;
  }
  if (/^[0-9]+$/.test(refHost)) return false;
  if (isIpAddress(refHost)) return isLoopbackIp(refHost);
  const isHttp = ref.protocol === 'http:' || ref.protocol === 'https:';
  if (isHttp && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(refHost)) return false;
  const withoutFragment = redirectTo.split('#')[0] ?? '';
  return allowList.some((pattern) => globToRegExp(pattern).test(withoutFragment));
}

/** The URL to send the browser back to: `redirect_to` when allowed, otherwise the Site URL. */
export function redirectTarget(
  redirectTo: string | null,
  siteUrl: string,
  allowList: readonly string[],
): string {
  return redirectTo && isRedirectUrlAllowed(redirectTo, siteUrl, allowList) ? redirectTo : siteUrl;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isLocalhost(host: string): boolean {
  return host === 'localhost' || (isIpAddress(host) && isLoopbackIp(host));
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

function isLoopbackIp(host: string): boolean {
  if (host.includes(':')) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return host.startsWith('127.');
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^./]*';
    else if (c === '?') source += '[^./]';
    else source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
