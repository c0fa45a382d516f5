import { createClient, type SupabaseClient, type SupportedStorage } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { fetchWithEncodedBodies } from './body.js';

/** The supabase-js client type this package creates. */
export type ProjectClient = SupabaseClient;

/** Where supabase-js keeps the session and the PKCE verifier: any string key-value store (sync or async). */
export type SessionStorage = SupportedStorage;

export interface ProjectClientOptions {
  /** The project URL, e.g. `https://abcd.supabase.co`. */
  url: string;
  /** The project's anon (publishable) key. */
  anonKey: string;
  /** Session storage; without one the session lives in memory only. */
  storage?: SessionStorage;
  /** Key of the session in `storage` (the PKCE verifier is stored next to it). */
  storageKey?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/**
 * A supabase-js client for a command-line program: PKCE login, the session persisted in `storage`, no timers
 * (`autoRefreshToken: false`: an expired access token is refreshed when the session is next read), no URL
 * detection. Large JSON bodies go out as UTF-8 bytes (`fetchWithEncodedBodies`). Passes the `ws` package as Realtime's transport where Node has no global WebSocket (Node 20).
 */
export function createProjectClient(options: ProjectClientOptions): SupabaseClient {
  const hasNativeWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
  return createClient(options.url, options.anonKey, {
    auth: {
      flowType: 'pkce',
      persistSession: options.storage !== undefined,
      ...(options.storage ? { storage: options.storage } : {}),
      ...(options.storageKey ? { storageKey: options.storageKey } : {}),
      autoRefreshToken: false,
      detectSessionInUrl: false,
    },
    ...(hasNativeWebSocket ? {} : { realtime: { transport: WebSocket as never } }),
    global: { fetch: fetchWithEncodedBodies(options.fetch) },
  });
}

/** The storage key agentlogs uses for the session of a project: one per project URL, so switching projects logs out. */
export function sessionStorageKey(url: string): string {
  return `agentlogs-session:${new URL(url).origin}`;
}
