/**
 * A seeded, deterministic simulation of several machines syncing through one server, with faults.
 *
 * Per seed: 3–5 machines of one user (plus one machine of a second user), each with its own store and
 * a device clock skewed by up to ±1 day, make random creates, edits and deletes (on a small id pool, so
 * machines collide like two imports of the same transcript), go offline, and sync through a faulty
 * network: requests lost, responses lost after the server committed, requests duplicated, requests
 * delayed and delivered after newer ones, stale pull responses replayed, 503s with Retry-After, processes
 * killed between push and acknowledgement, one machine away past the purge horizon while tombstones are
 * purged, and poison records the server refuses for good. Then the network heals and every machine syncs.
 *
 * Checked afterwards: every replica equals the server; the server holds, per record, the greatest write
 * it ever accepted under the conflict rule (so no acknowledged write is lost and a tombstone is only
 * superseded by a write that beats it); nothing purged comes back; no record or change_seq is duplicated;
 * poison records are dead letters on their machine only and blocked nothing; `verify` agrees.
 */
import { compareVersions } from '../conflict.js';
import { SyncEngine } from '../engine.js';
import { ConstraintViolationError, ServerUnavailableError, SyncNetworkError } from '../errors.js';
import type {
  CallOptions,
  Clock,
  PullPage,
  PullRequest,
  PushBatch,
  PushResult,
  Remote,
  SyncRecord,
  TableSummary,
} from '../ports.js';
import { DEFAULT_PURGE_HORIZON_MS, type MemoryRemote, MemoryServer } from './memory-remote.js';
import { MemoryLocalStore } from './memory-store.js';
import { type SeededRandom, seededRandom } from './random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TABLES = ['projects', 'sessions', 'turns'] as const;
const USER = 'user-1';
const OTHER_USER = 'user-2';

export interface SimulationOptions {
  seed: number;
  /** Random steps before healing. Default 120–200. */
  steps?: number;
  /** Probability of a fault per request. Default 0.25 (split between the fault kinds). */
  faultRate?: number;
  /** Keep every event in the failure's trace (default: the last 200). */
  fullTrace?: boolean;
  /** The engines' `pushConcurrency` (default: the engine's default). */
  pushConcurrency?: number;
}

export interface SimulationStats {
  seed: number;
  machines: number;
  steps: number;
  writes: number;
  deletes: number;
  syncs: number;
  faults: Record<string, number>;
  fullResyncs: number;
  purged: number;
  rejected: number;
  deadLettered: number;
  longAbsence: boolean;
}

export class SimulationFailure extends Error {
  override readonly name = 'SimulationFailure';
  constructor(
    readonly seed: number,
    message: string,
    readonly trace: string[],
  ) {
    super(
      `seed ${seed}: ${message}\n  replay with SIM_SEED=${seed}\n  last events:\n    ${trace.slice(-25).join('\n    ')}`,
    );
  }
}

class VirtualClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
}

interface Machine {
  name: string;
  userId: string;
  deviceId: string;
  skewMs: number;
  store: MemoryLocalStore;
  network: FaultyNetwork;
  engine: SyncEngine;
  online: boolean;
  offlineUntil: number;
  away: boolean;
  poison: Set<string>;
}

const recordKey = (r: { table: string; id: string }) => `${r.table}/${r.id}`;

/** The network between one machine and the server, with injected faults. */
class FaultyNetwork implements Remote {
  faultsOn = true;
  killed = false;
  /**
   * The last response to each distinct pull request (cursor, limit) during the current operation: a
   * duplicated response arrives while the client is still working, not weeks later (a transport that
   * replays old responses, like a cache in front of the RPC endpoint, is outside the protocol).
   */
  readonly earlierResponses = new Map<string, string>();

  constructor(
    private readonly sim: Simulation,
    private readonly inner: MemoryRemote,
    private readonly random: SeededRandom,
    private readonly faultRate: number,
  ) {}

  private fault(kinds: readonly string[]): string | null {
    if (!this.faultsOn || !this.random.chance(this.faultRate)) return null;
    const kind = this.random.pick(kinds);
    this.sim.stats.faults[kind] = (this.sim.stats.faults[kind] ?? 0) + 1;
    return kind;
  }

