/**
 * The heap policy of the commands that move a whole history a batch at a time: `import`, `push`, `pull`, `sync`.
 *
 * Each allocates hundreds of MB a minute (lines read and parsed, records read, redacted, encoded and sent) while
 * what it keeps alive stays small and flat: about 17 MB in a first import of the 1 GB bench tree, about 20 MB in
 * the push of its 375,000 records (heap snapshots and `--trace-gc`). V8 lets the old generation grow to several
 * times its live size between major collections (its growing factor reaches 4 when collecting is cheap, and the
 * longer the run the higher the limit it settles on), so those commands spent most of their time at 160–260 MB
 * resident, nearly all of it garbage of batches already written or sent, and the longer the run, the more.
 * Two settings, for the rest of the process:
 * - a growing factor of 1.3: V8 collects when the old generation is 30 % above what the last collection kept
 *   (with so little live data each of those collections takes a few milliseconds);
 * - the young generation stays at its initial size (`--semi-space-growth-factor=1`, 1 MB semi-spaces on 64-bit
 *   instead of growing to 16 MB): it otherwise grows to 32 MB committed early in a long run and stays there,
 *   while what these commands allocate is either dead within a batch or promoted anyway.
 * Measured on the built CLI (peak RSS by GNU time, CPU time user + system): the first import of the 208 MB tree
 * 191 MB / 11.1 s before, 144 MB / 10.1 s after; of the 1 GB tree 254 MB before, 168 MB after.
 *
 * This is not a cap: no heap limit is set, so whatever such a command really holds can still grow, and shows.
 *
 * The import command sets it before a first import lists the tree (no folder listing stored yet), and for every
 * import at its first progress report, once its parse workers run; every sync session (push, pull, sync, and a
 * `setup` that pushes) sets it as it opens. Set later in a first import, the young generation grows while the
 * import lists and stats the tree and stays at that size: the 1 GB tree's first import then peaked at 244 MB
 * instead of 173 MB. A later import lists from the stored listings and stats the files under V8's defaults, with
 * fewer collections: what it then reads is what changed since (docs/decisions/0110-commonjs-bundle.md).
 */
import v8 from 'node:v8';

/** Old-generation growth allowed between major collections, in percent of what the last one kept. */
export const BATCH_HEAP_GROWING_PERCENT = 30;

/**
 * Sets the batch commands' heap policy for the rest of the process. V8 sets `--semi-space-growth-factor` back to
 * its default (2) whenever it configures a new isolate: a command that starts worker threads sets it after them.
 */
export function applyBatchHeapPolicy(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${BATCH_HEAP_GROWING_PERCENT}`);
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
