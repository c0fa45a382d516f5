/**
 * The PostgREST stand-in on a thread of its own, as PostgREST runs in a process of its own: the benchmark's
 * client (which holds every row it pushes) and the server do not share one JavaScript heap and its garbage
 * collection. Started by `sync-bench.ts` with the database URL and the JWT secret of the test backend.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startStandIn } from '@agentlogs/test-backend';

const { databaseUrl, jwtSecret } = workerData as { databaseUrl: string; jwtSecret: string };
const standIn = await startStandIn({ databaseUrl, jwtSecret });
parentPort?.on('message', (message: unknown) => {
  if (message === 'close') {
    void standIn.close().then(() => parentPort?.close());
  }
});
parentPort?.postMessage({ url: standIn.url, anonKey: standIn.anonKey });