  async push(batch: PushBatch, _options?: CallOptions): Promise<PushResult> {
    const kind = this.fault([
      'requestLost',
      'responseLost',
      'killedBeforeAck',
      'duplicated',
      'delayed',
      'unavailable',
    ]);
    this.sim.log(
      `${batch.deviceId} push ${batch.records.map((r) => `${recordKey(r)}@${r.version}${r.deletedAt ? 'x' : ''}`).join(' ')}${kind ? ` [${kind}]` : ''}`,
    );
    switch (kind) {
      case 'requestLost':
        throw new SyncNetworkError('request lost');
      case 'responseLost':
        this.sim.serverPush(this.inner, batch);
        throw new SyncNetworkError('response lost');
      case 'killedBeforeAck':
        this.sim.serverPush(this.inner, batch);
        this.killed = true;
        throw new SyncNetworkError('process killed');
      case 'duplicated':
        this.sim.serverPush(this.inner, batch);
        return this.sim.serverPush(this.inner, batch);
      case 'delayed':
        this.sim.delay(this.inner, batch);
        throw new SyncNetworkError('request delayed');
      case 'unavailable':
        throw new ServerUnavailableError('503', { status: 503, retryAfterMs: 30_000 });
      default:
        return this.sim.serverPush(this.inner, batch);
    }
  }

  async pull(request: PullRequest, _options?: CallOptions): Promise<PullPage> {
    const kind = this.fault(['requestLost', 'staleResponse', 'unavailable']);
    if (kind === 'requestLost') throw new SyncNetworkError('request lost');
    if (kind === 'unavailable') throw new ServerUnavailableError('503', { status: 503 });
    const requestKey = `${request.cursor}:${request.limit}`;
    const earlier = this.earlierResponses.get(requestKey);
    if (kind === 'staleResponse' && earlier) {
      // A duplicate of an earlier response to the same request, delivered again (possibly long after).
      return JSON.parse(earlier) as PullPage;
    }
    const page = await this.inner.pull(request);
    this.earlierResponses.set(requestKey, JSON.stringify(page));
    let last = request.cursor;
    for (const record of page.records) {
      if (record.changeSeq <= last) this.sim.fail(`pull page not ascending after cursor ${request.cursor}`);
      last = record.changeSeq;
    }
    return page;
  }

  async summarize(tables: string[], _options?: CallOptions): Promise<TableSummary[]> {
    return this.inner.summarize(tables);
  }
}

class Simulation {
  readonly random: SeededRandom;
  readonly clock: VirtualClock;
  readonly server: MemoryServer;
  readonly machines: Machine[] = [];
  readonly trace: string[] = [];
  readonly stats: SimulationStats;
  /** Every write the server accepted as new, per user and record. */
  private readonly accepted = new Map<string, SyncRecord[]>();
  private readonly delayed: { remote: MemoryRemote; batch: PushBatch; deliverAt: number }[] = [];
  private readonly pool: Record<string, string[]>;
  private nextPoison = 0;

  constructor(
    readonly seed: number,
    private readonly options: SimulationOptions,
  ) {
    this.random = seededRandom(seed);
    this.clock = new VirtualClock(Date.UTC(2026, 0, 1) + this.random.int(365) * DAY);
    this.server = new MemoryServer({
      tables: TABLES,
      clock: this.clock,
      maxPullLimit: 50,
      validateRecord: (record) =>
        record.payload.poison === true && record.deletedAt === null
          ? new ConstraintViolationError(`new row for relation "${record.table}" violates check constraint`, {
              serverCode: '23514',
            })
          : null,
    });
    this.pool = Object.fromEntries(
      TABLES.map((table, t) => [
        table,
        Array.from({ length: 6 + this.random.int(6) }, (_, i) => `${table[0]}${t}-${i}`),
      ]),
    );
    this.stats = {
      seed,
      machines: 0,
      steps: 0,
      writes: 0,
      deletes: 0,
      syncs: 0,
      faults: {},
      fullResyncs: 0,
      purged: 0,
      rejected: 0,
      deadLettered: 0,
      longAbsence: false,
    };
  }

  log(line: string): void {
    this.trace.push(`${new Date(this.clock.time).toISOString()} ${line}`);
    if (this.trace.length > 200 && !this.options.fullTrace) this.trace.shift();
  }

  fail(message: string): never {
    throw new SimulationFailure(this.seed, message, this.trace);
  }

