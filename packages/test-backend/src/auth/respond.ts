import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http.js';

/** The API version supabase-js announces; from it on, errors are `{code, message}` instead of `{code, error_code, msg}`. */
const API_VERSION_2024 = '2024-01-01';

/** An error Supabase Auth answers with: HTTP status, its `error_code`, and the message it sends. */
export class AuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthHttpError';
  }
}

/** The stand-in's JSON responder, shared with the REST side. */
export { sendJson };

/** Writes `error` in the shape the request's API version asks for, as Supabase Auth does. */
export function sendAuthError(req: IncomingMessage, res: ServerResponse, error: AuthHttpError): void {
  const version = String(req.headers['x-supabase-api-version'] ?? '');
  const headers: Record<string, string> = { 'x-sb-error-code': error.errorCode };
  if (/^\d{4}-\d{2}-\d{2}$/.test(version) && version >= API_VERSION_2024) {
    headers['x-supabase-api-version'] = API_VERSION_2024;
    sendJson(res, error.status, { code: error.errorCode, message: error.message }, headers);
  } else {
    sendJson(
      res,
      error.status,
      { code: error.status, error_code: error.errorCode, msg: error.message },
      headers,
    );
  }
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': '0' });
  res.end();
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
  });
  res.end(html);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
