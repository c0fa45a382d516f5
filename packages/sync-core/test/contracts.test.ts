import { describe, it } from 'vitest';
import type { SyncRecord } from '../src/index.js';
import {
  MemoryLocalStore,
  MemoryServer,
  runLocalStoreContract,
  runRemoteContract,
} from '../src/testing/index.js';

const TABLES = ['sessions', 'turns'];
const payload = (table: string, n: number) => ({
  title: `${table} ${n} — ✓ 日本`,
  tokens: n * 10,
  nested: { ok: n % 2 === 0 },
});

describe('in-memory LocalStore', () => {
  runLocalStoreContract({ describe, it }, async () => {
    const store = new MemoryLocalStore({ deviceId: 'device-contract' });
    return {
      store,
      tables: TABLES,
      payload,
      writeLocal: async (record: SyncRecord) => {
        store.put(record);
      },
      read: async (table, id) => store.get(table, id),
    };
  });
});

describe('in-memory Remote (the reference server)', () => {
  runRemoteContract({ describe, it }, async () => {
    const server = new MemoryServer({ tables: TABLES });
    return {
      user: async (name) => server.connect(name),
      tables: TABLES,
      payload,
      purgeTombstones: async (horizonMs) => {
        server.purgeTombstones(horizonMs);
      },
    };
  });
});
