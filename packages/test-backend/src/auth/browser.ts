/**
 * Plays the person at the browser during `agentlogs login`: follows the authorize URL the CLI printed through
 * Supabase Auth's redirect, the (fake) GitHub consent page, the callback, and back to the CLI's loopback address.
 * Plain HTTP requests, no browser engine; used by tests and the demo.
 */
export interface BrowserLogin {
  /** The address the browser was finally sent to (the CLI's loopback `/callback?...`). */
  callbackUrl: string;
  /** Status and HTML of the loopback page, when `load` was true. */
  status?: number;
  page?: string;
}

async function redirectTo(url: URL | string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) {
    throw new Error(`expected a redirect from ${String(url)}, got ${response.status}`);
  }
  return location;
}

/**
 * Follows `authorizeUrl` to the consent page, clicks "Authorize" (or "Cancel"), and follows the redirects to the
 * CLI's callback. With `load` (the default) the callback page is requested too, as a browser would.
 */
export async function playBrowserLogin(
  authorizeUrl: string,
  options: { decision?: 'authorize' | 'cancel'; load?: boolean } = {},
): Promise<BrowserLogin> {
  const decision = options.decision ?? 'authorize';
  const consentUrl = new URL(await redirectTo(authorizeUrl));
  const consent = await (await fetch(consentUrl)).text();
  const link = new RegExp(`id="${decision}" href="([^"]+)"`).exec(consent)?.[1]?.replaceAll('&#38;', '&');
  if (!link) throw new Error(`no "${decision}" link on the consent page`);
  const supabaseCallback = await redirectTo(new URL(link, consentUrl));
  const callbackUrl = await redirectTo(supabaseCallback);
  if (options.load === false) return { callbackUrl };
  const response = await fetch(callbackUrl);
  return { callbackUrl, status: response.status, page: await response.text() };
}

/** Finds the authorize URL in what `agentlogs login --no-browser` printed so far. */
export function findAuthorizeUrl(printed: string): string | undefined {
  return /(https?:\/\/\S+\/auth\/v1\/authorize\?\S+)/.exec(printed)?.[1];
}
