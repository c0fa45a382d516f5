/**
 * The heap policy of the commands that sync. A push or pull of a large history allocates a few hundred MB a
 * minute (records read, redacted, encoded and parsed a batch at a time) while what it keeps alive stays at about
 * 20 MB: the batches in flight. V8 lets the old generation grow to several times its live size between major
 * collections (a growing factor of up to 4 when the collector keeps up easily), so a push spent most of its time
 * between 160 and 230 MB resident, nearly all of it garbage from batches already sent. A growing factor of 1.3
 * makes V8 collect when the old generation is 30 % above what the last collection kept: with so little live data
 * each of those collections takes a few milliseconds. It does not cap the heap: whatever a sync really holds can
 * still grow, and would show as growth.
 */
import v8 from 'node:v8';

/** Old-generation growth allowed between major collections, in percent of what the last one kept. */
export const SYNC_HEAP_GROWING_PERCENT = 30;

let applied = false;

/** Sets the sync commands' heap policy for the rest of the process (once; later calls do nothing). */
export function applySyncHeapPolicy(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString(`--heap-growing-percent=${SYNC_HEAP_GROWING_PERCENT}`);
}