  serverPush(remote: MemoryRemote, batch: PushBatch): PushResult {
    const before = this.server.lastSeq(remote.userId);
    const result = this.server.push(remote.userId, batch);
    const byKey = new Map(batch.records.map((r) => [recordKey(r), r]));
    for (const entry of result.accepted) {
      if (entry.changeSeq <= before) continue;
      const key = `${remote.userId}:${recordKey(entry)}`;
      const list = this.accepted.get(key) ?? [];
      list.push(byKey.get(recordKey(entry)) as SyncRecord);
      this.accepted.set(key, list);
    }
    this.stats.rejected += result.rejected.length;
    return result;
  }

  delay(remote: MemoryRemote, batch: PushBatch): void {
    const copy = JSON.parse(JSON.stringify(batch)) as PushBatch;
    this.delayed.push({
      remote,
      batch: copy,
      deliverAt: this.clock.time + MINUTE + this.random.int(2 * HOUR),
    });
  }

  private deliverDelayed(all: boolean): void {
    for (let i = 0; i < this.delayed.length; ) {
      const item = this.delayed[i] as (typeof this.delayed)[number];
      if (all || item.deliverAt <= this.clock.time) {
        this.delayed.splice(i, 1);
        this.log(`late delivery of ${item.batch.deviceId}'s push (${item.batch.records.length} records)`);
        try {
          this.serverPush(item.remote, item.batch);
        } catch {
          // A poison batch fails again; nobody waits for this response.
        }
      } else {
        i++;
      }
    }
  }

  private purge(): void {
    for (const { userId, record } of this.server.purgeTombstones(DEFAULT_PURGE_HORIZON_MS)) {
      this.stats.purged += 1;
      this.log(`purged ${userId}:${recordKey(record)} (seq ${record.changeSeq})`);
    }
  }

  private newEngine(machine: Omit<Machine, 'engine'>): SyncEngine {
    return new SyncEngine({
      store: machine.store,
      remote: machine.network,
      tables: TABLES,
      clock: this.clock,
      random: () => this.random.next(),
      batchSize: 1 + this.random.int(20),
      batchBytes: 300 + this.random.int(3000),
      pullLimit: 1 + this.random.int(15),
      maxRounds: 5,
      ...(this.options.pushConcurrency !== undefined
        ? { pushConcurrency: this.options.pushConcurrency }
        : {}),
      backoff: { baseMs: 10, maxMs: 100, jitter: 0.2 },
      onEvent: (event) => {
        if (event.type === 'fullResync' && event.phase === 'start') {
          this.stats.fullResyncs += 1;
          this.log(
            `${machine.name} full resync (cursor ${event.cursor} < watermark ${event.oldestRetainedSeq})`,
          );
        }
        if (event.type === 'deadLettered') this.stats.deadLettered += event.letters.length;
      },
    });
  }

  addMachine(userId: string): Machine {
    const index = this.machines.length;
    const deviceId = `device-${index}-${this.random.int(1_000_000).toString(36)}`;
    const skewMs = Math.round((this.random.next() * 2 - 1) * DAY);
    const deviceClock: Clock = { now: () => this.clock.time + skewMs, sleep: (ms) => this.clock.sleep(ms) };
    const base = {
      name: `m${index}`,
      userId,
      deviceId,
      skewMs,
      store: new MemoryLocalStore({ deviceId, clock: deviceClock }),
      network: new FaultyNetwork(
        this,
        this.server.connect(userId),
        this.random,
        this.options.faultRate ?? 0.25,
      ),
      online: true,
      offlineUntil: 0,
      away: false,
      poison: new Set<string>(),
    };
    const machine: Machine = { ...base, engine: this.newEngine(base) };
    this.machines.push(machine);
    return machine;
  }

  private localEdit(machine: Machine): void {
    const table = this.random.pick(TABLES);
    const id = this.random.pick(this.pool[table] as string[]);
    const current = machine.store.get(table, id);
    if (current?.deletedAt) return; // deletion is sticky: hosts never edit a tombstone
    const payload = { n: this.random.int(1000), by: machine.name, text: 'é'.repeat(this.random.int(40)) };
    const written = machine.store.write(table, id, payload);
    this.stats.writes += 1;
    this.log(`${machine.name} ${current ? 'edit' : 'create'} ${recordKey(written)}@${written.version}`);
  }

  private localDelete(machine: Machine): void {
    const live = machine.store.all().filter((r) => r.deletedAt === null && !machine.poison.has(recordKey(r)));
    if (live.length === 0) return;
    const target = this.random.pick(live);
    const tombstone = machine.store.remove(target.table, target.id);
    this.stats.deletes += 1;
    this.log(`${machine.name} delete ${recordKey(tombstone)}@${tombstone.version}`);
  }

