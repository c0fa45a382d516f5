/**
 * Runs the statusline cost tracker on two machines that sync through sync-core's in-memory server:
 * `node dist/examples/two-machines.js` from the installed package prints each machine's statusline before
 * and after syncing, then the result of `verify()`. A real tool passes its own database and server instead.
 */
import { MemoryLocalStore, MemoryServer } from '@agentlogs/sync-core/testing';
import { CostTracker } from './statusline-cost.js';

const day = '2026-03-01';
const server = new MemoryServer({ tables: ['daily_costs'] });
const laptop = new CostTracker(
  new MemoryLocalStore({ deviceId: 'laptop-1' }),
  server.connect('me'),
  'laptop',
);
const desktop = new CostTracker(
  new MemoryLocalStore({ deviceId: 'desktop-1' }),
  server.connect('me'),
  'desktop',
);

await laptop.record(day, 1.25);
await laptop.record(day, 0.5);
await desktop.record(day, 2);
console.log(`before sync  laptop: ${laptop.statusline(day)}  desktop: ${desktop.statusline(day)}`);

await laptop.sync();
await desktop.sync();
await laptop.sync();
console.log(`after sync   laptop: ${laptop.statusline(day)}  desktop: ${desktop.statusline(day)}`);

const check = await laptop.engine.verify();
console.log(`verify: ${check.ok ? 'ok' : 'MISMATCH'}`);
if (!check.ok) process.exitCode = 1;
