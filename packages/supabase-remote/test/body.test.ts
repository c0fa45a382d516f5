/**
 * Large JSON request bodies go out as UTF-8 bytes: a real HTTP server on 127.0.0.1 receives the same bytes and
 * headers as undici sends for the string (lone surrogates as U+FFFD), and short bodies or bodies without a stated
 * content type are passed on untouched.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithEncodedBodies } from '../src/body.js';

let server: http.Server;
let url: string;
const received: { body: Buffer; type: string | undefined; length: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        body: Buffer.concat(chunks),
        type: req.headers['content-type'],
        length: req.headers['content-length'],
      });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What the server got for one request. */
async function send(f: typeof fetch, body: string, headers?: Record<string, string>) {
  received.length = 0;
  const res = await f(url, { method: 'POST', body, ...(headers ? { headers } : {}) });
  await res.text();
  return received[0] as (typeof received)[number];
}

describe('fetchWithEncodedBodies', () => {
  const json = { 'Content-Type': 'application/json' };
  // Above the 16 kB threshold, with characters above U+00FF and a lone surrogate (which JSON.stringify would
  // escape; a body string may still hold one).
  const large = `{"records":"${'naïve ☕ 😀 \ud800 end '.repeat(2_000)}"}`;

  it('sends a large JSON body as the same UTF-8 bytes and headers as the plain string', async () => {
    const encoded = await send(fetchWithEncodedBodies(), large, json);
    const plain = await send(fetch, large, json);
    expect(encoded.body.equals(plain.body)).toBe(true);
    expect(encoded.body.equals(Buffer.from(large, 'utf8'))).toBe(true);
    expect(encoded.body.includes(Buffer.from('\ufffd', 'utf8'))).toBe(true);
    expect(encoded.type).toBe('application/json');
    expect(encoded.length).toBe(plain.length);
  });

  it('passes short bodies and bodies without a content type as they are', async () => {
    const viaWrapper = await send(fetchWithEncodedBodies(), large);
    const direct = await send(fetch, large);
    // fetch's own type for a bare string, kept.
    expect(viaWrapper.type).toBe(direct.type);
    expect(viaWrapper.type).toMatch(/^text\/plain/);
    expect(viaWrapper.body.equals(direct.body)).toBe(true);
    const short = await send(fetchWithEncodedBodies(), '{"a":"é"}', json);
    expect(short.body.toString('utf8')).toBe('{"a":"é"}');
  });

  it('uses the fetch it is given', async () => {
    let calls = 0;
    const counting = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      calls += 1;
      return fetch(input, init);
    }) as typeof fetch;
    const got = await send(fetchWithEncodedBodies(counting), large, json);
    expect(calls).toBe(1);
    expect(got.body.equals(Buffer.from(large, 'utf8'))).toBe(true);
  });
});
