/**
 * `@agentlogs/sync-core/testing`: in-memory adapters (the reference server model and a local store),
 * contract suites any adapter runs against itself, and the seeded multi-machine simulator.
 * Framework-free: pass your test runner's `describe` and `it` to the contract suites.
 */

export { ContractAssertionError, type TestApi } from './assert.js';
export {
  contractId,
  type LocalStoreFactory,
  type LocalStoreHarness,
  runLocalStoreContract,
} from './local-store-contract.js';
export { ManualClock } from './manual-clock.js';
export {
  DEFAULT_PURGE_HORIZON_MS,
  MemoryRemote,
  MemoryServer,
  type MemoryServerOptions,
} from './memory-remote.js';
export { MemoryLocalStore, type MemoryLocalStoreOptions, TombstonedRecordError } from './memory-store.js';
export { type SeededRandom, seededRandom } from './random.js';
export { type RemoteFactory, type RemoteHarness, runRemoteContract } from './remote-contract.js';
export {
  runSimulation,
  SimulationFailure,
  type SimulationOptions,
  type SimulationStats,
} from './simulator.js';