  private poisonWrite(machine: Machine): void {
    const id = `poison-${this.nextPoison++}`;
    machine.store.write('turns', id, { poison: true });
    machine.poison.add(`turns/${id}`);
    this.log(`${machine.name} create poison turns/${id}`);
  }

  private async syncOnce(machine: Machine, mode: 'sync' | 'push' | 'pull'): Promise<void> {
    this.stats.syncs += 1;
    machine.network.earlierResponses.clear();
    try {
      if (mode === 'sync') await machine.engine.sync();
      else if (mode === 'push') await machine.engine.push();
      else await machine.engine.pull();
    } catch (error) {
      const transient =
        typeof error === 'object' && error !== null && (error as { transient?: boolean }).transient;
      if (!transient) this.fail(`${machine.name} ${mode} failed permanently: ${String(error)}`);
      this.log(`${machine.name} ${mode} failed: ${(error as Error).message}`);
    }
    this.log(`${machine.name} ${mode} done, cursor ${await machine.store.getCursor()}`);
    if (machine.network.killed) {
      machine.network.killed = false;
      machine.engine = this.newEngine(machine);
      this.log(`${machine.name} process restarted`);
    }
  }

  private async cleanSync(machine: Machine): Promise<void> {
    machine.network.faultsOn = false;
    await this.syncOnce(machine, 'sync');
    machine.network.faultsOn = true;
  }

  /** One machine away for more than the purge horizon; the others keep working daily. */
  private async longAbsence(away: Machine): Promise<void> {
    this.stats.longAbsence = true;
    if (this.random.chance(0.5)) await this.cleanSync(away);
    away.away = true;
    this.log(`${away.name} goes away past the purge horizon`);
    const days = 31 + this.random.int(10);
    for (let day = 0; day < days; day++) {
      this.clock.time += DAY;
      for (const machine of this.machines) {
        if (machine === away) {
          if (this.random.chance(0.2)) this.localEdit(machine);
          if (this.random.chance(0.1)) this.localDelete(machine);
          continue;
        }
        machine.online = true;
        if (this.random.chance(0.5)) this.localEdit(machine);
        if (this.random.chance(0.3)) this.localDelete(machine);
        await this.syncOnce(machine, 'sync');
      }
      this.deliverDelayed(false);
      this.purge();
    }
    away.away = false;
    this.log(`${away.name} is back`);
  }

  async run(): Promise<SimulationStats> {
    const count = 3 + this.random.int(3);
    for (let i = 0; i < count; i++) this.addMachine(USER);
    this.addMachine(OTHER_USER);
    this.stats.machines = this.machines.length;
    const steps = this.options.steps ?? 120 + this.random.int(80);
    this.stats.steps = steps;
    const absenceAt = this.random.chance(0.35) ? this.random.int(steps) : -1;

    for (let step = 0; step < steps; step++) {
      this.clock.time += 1 + this.random.int(90 * MINUTE);
      this.deliverDelayed(false);
      this.purge();
      if (step === absenceAt) {
        await this.longAbsence(this.random.pick(this.machines.filter((m) => m.userId === USER)));
        continue;
      }
      const machine = this.random.pick(this.machines);
      if (!machine.online && this.clock.time >= machine.offlineUntil) {
        machine.online = true;
        this.log(`${machine.name} online`);
      }
      const roll = this.random.next();
      if (roll < 0.35) this.localEdit(machine);
      else if (roll < 0.45) this.localDelete(machine);
      else if (roll < 0.47) this.poisonWrite(machine);
      else if (roll < 0.9) {
        if (machine.online)
          await this.syncOnce(machine, this.random.pick(['sync', 'sync', 'sync', 'push', 'pull'] as const));
      } else if (roll < 0.96) {
        machine.online = false;
        machine.offlineUntil = this.clock.time + MINUTE + this.random.int(3 * DAY);
        this.log(`${machine.name} offline`);
      } else {
        machine.engine = this.newEngine(machine);
        this.log(`${machine.name} process restarted`);
      }
    }

    // Heal: the network works again, late requests arrive, everyone syncs until nothing moves.
    this.deliverDelayed(true);
    for (const machine of this.machines) {
      machine.online = true;
      machine.network.faultsOn = false;
    }
    for (let round = 0; round < 3; round++) {
      for (const machine of this.machines) await this.syncOnce(machine, 'sync');
    }
    await this.check();
    return this.stats;
  }

