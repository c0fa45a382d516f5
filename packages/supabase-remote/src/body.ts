/**
 * Request bodies sent as UTF-8 bytes. supabase-js serialises every RPC's arguments to a JSON string and hands it
 * to `fetch`; undici then makes a well-formed copy of the string (`toWellFormed`, two bytes a character when the
 * text holds any character above U+00FF) before encoding it. For a push batch of 1 MiB that copy is 2 MB of V8
 * heap per request, held until the request is sent and usually promoted to the old generation with it. Encoding
 * the string here once (lone surrogates become U+FFFD, as undici's copy makes them) sends the same bytes and
 * leaves one short-lived buffer outside the V8 heap instead.
 */

type Fetch = typeof fetch;

/** Bodies shorter than this are passed on as they are (nothing to gain). */
const MIN_ENCODED_BODY = 16 * 1024;

const encoder = new TextEncoder();

/**
 * `fetch` (the given one, else the global one at call time) with JSON string bodies of 16 kB or more sent as
 * UTF-8 bytes. Only bodies whose request states its content type are encoded (supabase-js always does), so the
 * type `fetch` would infer for a bare string never changes.
 */
export function fetchWithEncodedBodies(base?: Fetch): Fetch {
  return ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const target = base ?? globalThis.fetch;
    const body = init?.body;
    if (typeof body !== 'string' || body.length < MIN_ENCODED_BODY || !hasContentType(init?.headers)) {
      return target(input, init);
    }
    return target(input, { ...init, body: encoder.encode(body) });
  }) as Fetch;
}

function hasContentType(headers: NonNullable<Parameters<Fetch>[1]>['headers']): boolean {
  if (headers === undefined) return false;
  return new Headers(headers).has('content-type');
}