  private async check(): Promise<void> {
    for (const userId of [USER, OTHER_USER]) {
      const snapshot = this.server.snapshot(userId);
      const serverByKey = new Map(snapshot.map((r) => [recordKey(r), r]));
      const seqs = new Set(snapshot.map((r) => r.changeSeq));
      if (seqs.size !== snapshot.length) this.fail(`${userId}: duplicate change_seq on the server`);
      if (Math.max(0, ...seqs) > this.server.lastSeq(userId))
        this.fail(`${userId}: change_seq above the counter`);

      // The server holds the greatest write it ever accepted, per record (purged tombstones included).
      const stored = new Map(this.server.storedRecords(userId).map((s) => [recordKey(s.record), s]));
      for (const [key, writes] of this.accepted) {
        if (!key.startsWith(`${userId}:`)) continue;
        const best = writes.reduce((a, b) => (compareVersions(b, a) > 0 ? b : a));
        const held = stored.get(key.slice(userId.length + 1));
        if (!held) this.fail(`${key}: accepted write v${best.version} is missing from the server`);
        if (
          compareVersions(held.record, best) !== 0 ||
          (held.record.deletedAt === null) !== (best.deletedAt === null)
        ) {
          this.fail(
            `${key}: server holds v${held.record.version}/${held.record.deviceId} but the greatest accepted write is v${best.version}/${best.deviceId}`,
          );
        }
        if (held.purged && held.record.deletedAt === null) this.fail(`${key}: a live record was purged`);
      }

      for (const machine of this.machines.filter((m) => m.userId === userId)) {
        const local = machine.store.all();
        const counts = await machine.store.pendingCounts(TABLES);
        const letters = await machine.store.listDeadLetters();
        const letterKeys = new Set(letters.map(recordKey));
        const stuck = local.filter((r) => machine.store.isPending(r.table, r.id));
        if (stuck.length > 0) {
          this.fail(
            `${machine.name}: still pending after healing: ${stuck.map(recordKey).join(', ')} ${JSON.stringify(counts)}`,
          );
        }
        for (const key of machine.poison) {
          if (machine.store.get('turns', key.slice('turns/'.length)) && !letterKeys.has(key)) {
            this.fail(`${machine.name}: poison record ${key} is not a dead letter`);
          }
          if (serverByKey.has(key)) this.fail(`poison record ${key} reached the server`);
        }
        for (const key of letterKeys) {
          if (!machine.poison.has(key))
            this.fail(`${machine.name}: ${key} was dead-lettered without a permanent error`);
        }
        const localByKey = new Map(local.map((r) => [recordKey(r), r]));
        for (const [key, stored] of serverByKey) {
          const mine = localByKey.get(key);
          if (!mine) this.fail(`${machine.name}: missing ${key}@${stored.version}`);
          if (
            compareVersions(mine, stored) !== 0 ||
            (mine.deletedAt === null) !== (stored.deletedAt === null) ||
            JSON.stringify(mine.payload) !== JSON.stringify(stored.payload)
          ) {
            this.fail(
              `${machine.name}: ${key} is v${mine.version}/${mine.deviceId}, server has v${stored.version}/${stored.deviceId}`,
            );
          }
        }
        for (const [key, mine] of localByKey) {
          if (serverByKey.has(key) || machine.poison.has(key)) continue;
          if (mine.deletedAt === null)
            this.fail(`${machine.name}: ${key} is live locally but not on the server (resurrected or lost)`);
          const held = stored.get(key);
          if (!held?.purged || compareVersions(mine, held.record) > 0) {
            this.fail(
              `${machine.name}: tombstone ${key}@${mine.version} is not a purged tombstone of the server`,
            );
          }
        }
        if (machine.poison.size === 0) {
          const report = await machine.engine.verify();
          if (!report.ok)
            this.fail(`${machine.name}: verify reports a mismatch: ${JSON.stringify(report.tables)}`);
        }
      }
    }
  }
}

/** Runs one seeded simulation; throws `SimulationFailure` (with the seed) when an invariant breaks. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationStats> {
  const simulation = new Simulation(options.seed, options);
  try {
    return await simulation.run();
  } catch (error) {
    if (error instanceof SimulationFailure) throw error;
    throw new SimulationFailure(
      options.seed,
      `unexpected error: ${(error as Error)?.stack ?? String(error)}`,
      simulation.trace,
    );
  }
}
